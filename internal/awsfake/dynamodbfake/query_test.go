package dynamodbfake

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

// seedQueryTable creates table "state" holding, in partition "user#alice",
// key#01 to key#05 (with n = 1 to 5) and lock#1, and in partition
// "user#bob", key#99.
func seedQueryTable(t *testing.T, c *dynamodb.Client) {
	t.Helper()
	createTable(t, c, "state", true)
	put := func(pk, sk, n string) {
		if _, err := c.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String("state"),
			Item: map[string]types.AttributeValue{"pk": avS(pk), "sk": avS(sk), "n": avN(n)}}); err != nil {
			t.Fatal(err)
		}
	}
	// Out of order, so that the sort is the server's.
	for _, i := range []string{"3", "1", "5", "2", "4"} {
		put("user#alice", "key#0"+i, i)
	}
	put("user#alice", "lock#1", "0")
	put("user#bob", "key#99", "0")
}

func sortKeys(items []map[string]types.AttributeValue) []string {
	var out []string
	for _, it := range items {
		out = append(out, it["sk"].(*types.AttributeValueMemberS).Value)
	}
	return out
}

func TestDynamoQueryPagination(t *testing.T) {
	s, url := start(t)
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	seedQueryTable(t, c)

	in := &dynamodb.QueryInput{
		TableName:                 aws.String("state"),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames:  map[string]string{"#pk": "pk", "#sk": "sk"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": avS("user#alice"), ":prefix": avS("key#")},
		Limit:                     aws.Int32(2),
		ConsistentRead:            aws.Bool(true),
	}
	var pages [][]string
	for p := dynamodb.NewQueryPaginator(c, in); p.HasMorePages(); {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, sortKeys(out.Items))
	}
	want := [][]string{{"key#01", "key#02"}, {"key#03", "key#04"}, {"key#05"}}
	if !slices.EqualFunc(pages, want, slices.Equal) {
		t.Errorf("got pages %q, want %q", pages, want)
	}

	in.ScanIndexForward, in.Limit = aws.Bool(false), nil
	out, err := c.Query(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := sortKeys(out.Items); !slices.Equal(got, []string{"key#05", "key#04", "key#03", "key#02", "key#01"}) || out.LastEvaluatedKey != nil {
		t.Errorf("backwards: got %q (last key %v), want key#05 down to key#01 and no last key", got, out.LastEvaluatedKey)
	}
}

func TestDynamoQueryConditions(t *testing.T) {
	s, url := start(t)
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	seedQueryTable(t, c)
	values := map[string]types.AttributeValue{":pk": avS("user#alice"), ":a": avS("key#02"), ":b": avS("key#04"), ":n": avN("3")}
	tests := []struct {
		key, filter string
		want        []string
		scanned     int32
	}{
		{"pk = :pk", "", []string{"key#01", "key#02", "key#03", "key#04", "key#05", "lock#1"}, 6},
		{"pk = :pk AND sk = :a", "", []string{"key#02"}, 1},
		{"sk < :a AND pk = :pk", "", []string{"key#01"}, 1},
		{"pk = :pk AND sk <= :a", "", []string{"key#01", "key#02"}, 2},
		{"pk = :pk AND sk > :b", "", []string{"key#05", "lock#1"}, 2},
		{"pk = :pk AND sk >= :b", "", []string{"key#04", "key#05", "lock#1"}, 3},
		{"(pk = :pk) AND (sk BETWEEN :a AND :b)", "", []string{"key#02", "key#03", "key#04"}, 3},
		{"pk = :pk AND sk BETWEEN :a AND :b", "n >= :n", []string{"key#03", "key#04"}, 3},
		{"pk = :pk", "NOT n < :n", []string{"key#03", "key#04", "key#05"}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.key+" "+tt.filter, func(t *testing.T) {
			// Only the values the expressions use: no name is a prefix of another.
			vals := map[string]types.AttributeValue{}
			for k, v := range values {
				if strings.Contains(tt.key+" "+tt.filter, k) {
					vals[k] = v
				}
			}
			in := &dynamodb.QueryInput{TableName: aws.String("state"), KeyConditionExpression: aws.String(tt.key), ExpressionAttributeValues: vals}
			if tt.filter != "" {
				in.FilterExpression = aws.String(tt.filter)
			}
			out, err := c.Query(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			if got := sortKeys(out.Items); !slices.Equal(got, tt.want) || out.Count != int32(len(tt.want)) || out.ScannedCount != tt.scanned {
				t.Errorf("got %q (count %d, scanned %d), want %q (scanned %d)", got, out.Count, out.ScannedCount, tt.want, tt.scanned)
			}
		})
	}
}

func TestDynamoQueryErrors(t *testing.T) {
	s, url := start(t)
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	seedQueryTable(t, c)
	pk := map[string]types.AttributeValue{":pk": avS("user#alice")}
	tests := []struct {
		name string
		in   dynamodb.QueryInput
		msg  string
	}{
		{"no partition key", dynamodb.QueryInput{KeyConditionExpression: aws.String("sk = :pk"), ExpressionAttributeValues: pk},
			"Query condition missed key schema element: pk"},
		{"OR", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :pk OR pk = :pk"), ExpressionAttributeValues: pk},
			"Invalid operator used in KeyConditionExpression: OR"},
		{"non-key attribute", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :pk AND n = :pk"), ExpressionAttributeValues: pk},
			"Query key condition not supported"},
		{"wrong type", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": avN("1")}},
			"Condition parameter type does not match schema type"},
		{"filter on key", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :pk"), FilterExpression: aws.String("sk = :pk"), ExpressionAttributeValues: pk},
			"Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"},
		{"unused value", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": avS("x"), ":extra": avS("y")}},
			"Value provided in ExpressionAttributeValues unused in expressions: keys: {:extra}"},
		{"start key of another partition", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :pk"), ExpressionAttributeValues: pk,
			ExclusiveStartKey: map[string]types.AttributeValue{"pk": avS("user#bob"), "sk": avS("key#99")}},
			"The provided starting key is outside query boundaries based on provided conditions"},
		{"index", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :pk"), ExpressionAttributeValues: pk, IndexName: aws.String("by-n")},
			"The table does not have the specified index: by-n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.TableName = aws.String("state")
			_, err := c.Query(t.Context(), &in)
			wantValidation(t, err, tt.msg)
		})
	}
}

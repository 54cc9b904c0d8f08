package dynamodbfake

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

// itemKeys returns the partition keys of table's items.
func itemKeys(t *testing.T, s world, table string) []string {
	t.Helper()
	tbl, err := s.Table(table)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range tbl.Items {
		out = append(out, attr(it, "pk", "S").(string))
	}
	return out
}

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": avS(pk)}
}

// seedTransactTable creates table "state" with items counter (n = 1),
// doomed, and guard (state = open).
func seedTransactTable(t *testing.T, c *dynamodb.Client) {
	t.Helper()
	createTable(t, c, "state", false)
	for _, it := range []map[string]types.AttributeValue{
		{"pk": avS("counter"), "n": avN("1")}, {"pk": avS("doomed")}, {"pk": avS("guard"), "state": avS("open")},
	} {
		if _, err := c.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String("state"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
}

var (
	addOne = &types.Update{TableName: aws.String("state"), Key: key("counter"), UpdateExpression: aws.String("ADD n :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": avN("1")}}
	guardOpen = &types.ConditionCheck{TableName: aws.String("state"), Key: key("guard"),
		ConditionExpression: aws.String("#s = :open"), ExpressionAttributeNames: map[string]string{"#s": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":open": avS("open")}}
)

func TestDynamoTransactionCommits(t *testing.T) {
	s, url := start(t)
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	seedTransactTable(t, c)
	_, err := c.TransactWriteItems(t.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("state"), Item: key("new"), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Update: addOne},
		{Delete: &types.Delete{TableName: aws.String("state"), Key: key("doomed"), ConditionExpression: aws.String("attribute_exists(pk)")}},
		{ConditionCheck: guardOpen},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := itemKeys(t, s, "state"), []string{"counter", "guard", "new"}; !slices.Equal(got, want) {
		t.Errorf("got items %q, want %q", got, want)
	}
	tbl, _ := s.Table("state")
	if n := attr(tbl.Items[0], "n", "N"); n != "2" {
		t.Errorf("got counter %v, want 2", n)
	}
}

func TestDynamoTransactionCancels(t *testing.T) {
	s, url := start(t)
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	seedTransactTable(t, c)
	stale := *addOne
	stale.ConditionExpression = aws.String("n = :seen")
	stale.ExpressionAttributeValues = map[string]types.AttributeValue{":one": avN("1"), ":seen": avN("7")}
	_, err := c.TransactWriteItems(t.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("state"), Item: key("new")}},
		{Update: &stale},
		{ConditionCheck: guardOpen},
	}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("got %v, want TransactionCanceledException", err)
	}
	var codes []string
	for _, r := range tce.CancellationReasons {
		codes = append(codes, aws.ToString(r.Code))
	}
	if want := []string{"None", "ConditionalCheckFailed", "None"}; !slices.Equal(codes, want) {
		t.Errorf("got reasons %q, want %q", codes, want)
	}
	if len(tce.CancellationReasons) == 3 && aws.ToString(tce.CancellationReasons[1].Message) != "The conditional request failed" {
		t.Errorf("got reason message %q", aws.ToString(tce.CancellationReasons[1].Message))
	}
	if got, want := itemKeys(t, s, "state"), []string{"counter", "doomed", "guard"}; !slices.Equal(got, want) {
		t.Errorf("a cancelled transaction wrote: got items %q, want %q", got, want)
	}
	if tbl, _ := s.Table("state"); attr(tbl.Items[0], "n", "N") != "1" {
		t.Errorf("a cancelled transaction changed the counter to %v", attr(tbl.Items[0], "n", "N"))
	}

	_, err = c.TransactWriteItems(t.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: addOne}, {ConditionCheck: &types.ConditionCheck{TableName: aws.String("state"), Key: key("counter"), ConditionExpression: aws.String("attribute_exists(n)")}},
	}})
	wantValidation(t, err, "Transaction request cannot include multiple operations on one item")
}

// TestDynamoTransactionToken retries a transaction with its
// ClientRequestToken: it takes effect once, as in DynamoDB.
func TestDynamoTransactionToken(t *testing.T) {
	s, url := start(t)
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	seedTransactTable(t, c)
	in := &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("rotation-0001"),
		TransactItems: []types.TransactWriteItem{{Update: addOne}}}
	for range 2 {
		if _, err := c.TransactWriteItems(t.Context(), in); err != nil {
			t.Fatal(err)
		}
	}
	if tbl, _ := s.Table("state"); attr(tbl.Items[0], "n", "N") != "2" {
		t.Errorf("after a retried transaction: got counter %v, want 2", attr(tbl.Items[0], "n", "N"))
	}
	in.TransactItems = append(in.TransactItems, types.TransactWriteItem{ConditionCheck: guardOpen})
	_, err := c.TransactWriteItems(t.Context(), in)
	if !awstest.IsType[*types.IdempotentParameterMismatchException](err) {
		t.Errorf("another transaction with the same token: got %v, want IdempotentParameterMismatchException", err)
	}
}

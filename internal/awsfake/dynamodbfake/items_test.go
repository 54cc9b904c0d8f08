package dynamodbfake

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

func TestDynamoPutGet(t *testing.T) {
	s, url := start(t)
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	ctx := t.Context()
	createTable(t, c, "state", true)

	put := map[string]types.AttributeValue{
		"pk": avS("user#alice"), "sk": avS("key#1"),
		"count": avN("1.50"), "blob": &types.AttributeValueMemberB{Value: []byte{0, 1, 2}},
		"on": &types.AttributeValueMemberBOOL{Value: true}, "nothing": &types.AttributeValueMemberNULL{Value: true},
		"tags": &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"meta": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{avS("x"), avN("2")}}}},
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("state"), Item: put}); err != nil {
		t.Fatal(err)
	}
	key := map[string]types.AttributeValue{"pk": avS("user#alice"), "sk": avS("key#1")}
	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("state"), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	want := put
	want["count"] = avN("1.5") // DynamoDB hands numbers back in canonical form
	if !reflect.DeepEqual(got.Item, want) {
		t.Errorf("GetItem:\n got %#v\nwant %#v", got.Item, want)
	}

	proj, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("state"), Key: key,
		ProjectionExpression: aws.String("#c, tags"), ExpressionAttributeNames: map[string]string{"#c": "count"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(proj.Item) != 2 || proj.Item["tags"] == nil || proj.Item["count"] == nil {
		t.Errorf("projected GetItem: got %v, want count and tags only", proj.Item)
	}

	missing, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("state"),
		Key: map[string]types.AttributeValue{"pk": avS("user#bob"), "sk": avS("key#1")}})
	if err != nil || missing.Item != nil {
		t.Errorf("GetItem of a missing item: got %v, %v; want no item", missing.Item, err)
	}
	_, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("state"), Key: map[string]types.AttributeValue{"pk": avS("user#alice")}})
	wantValidation(t, err, "The provided key element does not match the schema")
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("state"),
		Item: map[string]types.AttributeValue{"pk": avS("p"), "sk": avS("s"), "big": avS(strings.Repeat("x", 400*1024))}})
	wantValidation(t, err, "Item size has exceeded the maximum allowed size")
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("nope"), Item: put})
	if !awstest.IsType[*types.ResourceNotFoundException](err) {
		t.Errorf("PutItem to a missing table: got %v, want ResourceNotFoundException", err)
	}
}

func TestDynamoConditionalPut(t *testing.T) {
	s, url := start(t)
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	ctx := t.Context()
	createTable(t, c, "state", false)
	create := func(v string) (*dynamodb.PutItemOutput, error) {
		return c.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String("state"), Item: map[string]types.AttributeValue{"pk": avS("lock"), "owner": avS(v)},
			ConditionExpression: aws.String("attribute_not_exists(pk)"), ReturnValues: types.ReturnValueAllOld,
		})
	}
	first, err := create("a")
	if err != nil {
		t.Fatal(err)
	}
	if first.Attributes != nil {
		t.Errorf("first put returned old attributes %v", first.Attributes)
	}
	_, err = create("b")
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || ccf.ErrorMessage() != "The conditional request failed" {
		t.Fatalf("second put: got %v, want ConditionalCheckFailedException", err)
	}
	if got := awstest.HTTPStatus(err); got != http.StatusBadRequest {
		t.Errorf("got HTTP %d, want 400", got)
	}
	tbl, err := s.Table("state")
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.Items) != 1 || attr(tbl.Items[0], "owner", "S") != "a" {
		t.Errorf("got items %v, want the first owner kept", tbl.Items)
	}

	// An unconditional overwrite returns what it replaced.
	over, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("state"),
		Item: map[string]types.AttributeValue{"pk": avS("lock"), "owner": avS("c")}, ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := over.Attributes["owner"].(*types.AttributeValueMemberS); !ok || got.Value != "a" {
		t.Errorf("ALL_OLD: got %v, want owner a", over.Attributes)
	}
	_, err = c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("state"), Key: map[string]types.AttributeValue{"pk": avS("lock")},
		ConditionExpression: aws.String("#o = :me"), ExpressionAttributeNames: map[string]string{"#o": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":me": avS("a")}})
	if !awstest.IsType[*types.ConditionalCheckFailedException](err) {
		t.Errorf("DeleteItem by a non-owner: got %v, want ConditionalCheckFailedException", err)
	}
}

func TestDynamoUpdateItem(t *testing.T) {
	s, url := start(t)
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	ctx := t.Context()
	createTable(t, c, "state", false)
	key := map[string]types.AttributeValue{"pk": avS("counter")}
	bump := func() map[string]types.AttributeValue {
		t.Helper()
		out, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String("state"), Key: key, UpdateExpression: aws.String("ADD #n :one SET #f = if_not_exists(#f, :now)"),
			ExpressionAttributeNames:  map[string]string{"#n": "n", "#f": "first"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": avN("1"), ":now": avN("100")},
			ReturnValues:              types.ReturnValueAllNew,
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes
	}
	bump()
	got := bump()
	want := map[string]types.AttributeValue{"pk": avS("counter"), "n": avN("2"), "first": avN("100")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after two bumps: got %#v, want %#v", got, want)
	}

	out, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String("state"), Key: key, UpdateExpression: aws.String("SET n = n + :d, label = :l REMOVE #f"),
		ExpressionAttributeNames:  map[string]string{"#f": "first"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": avN("-0.5"), ":l": avS("x")},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]types.AttributeValue{"n": avN("1.5"), "label": avS("x")}
	if !reflect.DeepEqual(out.Attributes, want) {
		t.Errorf("UPDATED_NEW: got %#v, want %#v", out.Attributes, want)
	}

	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("state"), Key: key,
		UpdateExpression: aws.String("SET pk = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": avS("x")}})
	wantValidation(t, err, "Cannot update attribute pk. This attribute is part of the key")
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("state"), Key: key,
		UpdateExpression: aws.String("ADD label :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": avN("1")}})
	wantValidation(t, err, "An operand in the update expression has an incorrect data type")
}

// TestDynamoOptimisticConcurrency updates a record only if its version is
// still the one read, as a state store does.
func TestDynamoOptimisticConcurrency(t *testing.T) {
	s, url := start(t)
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	ctx := t.Context()
	createTable(t, c, "state", false)
	key := map[string]types.AttributeValue{"pk": avS("rotation#alice")}
	write := func(read, data string) error {
		next := "1"
		in := &dynamodb.UpdateItemInput{
			TableName: aws.String("state"), Key: key,
			UpdateExpression:          aws.String("SET #v = :next, #d = :data"),
			ConditionExpression:       aws.String("attribute_not_exists(#v)"),
			ExpressionAttributeNames:  map[string]string{"#v": "version", "#d": "data"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":data": avS(data)},
		}
		if read != "" {
			in.ConditionExpression = aws.String("#v = :read")
			in.ExpressionAttributeValues[":read"] = avN(read)
			next = map[string]string{"1": "2", "2": "3"}[read]
		}
		in.ExpressionAttributeValues[":next"] = avN(next)
		_, err := c.UpdateItem(ctx, in)
		return err
	}
	if err := write("", "v1"); err != nil {
		t.Fatal(err)
	}
	if err := write("1", "v2"); err != nil {
		t.Fatalf("update at the current version: %v", err)
	}
	if err := write("1", "stale"); !awstest.IsType[*types.ConditionalCheckFailedException](err) {
		t.Fatalf("update at a stale version: got %v, want ConditionalCheckFailedException", err)
	}
	if err := write("", "again"); !awstest.IsType[*types.ConditionalCheckFailedException](err) {
		t.Fatalf("second create: got %v, want ConditionalCheckFailedException", err)
	}
	tbl, err := s.Table("state")
	if err != nil {
		t.Fatal(err)
	}
	if it := tbl.Items[0]; attr(it, "version", "N") != "2" || attr(it, "data", "S") != "v2" {
		t.Errorf("got item %v, want version 2 with data v2", it)
	}
}

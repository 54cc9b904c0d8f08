package dynamodbfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/crc32"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

func avS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func avN(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// createTable creates an on-demand table keyed by pk (S) and, if sorted,
// sk (S), failing the test on error.
func createTable(t *testing.T, c *dynamodb.Client, name string, sorted bool) *types.TableDescription {
	t.Helper()
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
	}
	if sorted {
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange})
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS})
	}
	out, err := c.CreateTable(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateTable(%s): %v", name, err)
	}
	return out.TableDescription
}

// attr returns the typ form of attribute name of an item from Tables.Table,
// or nil.
func attr(it map[string]any, name, typ string) any {
	v, _ := it[name].(map[string]any)
	return v[typ]
}

// wantValidation fails the test unless err is a ValidationException whose
// message contains msg.
func wantValidation(t *testing.T, err error, msg string) {
	t.Helper()
	awstest.WantCode(t, err, "ValidationException")
	if got := awstest.Message(err); !strings.Contains(got, msg) {
		t.Errorf("got message %q, want it to contain %q", got, msg)
	}
}

var tableARNPattern = regexp.MustCompile(`^arn:aws:dynamodb:us-east-1:123456789012:table/state$`)

func TestDynamoTableLifecycle(t *testing.T) {
	s, url := start(t)
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	ctx := t.Context()

	created := createTable(t, c, "state", true)
	if created.TableStatus != types.TableStatusActive || !tableARNPattern.MatchString(aws.ToString(created.TableArn)) {
		t.Errorf("created: got status %s ARN %s, want ACTIVE and %s", created.TableStatus, aws.ToString(created.TableArn), tableARNPattern)
	}
	desc, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("state")})
	if err != nil {
		t.Fatal(err)
	}
	ks := desc.Table.KeySchema
	if len(ks) != 2 || aws.ToString(ks[0].AttributeName) != "pk" || ks[1].KeyType != types.KeyTypeRange {
		t.Errorf("got key schema %+v, want pk HASH, sk RANGE", ks)
	}
	if bm := desc.Table.BillingModeSummary; bm == nil || bm.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("got billing mode summary %+v, want PAY_PER_REQUEST", bm)
	}

	_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("state"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
	})
	if !awstest.IsType[*types.ResourceInUseException](err) {
		t.Errorf("second CreateTable: got %v, want ResourceInUseException", err)
	}
	_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("other"), BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	wantValidation(t, err, "AttributeDefinitions")

	if _, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("state")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("state")})
	if !awstest.IsType[*types.ResourceNotFoundException](err) {
		t.Errorf("DescribeTable after DeleteTable: got %v, want ResourceNotFoundException", err)
	}
	if _, err := s.Table("state"); !errors.Is(err, awsfake.ErrNotFound) {
		t.Errorf("Table after DeleteTable: got %v, want awsfake.ErrNotFound", err)
	}
}

func TestDynamoTTLAndPITR(t *testing.T) {
	clock := awstest.NewClock()
	s, url := start(t, awsfake.WithClock(clock.Now))
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	ctx := t.Context()
	createTable(t, c, "state", false)
	name := aws.String("state")

	ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: name})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusDisabled {
		t.Fatalf("initial TTL: got %+v, %v; want DISABLED", ttl, err)
	}
	spec := &types.TimeToLiveSpecification{AttributeName: aws.String("expires_at"), Enabled: aws.Bool(true)}
	if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: name, TimeToLiveSpecification: spec}); err != nil {
		t.Fatal(err)
	}
	ttl, err = c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: name})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != "expires_at" {
		t.Errorf("got TTL %+v, want ENABLED on expires_at", d)
	}
	_, err = c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: name, TimeToLiveSpecification: spec})
	wantValidation(t, err, "TimeToLive is already enabled")

	_, err = c.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: name,
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := c.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: name})
	if err != nil {
		t.Fatal(err)
	}
	p := cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription
	if p.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled || !aws.ToTime(p.EarliestRestorableDateTime).Equal(clock.Now()) {
		t.Errorf("got PITR %+v, want ENABLED since %v", p, clock.Now())
	}
	_, err = c.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("nope")})
	if !awstest.IsType[*types.TableNotFoundException](err) {
		t.Errorf("DescribeContinuousBackups of a missing table: got %v, want TableNotFoundException", err)
	}

	// An expired item stays readable until the TTL sweep runs.
	now := clock.Now().Unix()
	// DynamoDB leaves a TTL more than five years old alone: likely not
	// epoch seconds.
	for id, exp := range map[string]int64{"old": now - 1, "new": now + 3600, "ancient": now - 6*365*24*3600} {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: name,
			Item: map[string]types.AttributeValue{"pk": avS(id), "expires_at": avN(strconv.FormatInt(exp, 10))}}); err != nil {
			t.Fatal(err)
		}
	}
	old, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: name, Key: map[string]types.AttributeValue{"pk": avS("old")}})
	if err != nil || old.Item == nil {
		t.Fatalf("expired item before the sweep: got %v, %v; want it still there", old.Item, err)
	}
	if n, err := s.ExpireItems("state"); err != nil || n != 1 {
		t.Fatalf("ExpireItems: got %d, %v; want 1", n, err)
	}
	tbl, err := s.Table("state")
	if err != nil {
		t.Fatal(err)
	}
	if tbl.TTLAttribute != "expires_at" || !tbl.PointInTimeRecovery {
		t.Errorf("Table: got TTL %q PITR %t, want expires_at and true", tbl.TTLAttribute, tbl.PointInTimeRecovery)
	}
	if got := itemKeys(t, s, "state"); !slices.Equal(got, []string{"ancient", "new"}) {
		t.Errorf("after ExpireItems: got items %q, want ancient and new", got)
	}
}

func TestDynamoAuth(t *testing.T) {
	s, url := start(t)
	admin := s.SeedUser("admin", true)
	bob := s.SeedUser("bob", false)
	createTable(t, awstest.DynamoDB(url, admin), "state", false)
	get := func(c aws.Credentials) error {
		_, err := awstest.DynamoDB(url, c).GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("state"), Key: map[string]types.AttributeValue{"pk": avS("x")}})
		return err
	}
	wrong := admin
	wrong.SecretAccessKey = strings.Repeat("x", 40)
	err := get(wrong)
	awstest.WantCode(t, err, "InvalidSignatureException")
	if got := awstest.HTTPStatus(err); got != http.StatusBadRequest {
		t.Errorf("wrong secret: got HTTP %d, want 400", got)
	}
	awstest.WantCode(t, get(aws.Credentials{AccessKeyID: "AKIAAAAAAAAAAAAAAAAA", SecretAccessKey: "x"}), "UnrecognizedClientException")
	err = get(bob)
	awstest.WantCode(t, err, "AccessDeniedException")
	if msg := awstest.Message(err); !strings.Contains(msg, "dynamodb:GetItem") || !strings.Contains(msg, s.UserARN("bob")) {
		t.Errorf("AccessDenied message %q lacks the action or the caller", msg)
	}
	if err := get(admin); err != nil {
		t.Errorf("admin: %v", err)
	}
	if got := s.Calls("GetItem"); got != 4 {
		t.Errorf("got %d GetItem calls, want 4", got)
	}
}

func TestDynamoFaults(t *testing.T) {
	s, url := start(t)
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	createTable(t, c, "state", false)
	put := func() error {
		_, err := c.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String("state"), Item: map[string]types.AttributeValue{"pk": avS("x")}})
		return err
	}
	s.FailNext("PutItem", 1, awsfake.Throttling)
	s.FailNext("PutItem", 1, awsfake.ServiceFailure.AfterEffect())
	if err := put(); !awstest.IsType[*types.ThrottlingException](err) {
		t.Errorf("throttled put: got %v, want ThrottlingException", err)
	}
	if tbl, _ := s.Table("state"); len(tbl.Items) != 0 {
		t.Errorf("a throttled put stored %v", tbl.Items)
	}
	if err := put(); !awstest.IsType[*types.InternalServerError](err) || awstest.HTTPStatus(err) != http.StatusInternalServerError {
		t.Errorf("failed put: got %v, want InternalServerError with HTTP 500", err)
	}
	if tbl, _ := s.Table("state"); len(tbl.Items) != 1 {
		t.Errorf("a put failing after its effect stored %d items, want 1", len(tbl.Items))
	}
}

// TestDynamoWireErrors reads an error answer as sent: DynamoDB's __type
// namespace and the checksum header.
func TestDynamoWireErrors(t *testing.T) {
	s, url := start(t)
	admin := s.SeedUser("admin", true)
	req := awstest.SignedJSONRequest(t, url, admin, "dynamodb", "DynamoDB_20120810.DescribeTable")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	if err := json.Unmarshal(buf.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 || body["__type"] != "com.amazon.coral.validate#ValidationException" {
		t.Errorf("got %d %v, want 400 com.amazon.coral.validate#ValidationException", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/x-amz-json-1.0" {
		t.Errorf("got Content-Type %q, want application/x-amz-json-1.0", got)
	}
	if got, want := resp.Header.Get("X-Amz-Crc32"), strconv.FormatUint(uint64(crc32.ChecksumIEEE(buf.Bytes())), 10); got != want {
		t.Errorf("got X-Amz-Crc32 %q, want %s", got, want)
	}
}

// TestDynamoTableCopies checks that Tables.Table hands out every stored
// byte, raw, and copies that do not alias the store.
func TestDynamoTableCopies(t *testing.T) {
	s, url := start(t)
	c := awstest.DynamoDB(url, s.SeedUser("admin", true))
	createTable(t, c, "state", false)
	secret := []byte("wJalrXUtnFEMI/K7MDENG")
	if _, err := c.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String("state"), Item: map[string]types.AttributeValue{
		"pk": avS("k"), "sealed": &types.AttributeValueMemberB{Value: secret},
		"nested": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"inner": avS("plain " + string(secret))}},
	}}); err != nil {
		t.Fatal(err)
	}
	tbl, err := s.Table("state")
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := attr(tbl.Items[0], "sealed", "B").([]byte)
	if !ok || !bytes.Equal(raw, secret) {
		t.Fatalf("got sealed %v, want the raw bytes", attr(tbl.Items[0], "sealed", "B"))
	}
	nested, _ := attr(tbl.Items[0], "nested", "M").(map[string]any)
	if inner, _ := nested["inner"].(map[string]any); inner["S"] != "plain "+string(secret) {
		t.Errorf("got nested %v", nested)
	}
	raw[0] = 'X'
	again, _ := s.Table("state")
	if got := attr(again.Items[0], "sealed", "B").([]byte); !bytes.Equal(got, secret) {
		t.Errorf("changing a copy changed the store: %q", got)
	}
}

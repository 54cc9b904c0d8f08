package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/awsfake/awsfaketest"
)

// dynamoWorld is awsfake with a state table, and the config to reach it.
func dynamoWorld(t *testing.T) (*awsfaketest.Server, aws.Config) {
	t.Helper()
	fake, url := awsfaketest.Start(t)
	admin := fake.SeedUser("admin", true)
	cfg := aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(admin.AccessKeyID, admin.SecretAccessKey, ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts, o.MaxBackoff, o.RateLimiter = 4, 20*time.Millisecond, ratelimit.None
			})
		},
	}
	_, err := dynamodb.NewFromConfig(cfg).CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:   aws.String("rotatord"),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return fake, cfg
}

// TestDynamoStore: the DynamoDB store keeps what bbolt keeps: states that
// read back equal, events numbered across the store, names in order; a
// wrong protection key is refused; concurrent updates of one secret lose
// nothing; no stored byte holds a secret value in clear.
func TestDynamoStore(t *testing.T) {
	ctx := context.Background()
	fake, cfg := dynamoWorld(t)
	key := bytes.Repeat([]byte{7}, 32)
	st, err := OpenDynamo(ctx, cfg, "rotatord", key)
	if err != nil {
		t.Fatal(err)
	}
	const secretValue = "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY1"
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	for _, name := range []string{"/b/app", "/a/app", "/c/app"} {
		err := st.Update(ctx, name, func(tx *Tx) error {
			tx.Secret.UserName = "user" + name
			tx.Secret.Versions = append(tx.Secret.Versions, Version{N: 1, AccessKeyID: "AKIA" + name[1:2], State: Current, Created: at, Value: config.SecretValue(secretValue)})
			tx.Audit("r1", "version.created", "AKIA"+name[1:2], "version 1")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Get(ctx, "/a/app")
	if err != nil {
		t.Fatal(err)
	}
	if got.UserName != "user/a/app" || got.Current() == nil || got.Current().Value.Reveal() != secretValue {
		t.Errorf("read back %+v", got)
	}
	if _, err := st.Get(ctx, "/nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of an unknown secret: %v", err)
	}
	all, err := st.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range all {
		names = append(names, s.Name)
	}
	if fmt.Sprint(names) != "[/a/app /b/app /c/app]" {
		t.Errorf("List = %v, want the three in name order", names)
	}
	h, err := st.History(ctx, "/c/app")
	if err != nil || len(h) != 1 || h[0].Kind != "version.created" || h[0].Seq != 3 || h[0].Secret != "/c/app" {
		t.Errorf("History = %+v, %v; want one event, the store's third", h, err)
	}
	if _, err := st.History(ctx, "/nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("History of an unknown secret: %v", err)
	}

	// Concurrent updates of one secret: each adds a version; none is lost.
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			err := st.Update(ctx, "/a/app", func(tx *Tx) error {
				tx.Secret.Versions = append(tx.Secret.Versions, Version{N: tx.Secret.NextN(), AccessKeyID: "AKIAX", State: Retired, Created: at})
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, _ := st.Get(ctx, "/a/app"); got == nil || len(got.Versions) != 7 || got.NextN() != 8 {
		t.Errorf("after 6 concurrent updates: %d versions", len(got.Versions))
	}

	if _, err := OpenDynamo(ctx, cfg, "rotatord", bytes.Repeat([]byte{8}, 32)); !errors.Is(err, ErrWrongKey) {
		t.Errorf("another protection key: %v, want ErrWrongKey", err)
	}

	table, err := fake.Table("rotatord")
	if err != nil {
		t.Fatal(err)
	}
	if len(table.Items) == 0 {
		t.Fatal("the table holds no items")
	}
	scanned := 0
	for _, item := range table.Items {
		if bytes.Contains([]byte(fmt.Sprint(item)), []byte(secretValue)) {
			t.Fatalf("an item holds the secret in clear: %v", item)
		}
		for _, v := range item {
			if m, ok := v.(map[string]any); ok {
				if b, ok := m["B"].([]byte); ok {
					scanned += len(b)
					if bytes.Contains(b, []byte(secretValue)) {
						t.Fatalf("an item's bytes hold the secret in clear")
					}
				}
			}
		}
	}
	if scanned < 1000 {
		t.Errorf("the scan read %d bytes of binary attributes: it missed the records", scanned)
	}
}

// TestDynamoLease: a lease is exclusive until it expires; a new holder
// gets a new token; a write under a lease that passed to another replica
// is refused with ErrFenced and changes nothing, while the new holder's
// writes land (and the lost lease's view still reads, and writes other
// secrets); renewal keeps the token and fails once the lease is lost.
func TestDynamoLease(t *testing.T) {
	ctx := context.Background()
	_, cfg := dynamoWorld(t)
	var mu sync.Mutex
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	key := bytes.Repeat([]byte{7}, 32)
	st, err := OpenDynamo(ctx, cfg, "rotatord", key, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.Acquire(ctx, "/app", "replica-a", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Acquire(ctx, "/app", "replica-b", 30*time.Second); !errors.Is(err, ErrLeaseHeld) || !strings.Contains(err.Error(), "replica-a") {
		t.Fatalf("a held lease taken again: %v", err)
	}
	write := func(l *Lease, user string) error {
		return st.Fenced(l).Update(ctx, "/app", func(tx *Tx) error {
			tx.Secret.UserName = user
			tx.Audit("r", "test.write", "", user)
			return nil
		})
	}
	if err := write(a, "a1"); err != nil {
		t.Fatal(err)
	}
	if err := st.Renew(ctx, a, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	advance(61 * time.Second) // a paused past its lease
	b, err := st.Acquire(ctx, "/app", "replica-b", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if b.Token <= a.Token {
		t.Errorf("the new holder's token %d is not above %d", b.Token, a.Token)
	}
	if err := write(a, "a2"); !errors.Is(err, ErrFenced) {
		t.Fatalf("a write under a lost lease: %v, want ErrFenced", err)
	}
	// The lease fences its own secret only; reads pass.
	if err := st.Fenced(a).Update(ctx, "/other", func(tx *Tx) error { tx.Secret.UserName = "o"; return nil }); err != nil {
		t.Errorf("a write of another secret through the lost lease's view: %v, want it to land", err)
	}
	if got, err := st.Fenced(a).Get(ctx, "/app"); err != nil || got.UserName != "a1" {
		t.Errorf("Get through the lost lease's view: %+v, %v; want a1's state", got, err)
	}
	if err := st.Renew(ctx, a, 30*time.Second); !errors.Is(err, ErrFenced) {
		t.Errorf("renewing a lost lease: %v, want ErrFenced", err)
	}
	if err := write(b, "b1"); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, "/app")
	if err != nil || got.UserName != "b1" {
		t.Fatalf("state %+v, %v; want b1's write", got, err)
	}
	h, _ := st.History(ctx, "/app")
	if len(h) != 2 || h[0].Detail != "a1" || h[1].Detail != "b1" {
		t.Errorf("history %+v: the fenced write left an event", h)
	}
	if err := st.Release(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Acquire(ctx, "/app", "replica-c", 30*time.Second); err != nil {
		t.Errorf("a released lease was not free: %v", err)
	}
}

// TestInitDynamoTable: state init makes the table the store needs (the
// key schema, on-demand billing, TTL on expires, point-in-time recovery),
// does nothing the second time, and refuses a table with other keys.
func TestInitDynamoTable(t *testing.T) {
	ctx := context.Background()
	fake, cfg := dynamoWorld(t) // it has a table "rotatord" already
	done, err := InitDynamoTable(ctx, cfg, "rotatord-state")
	if err != nil {
		t.Fatal(err)
	}
	if !done.Created || !done.TTL || !done.PITR {
		t.Errorf("first init did %+v, want everything", done)
	}
	table, err := fake.Table("rotatord-state")
	if err != nil {
		t.Fatal(err)
	}
	if table.HashKey != "pk" || table.RangeKey != "sk" || table.BillingMode != "PAY_PER_REQUEST" ||
		table.TTLAttribute != "expires" || !table.PointInTimeRecovery {
		t.Errorf("table %+v", table)
	}
	if again, err := InitDynamoTable(ctx, cfg, "rotatord-state"); err != nil || again != (TableSetup{}) {
		t.Errorf("second init did %+v, %v; want nothing", again, err)
	}
	if _, err := OpenDynamo(ctx, cfg, "rotatord-state", bytes.Repeat([]byte{7}, 32)); err != nil {
		t.Errorf("open the new table: %v", err)
	}
	_, err = dynamodb.NewFromConfig(cfg).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("other"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := InitDynamoTable(ctx, cfg, "other"); err == nil || !strings.Contains(err.Error(), "another key schema") {
		t.Errorf("a table with other keys: %v", err)
	}
}

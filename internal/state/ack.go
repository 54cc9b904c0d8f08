package state

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Ack is one host's acknowledgement that its own sinks of a secret (the
// host-local ones: files) hold a version. Replicas of one host share its
// files, so acknowledgements are kept per host: the replica's name without
// its per-process suffix (see HostOf).
type Ack struct {
	Secret string
	// Host is the replica's name without its suffix.
	Host string
	// Replica is the full name of the replica that acknowledged last.
	Replica string
	// Version is the version the host's own sinks hold.
	Version int
	At      time.Time
}

// HostOf returns the host part of a replica's name: what comes before its
// per-process suffix ("web-1#9f3a01bc" → "web-1").
func HostOf(replica string) string {
	host, _, _ := strings.Cut(replica, "#")
	return host
}

// ackTTL is how long an acknowledgement outlives its last write: longer
// than any rotation_interval, so that a live host's stays, while the ones
// of hosts long gone are cleaned up by DynamoDB's time to live.
const ackTTL = 400 * 24 * time.Hour

// Ack attribute names.
const (
	attrReplica = "replica"
	attrVersion = "version"
	attrAt      = "at"
)

func ackPK(secret string) string { return "ack#" + secret }

// Acknowledge records that replica's host holds version n of secret in its
// own sinks. It is not fenced by a lease: every replica writes only its
// own host's item.
func (d *Dynamo) Acknowledge(ctx context.Context, secret, replica string, n int) error {
	now := d.now()
	item := itemKey(ackPK(secret), HostOf(replica))
	item[attrReplica] = &types.AttributeValueMemberS{Value: replica}
	item[attrVersion] = &types.AttributeValueMemberN{Value: strconv.Itoa(n)}
	item[attrAt] = &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}
	item[attrExpires] = &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(ackTTL).Unix(), 10)}
	if _, err := d.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(d.table), Item: item}); err != nil {
		return fmt.Errorf("acknowledge version %d of %s for %s: %w", n, secret, replica, err)
	}
	return nil
}

// Acks returns every host's acknowledgement of secret.
func (d *Dynamo) Acks(ctx context.Context, secret string) ([]Ack, error) {
	var out []Ack
	err := d.query(ctx, ackPK(secret), func(item map[string]types.AttributeValue) error {
		v, err := strconv.Atoi(numberOf(item[attrVersion]))
		if err != nil {
			return fmt.Errorf("acknowledgement of %s: version %q", secret, numberOf(item[attrVersion]))
		}
		at, _ := strconv.ParseInt(numberOf(item[attrAt]), 10, 64)
		out = append(out, Ack{Secret: secret, Host: stringOf(item[attrSK]), Replica: stringOf(item[attrReplica]), Version: v, At: time.Unix(at, 0)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("acknowledgements of %s: %w", secret, err)
	}
	return out, nil
}

// numberOf returns a number attribute's text, "" for anything else.
func numberOf(v types.AttributeValue) string {
	if n, ok := v.(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return ""
}

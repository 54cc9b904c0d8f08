package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Lease is one replica's right to work on one secret until Expires. Token
// grows with every acquisition of the secret's lease by anyone: a write
// made under a lease (through Dynamo.Fenced) lands only while the lease's
// item still holds that owner and token, so a replica that paused past its
// lease cannot complete a step once another has taken the secret over.
type Lease struct {
	Secret  string
	Owner   string
	Token   uint64
	Expires time.Time
}

// ErrLeaseHeld: another replica holds the secret's lease.
var ErrLeaseHeld = errors.New("another replica holds the lease")

// HeldError is Acquire's answer when another replica holds the lease: it
// names the holder and when its lease expires. It wraps ErrLeaseHeld.
type HeldError struct {
	Secret string
	// Holder is the lease as stored; nil when it could not be read.
	Holder *Lease
}

func (e *HeldError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("lease of %s: %v", e.Secret, ErrLeaseHeld)
	}
	return fmt.Sprintf("lease of %s: %v: %s until %s", e.Secret, ErrLeaseHeld, e.Holder.Owner, e.Holder.Expires.UTC().Format(time.RFC3339))
}

func (e *HeldError) Unwrap() error { return ErrLeaseHeld }

// A store several replicas share (the DynamoDB store; bbolt, opened by
// one process, is not one) offers the interfaces below, each a concern of
// its own.

// Leaser takes, renews and gives up a secret's lease: the right to work
// on it until the lease expires.
type Leaser interface {
	Acquire(ctx context.Context, name, owner string, dur time.Duration) (*Lease, error)
	Renew(ctx context.Context, l *Lease, dur time.Duration) error
	Release(ctx context.Context, l *Lease) error
}

// LeaseReader tells who holds the leases.
type LeaseReader interface {
	// Holder returns the secret's lease as stored, expired or not.
	Holder(ctx context.Context, name string) (*Lease, error)
	// Leases returns the leases held now (not expired), by secret name.
	Leases(ctx context.Context) (map[string]*Lease, error)
}

// Membership records which replicas run: Heartbeat says that replica runs
// until dur from now, Replicas lists those whose heartbeat has not
// expired, Leave removes replica's (it stops).
type Membership interface {
	Heartbeat(ctx context.Context, replica string, dur time.Duration) error
	Replicas(ctx context.Context) ([]Replica, error)
	Leave(ctx context.Context, replica string) error
}

// Acknowledger records which version each host's own (host-local) sinks
// of a secret hold: Acknowledge for replica's host, Acks for every host.
type Acknowledger interface {
	Acknowledge(ctx context.Context, secret, replica string, n int) error
	Acks(ctx context.Context, secret string) ([]Ack, error)
}

// Replica is one running daemon on a shared store.
type Replica struct {
	Name    string
	Expires time.Time
}

// ErrFenced: a write under a lease was refused because the lease had
// passed to another replica.
var ErrFenced = errors.New("the lease passed to another replica; the write was refused")

// Fenced is a view of the DynamoDB store whose Updates of its lease's
// secret are made under the lease: each lands only while the lease's item
// still holds the lease's owner and token, and is refused with an error
// wrapping ErrFenced once the lease has passed to another replica. Reads,
// and Updates of other secrets, are the store's own. The daemon hands a
// rotation the view of the secret's lease as its store.
type Fenced struct {
	d     *Dynamo
	lease *Lease
}

// Fenced returns the view of d whose Updates of l's secret are
// conditional on l.
func (d *Dynamo) Fenced(l *Lease) *Fenced { return &Fenced{d: d, lease: l} }

// Get is the store's Get.
func (f *Fenced) Get(ctx context.Context, name string) (*Secret, error) {
	return f.d.Get(ctx, name)
}

// Update is the store's Update, conditional on the lease as well when name
// is the lease's secret.
func (f *Fenced) Update(ctx context.Context, name string, fn func(tx *Tx) error) error {
	return f.d.update(ctx, name, f.lease, fn)
}

// Lease attribute names.
const (
	attrOwner   = "owner"
	attrToken   = "token"
	attrExpires = "expires" // Unix seconds; also the table's TTL attribute
)

// Acquire takes the secret's lease for owner for dur: when no one holds
// it, its holder's lease has expired, or owner holds it already. Each
// acquisition gets a new token, so writes under an older lease of the
// same secret are refused from then on. Otherwise it returns an error
// wrapping ErrLeaseHeld that names the holder.
func (d *Dynamo) Acquire(ctx context.Context, name, owner string, dur time.Duration) (*Lease, error) {
	now := d.now()
	until := now.Add(dur)
	out, err := d.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &d.table,
		Key:                 leaseKeyOf(name),
		ConditionExpression: aws.String("attribute_not_exists(#pk) OR #exp < :now OR #owner = :me"),
		UpdateExpression:    aws.String("SET #owner = :me, #exp = :until, #token = if_not_exists(#token, :zero) + :inc"),
		ExpressionAttributeNames: map[string]string{
			"#pk": attrPK, "#owner": attrOwner, "#exp": attrExpires, "#token": attrToken,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":   &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
			":until": &types.AttributeValueMemberN{Value: strconv.FormatInt(until.Unix(), 10)},
			":me":    &types.AttributeValueMemberS{Value: owner},
			":zero":  &types.AttributeValueMemberN{Value: "0"},
			":inc":   &types.AttributeValueMemberN{Value: "1"},
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		held, _ := d.Holder(ctx, name)
		return nil, &HeldError{Secret: name, Holder: held}
	}
	if err != nil {
		return nil, fmt.Errorf("lease of %s: %w", name, err)
	}
	l, err := leaseFrom(name, out.Attributes)
	if err != nil {
		return nil, fmt.Errorf("lease of %s: %w", name, err)
	}
	return l, nil
}

// Renew extends l by dur from now, keeping its token. It returns an error
// wrapping ErrFenced when the lease has passed to another holder.
func (d *Dynamo) Renew(ctx context.Context, l *Lease, dur time.Duration) error {
	until := d.now().Add(dur)
	if err := d.setExpiry(ctx, l, until.Unix()); err != nil {
		return fmt.Errorf("renew the lease of %s: %w", l.Secret, err)
	}
	l.Expires = until.Truncate(time.Second)
	return nil
}

// setExpiry sets the expiry of l's item, if it still holds l's owner and
// token; otherwise it returns ErrFenced.
func (d *Dynamo) setExpiry(ctx context.Context, l *Lease, unix int64) error {
	_, err := d.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &d.table,
		Key:                      leaseKeyOf(l.Secret),
		ConditionExpression:      aws.String("#owner = :me AND #token = :tok"),
		UpdateExpression:         aws.String("SET #exp = :until"),
		ExpressionAttributeNames: map[string]string{"#owner": attrOwner, "#token": attrToken, "#exp": attrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":me":    &types.AttributeValueMemberS{Value: l.Owner},
			":tok":   &types.AttributeValueMemberN{Value: strconv.FormatUint(l.Token, 10)},
			":until": &types.AttributeValueMemberN{Value: strconv.FormatInt(unix, 10)},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ErrFenced
	}
	return err
}

// Holder returns the secret's lease as stored (nil when none was ever
// taken), expired or not.
func (d *Dynamo) Holder(ctx context.Context, name string) (*Lease, error) {
	out, err := d.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &d.table, Key: leaseKeyOf(name), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		return nil, err
	}
	return leaseFrom(name, out.Item)
}

// Leases returns the leases held now (not expired), by secret name: a
// Query of each lease shard.
func (d *Dynamo) Leases(ctx context.Context) (map[string]*Lease, error) {
	now := d.now()
	out := map[string]*Lease{}
	for shard := range stateShards {
		err := d.query(ctx, "lease#"+strconv.Itoa(shard), func(item map[string]types.AttributeValue) error {
			name := stringOf(item[attrSK])
			l, err := leaseFrom(name, item)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if l.Expires.After(now) {
				out[name] = l
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list leases: %w", err)
		}
	}
	return out, nil
}

// Release gives the lease up at once, unless it has passed to another
// holder meanwhile (then there is nothing to give up).
func (d *Dynamo) Release(ctx context.Context, l *Lease) error {
	err := d.setExpiry(ctx, l, 0)
	if err != nil && !errors.Is(err, ErrFenced) {
		return fmt.Errorf("release the lease of %s: %w", l.Secret, err)
	}
	return nil
}

// fence is the condition a write under l adds to its transaction.
func (d *Dynamo) fence(l *Lease) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName:                &d.table,
		Key:                      leaseKeyOf(l.Secret),
		ConditionExpression:      aws.String("#owner = :me AND #token = :tok"),
		ExpressionAttributeNames: map[string]string{"#owner": attrOwner, "#token": attrToken},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":me":  &types.AttributeValueMemberS{Value: l.Owner},
			":tok": &types.AttributeValueMemberN{Value: strconv.FormatUint(l.Token, 10)},
		},
	}}
}

func leaseKeyOf(name string) map[string]types.AttributeValue {
	return itemKey("lease#"+shardOf(name), name)
}

func leaseFrom(name string, item map[string]types.AttributeValue) (*Lease, error) {
	owner, _ := item[attrOwner].(*types.AttributeValueMemberS)
	token, _ := item[attrToken].(*types.AttributeValueMemberN)
	exp, _ := item[attrExpires].(*types.AttributeValueMemberN)
	if owner == nil || token == nil || exp == nil {
		return nil, errors.New("a lease item without its owner, token or expiry")
	}
	tok, err := strconv.ParseUint(token.Value, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("lease token %q: %w", token.Value, err)
	}
	secs, err := strconv.ParseInt(exp.Value, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("lease expiry %q: %w", exp.Value, err)
	}
	return &Lease{Secret: name, Owner: owner.Value, Token: tok, Expires: time.Unix(secs, 0)}, nil
}

// replicasPK is the partition of the running replicas' heartbeats.
const replicasPK = "replicas"

// Heartbeat records that replica runs until dur from now. The item
// carries the TTL attribute, so a replica that died is cleaned up.
func (d *Dynamo) Heartbeat(ctx context.Context, replica string, dur time.Duration) error {
	item := itemKey(replicasPK, replica)
	item[attrExpires] = &types.AttributeValueMemberN{Value: strconv.FormatInt(d.now().Add(dur).Unix(), 10)}
	if _, err := d.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &d.table, Item: item}); err != nil {
		return fmt.Errorf("heartbeat of replica %s: %w", replica, err)
	}
	return nil
}

// Leave removes replica's heartbeat.
func (d *Dynamo) Leave(ctx context.Context, replica string) error {
	if _, err := d.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &d.table, Key: itemKey(replicasPK, replica)}); err != nil {
		return fmt.Errorf("remove the heartbeat of replica %s: %w", replica, err)
	}
	return nil
}

// Replicas lists the replicas whose heartbeat has not expired, by name.
// (DynamoDB's TTL deletes expired items late, so expiry is checked here.)
func (d *Dynamo) Replicas(ctx context.Context) ([]Replica, error) {
	now := d.now()
	var out []Replica
	err := d.query(ctx, replicasPK, func(item map[string]types.AttributeValue) error {
		exp, _ := item[attrExpires].(*types.AttributeValueMemberN)
		if exp == nil {
			return nil
		}
		secs, err := strconv.ParseInt(exp.Value, 10, 64)
		if err != nil {
			return fmt.Errorf("replica expiry %q: %w", exp.Value, err)
		}
		if t := time.Unix(secs, 0); t.After(now) {
			out = append(out, Replica{Name: stringOf(item[attrSK]), Expires: t})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list replicas: %w", err)
	}
	return out, nil
}

var (
	_ Leaser       = (*Dynamo)(nil)
	_ LeaseReader  = (*Dynamo)(nil)
	_ Membership   = (*Dynamo)(nil)
	_ Acknowledger = (*Dynamo)(nil)
)

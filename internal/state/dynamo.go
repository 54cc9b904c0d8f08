package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rotatord/rotatord/internal/awscall"
)

// Dynamo is the state store on an Amazon DynamoDB table, for several
// replicas of rotatord sharing one state. It keeps what Bolt keeps, in the
// same encoding: each secret's record (its values sealed with the
// protection key, exactly as in bbolt) and its audit events. Every write
// is conditional on the record it read, so a writer that read a stale
// record fails and starts over; a write under a lease (through Fenced) is
// also conditional on the lease, so a replica that lost it cannot write.
//
// The table has a string partition key "pk" and a string sort key "sk":
//
//	pk "state#N", sk NAME     a secret's record ("rec") and its version
//	                          ("ver"); N = a hash of NAME mod stateShards,
//	                          so that listing is a Query per shard
//	pk "events#NAME", sk SEQ  one audit event ("ev"), SEQ zero-padded
//	pk "meta", sk "keycheck"  the protection key check
//	pk "meta", sk "seq"       the store-wide event sequence ("n")
//	pk "lease#N", sk NAME     the secret's lease: owner, token, expires
type Dynamo struct {
	db    *dynamodb.Client
	table string
	seal  *Sealer
	now   func() time.Time
	cache decoded
}

// stateShards is how many partitions hold the secrets' records: listing
// queries each, and no partition takes every write.
const stateShards = 16

// Attribute names; always written through ExpressionAttributeNames, as
// some are DynamoDB reserved words.
const (
	attrPK, attrSK      = "pk", "sk"
	attrRec, attrVer    = "rec", "ver"
	attrEvent, attrSeqN = "ev", "n"
	attrCheck           = "check"
)

// OpenDynamo opens the store on an existing table (rotatord state init
// creates it). It checks the protection key against the table's key check,
// writing one into an empty table. Each DynamoDB call ends within
// awscall.DefaultTimeout, or cfg's own shorter bound.
func OpenDynamo(ctx context.Context, cfg aws.Config, table string, key []byte, opts ...Option) (*Dynamo, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	seal, err := NewSealer(key)
	if err != nil {
		return nil, err
	}
	awscall.Bound(&cfg, awscall.DefaultTimeout)
	d := &Dynamo{db: dynamodb.NewFromConfig(cfg), table: table, seal: seal, now: o.now}
	if err := d.checkKey(ctx); err != nil {
		if noTable(err) {
			return nil, &NoTableError{Table: table, Region: cfg.Region}
		}
		return nil, fmt.Errorf("open state table %s: %w", table, err)
	}
	return d, nil
}

func (d *Dynamo) checkKey(ctx context.Context) error {
	key := itemKey("meta", "keycheck")
	out, err := d.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &d.table, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return err
	}
	if out.Item == nil {
		item := itemKey("meta", "keycheck")
		item[attrCheck] = &types.AttributeValueMemberB{Value: d.seal.seal([]byte(keyCheckPlain), []byte(adKeyCheck))}
		_, err := d.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: &d.table, Item: item,
			ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames: map[string]string{"#pk": attrPK},
		})
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return d.checkKey(ctx) // another replica wrote it first
		}
		return err
	}
	b, _ := out.Item[attrCheck].(*types.AttributeValueMemberB)
	if b == nil {
		return errors.New("the key check item holds no check")
	}
	plain, err := d.seal.open(b.Value, []byte(adKeyCheck))
	if err != nil || !bytes.Equal(plain, []byte(keyCheckPlain)) {
		return fmt.Errorf("%w; use the protection key the state table was created with (state.protection_key_file)", ErrWrongKey)
	}
	return nil
}

// Close releases nothing: the table outlives the process.
func (d *Dynamo) Close() error { return nil }

// Get returns the named secret's state, or an error wrapping ErrNotFound.
func (d *Dynamo) Get(ctx context.Context, name string) (*Secret, error) {
	_, _, s, err := d.read(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	if s == nil {
		return nil, fmt.Errorf("get %s: %w", name, ErrNotFound)
	}
	return s, nil
}

// read returns a secret's stored record, its version and its decoded
// state (nil when the table has none), with a strongly consistent read.
func (d *Dynamo) read(ctx context.Context, name string) ([]byte, string, *Secret, error) {
	out, err := d.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &d.table, Key: stateKey(name), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, "", nil, err
	}
	if out.Item == nil {
		return nil, "", nil, nil
	}
	raw, ver, err := recordOf(out.Item)
	if err != nil {
		return nil, "", nil, err
	}
	s, err := d.decode(name, raw)
	return raw, ver, s, err
}

// decode decodes a record, through the cache of recently decoded ones.
func (d *Dynamo) decode(name string, raw []byte) (*Secret, error) {
	if s, ok := d.cache.get(name, raw); ok {
		return s, nil
	}
	s, err := decodeSecret(d.seal, raw)
	if err == nil {
		d.cache.put(name, raw, s)
	}
	return s, err
}

// maxDynamoConflicts is how often an Update starts over because another
// writer changed the secret between its read and its write.
const maxDynamoConflicts = 10

// Update runs fn on a copy of the named secret's state (Secret{Name: name}
// if the table has none) and, if fn returns nil, writes the state and
// tx.Events in one transaction that fails if the record changed since it
// was read; it then starts over, up to maxDynamoConflicts times. Events
// get store-wide increasing sequence numbers (with gaps where a
// transaction failed). fn must only modify tx.
func (d *Dynamo) Update(ctx context.Context, name string, fn func(tx *Tx) error) error {
	return d.update(ctx, name, nil, fn)
}

// update is Update, conditional on lease too when it is the secret's.
func (d *Dynamo) update(ctx context.Context, name string, lease *Lease, fn func(tx *Tx) error) error {
	if name == "" {
		return errors.New("update: empty secret name")
	}
	for range maxDynamoConflicts {
		_, ver, s, err := d.read(ctx, name)
		if err != nil {
			return fmt.Errorf("update %s: %w", name, err)
		}
		if s == nil {
			s = &Secret{Name: name}
		}
		tx := NewTx(s, d.now)
		if err := fn(tx); err != nil {
			return err
		}
		done, err := d.write(ctx, name, ver, tx, lease)
		if err != nil {
			return fmt.Errorf("update %s: %w", name, err)
		}
		if done {
			return nil
		}
	}
	return fmt.Errorf("update %s: %d other writers changed it meanwhile; try again", name, maxDynamoConflicts)
}

// write stores what fn left, conditional on the record's version ("" for
// none) and, when it is the secret's, on lease (nil: none). It reports
// false when another writer got there first.
func (d *Dynamo) write(ctx context.Context, name, ver string, tx *Tx, lease *Lease) (bool, error) {
	data, events, err := encodeTx(d.seal, d.now, name, tx)
	if err != nil {
		return false, err
	}
	next := 1
	if ver != "" {
		n, err := strconv.Atoi(ver)
		if err != nil {
			return false, fmt.Errorf("record version %q is not a number", ver)
		}
		next = n + 1
	}
	put := &types.Put{
		TableName: &d.table,
		Item: withKey(stateKey(name), map[string]types.AttributeValue{
			attrRec: &types.AttributeValueMemberB{Value: data},
			attrVer: &types.AttributeValueMemberN{Value: strconv.Itoa(next)},
		}),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
	}
	if ver != "" {
		put.ExpressionAttributeNames = map[string]string{"#ver": attrVer}
		put.ConditionExpression = aws.String("#ver = :ver")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":ver": &types.AttributeValueMemberN{Value: ver}}
	}
	items := []types.TransactWriteItem{{Put: put}}
	if len(events) > 0 {
		first, err := d.sequence(ctx, len(events))
		if err != nil {
			return false, err
		}
		for i, ev := range events {
			items = append(items, types.TransactWriteItem{Put: &types.Put{
				TableName: &d.table,
				Item: withKey(itemKey("events#"+name, seqSK(first+uint64(i))), map[string]types.AttributeValue{
					attrEvent: &types.AttributeValueMemberB{Value: ev},
				}),
			}})
		}
	}
	if lease != nil && lease.Secret == name {
		items = append(items, d.fence(lease))
	}
	_, err = d.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		failed := func(i int) bool {
			return i < len(tc.CancellationReasons) && aws.ToString(tc.CancellationReasons[i].Code) == "ConditionalCheckFailed"
		}
		switch {
		case lease != nil && lease.Secret == name && failed(len(items)-1):
			return false, fmt.Errorf("%w (held by %s with token %d)", ErrFenced, lease.Owner, lease.Token)
		case failed(0):
			return false, nil
		}
	}
	if err != nil {
		return false, err
	}
	d.cache.put(name, data, normalized(tx.Secret))
	return true, nil
}

// sequence reserves n event sequence numbers and returns the first.
func (d *Dynamo) sequence(ctx context.Context, n int) (uint64, error) {
	out, err := d.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &d.table,
		Key:                       itemKey("meta", "seq"),
		UpdateExpression:          aws.String("ADD #n :k"),
		ExpressionAttributeNames:  map[string]string{"#n": attrSeqN},
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberN{Value: strconv.Itoa(n)}},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, fmt.Errorf("event sequence: %w", err)
	}
	v, _ := out.Attributes[attrSeqN].(*types.AttributeValueMemberN)
	if v == nil {
		return 0, errors.New("event sequence: no value returned")
	}
	last, err := strconv.ParseUint(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("event sequence %q: %w", v.Value, err)
	}
	return last - uint64(n) + 1, nil
}

// List returns every secret's state, sorted by name.
func (d *Dynamo) List(ctx context.Context) ([]*Secret, error) { return listAll(ctx, d.Each) }

// Each calls fn with every secret's state, sorted by name. It reads each
// shard in turn and holds the decoded states of all of them only as
// records: they are decoded one at a time, in name order.
func (d *Dynamo) Each(ctx context.Context, fn func(*Secret) error) error {
	type rec struct {
		name string
		raw  []byte
	}
	var all []rec
	for shard := range stateShards {
		err := d.query(ctx, "state#"+strconv.Itoa(shard), func(item map[string]types.AttributeValue) error {
			raw, _, err := recordOf(item)
			if err != nil {
				return err
			}
			all = append(all, rec{name: stringOf(item[attrSK]), raw: raw})
			return nil
		})
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
	}
	slices.SortFunc(all, func(a, b rec) int { return strings.Compare(a.name, b.name) })
	for _, r := range all {
		s, err := d.decode(r.name, r.raw)
		if err != nil {
			return fmt.Errorf("list: %s: %w", r.name, err)
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

// History returns the named secret's audit events, oldest first: none for
// a secret that has state but no events, an error wrapping ErrNotFound
// for one the table does not know.
func (d *Dynamo) History(ctx context.Context, name string) ([]Event, error) {
	var out []Event
	err := d.query(ctx, "events#"+name, func(item map[string]types.AttributeValue) error {
		seq, err := strconv.ParseUint(stringOf(item[attrSK]), 10, 64)
		if err != nil {
			return fmt.Errorf("event key %q is not a sequence number", stringOf(item[attrSK]))
		}
		b, _ := item[attrEvent].(*types.AttributeValueMemberB)
		if b == nil {
			return fmt.Errorf("event %d holds no event", seq)
		}
		e, err := decodeEvent(seq, b.Value)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", name, err)
	}
	if len(out) == 0 {
		if _, _, s, err := d.read(ctx, name); err != nil {
			return nil, fmt.Errorf("history %s: %w", name, err)
		} else if s == nil {
			return nil, fmt.Errorf("history %s: %w", name, ErrNotFound)
		}
	}
	return out, nil
}

// query calls fn with every item of a partition, in sort key order, with
// strongly consistent reads.
func (d *Dynamo) query(ctx context.Context, pk string, fn func(map[string]types.AttributeValue) error) error {
	p := dynamodb.NewQueryPaginator(d.db, &dynamodb.QueryInput{
		TableName:                 &d.table,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, item := range page.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
	}
	return nil
}

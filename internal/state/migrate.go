package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	bolt "go.etcd.io/bbolt"
)

// ErrExists means the store already holds state for a secret that was to
// be imported.
var ErrExists = errors.New("the store already holds state for this secret")

// Importer is a store that can take a secret's state and audit log as
// another store holds them, for Migrate.
type Importer interface {
	// Import writes s and its events exactly as given: events keep their
	// Seq and Time, values are sealed with this store's protection key as
	// Update seals them. It fails with an error wrapping ErrExists if the
	// store already holds state for s.Name. Afterwards the events that
	// Updates append get sequence numbers above every imported one. events
	// must be s's History, oldest first: Seq strictly increasing.
	Import(ctx context.Context, s *Secret, events []Event) error
}

// MigrateStats counts what Migrate copied.
type MigrateStats struct {
	Secrets  int
	Versions int
	Events   int
}

// migrateSource is what copyStore reads of the store it copies.
type migrateSource interface {
	Each(ctx context.Context, fn func(*Secret) error) error
	AuditLog
}

// migrateDest is what copyStore needs of the store it copies into.
type migrateDest interface {
	Each(ctx context.Context, fn func(*Secret) error) error
	Importer
}

// copyStore copies every secret's state and history from one store into
// another, in name order, unchanged. It refuses a destination that holds
// any state already, and writes nothing then. Nothing must write to either
// store meanwhile. On an error the destination holds the secrets copied
// before it (their count is in the stats), and the error names the secret.
func copyStore(ctx context.Context, from migrateSource, to migrateDest) (MigrateStats, error) {
	var stats MigrateStats
	held := 0
	err := to.Each(ctx, func(*Secret) error { held++; return nil })
	if err != nil {
		return stats, fmt.Errorf("read the destination: %w", err)
	}
	switch {
	case held == 1:
		return stats, errors.New("the destination already holds state (1 secret); migrate only into an empty store")
	case held > 1:
		return stats, fmt.Errorf("the destination already holds state (%d secrets); migrate only into an empty store", held)
	}
	err = from.Each(ctx, func(s *Secret) error {
		events, err := from.History(ctx, s.Name)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", s.Name, err)
		}
		if err := to.Import(ctx, s, events); err != nil {
			return fmt.Errorf("migrate %s: %w", s.Name, err)
		}
		stats.Secrets++
		stats.Versions += len(s.Versions)
		stats.Events += len(events)
		return nil
	})
	return stats, err
}

// importEvent is an imported event, encoded, with its sequence number.
type importEvent struct {
	seq  uint64
	data []byte
}

// encodeImport checks and encodes what Import writes: the secret's record
// (values sealed by seal) and its events, and returns the largest Seq.
func encodeImport(seal *Sealer, s *Secret, events []Event) ([]byte, []importEvent, uint64, error) {
	if s == nil || s.Name == "" {
		return nil, nil, 0, errors.New("import: a secret without a name")
	}
	data, err := encodeSecret(seal, s)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("encode: %w", err)
	}
	var out []importEvent
	var last uint64
	for _, e := range events {
		switch {
		case e.Secret != "" && e.Secret != s.Name:
			return nil, nil, 0, fmt.Errorf("event %d belongs to %s", e.Seq, e.Secret)
		case e.Seq <= last:
			return nil, nil, 0, fmt.Errorf("event sequence %d after %d: events must be oldest first, numbered from 1", e.Seq, last)
		}
		last = e.Seq
		e.Secret = s.Name
		ev, err := encodeEvent(e)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("encode event %d: %w", e.Seq, err)
		}
		out = append(out, importEvent{seq: e.Seq, data: ev})
	}
	return data, out, last, nil
}

// Import writes s and its events in one durable transaction, refused with
// ErrExists if the file holds a record or an event log for s.Name. The
// events bucket's sequence is moved past the largest imported Seq.
func (b *Bolt) Import(ctx context.Context, s *Secret, events []Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	data, evs, maxSeq, err := encodeImport(b.seal, s, events)
	if err != nil {
		return err
	}
	name := []byte(s.Name)
	err = b.db.Update(func(btx *bolt.Tx) error {
		secrets, logs := btx.Bucket(bucketSecrets), btx.Bucket(bucketEvents)
		if secrets.Get(name) != nil || logs.Bucket(name) != nil {
			return ErrExists
		}
		secrets.FillPercent = fillPercent
		if err := secrets.Put(name, data); err != nil {
			return fmt.Errorf("put: %w", err)
		}
		if len(evs) == 0 {
			return nil
		}
		log, err := logs.CreateBucket(name)
		if err != nil {
			return fmt.Errorf("events: %w", err)
		}
		log.FillPercent = fillPercent
		for _, e := range evs {
			if err := log.Put(seqKey(e.seq), e.data); err != nil {
				return fmt.Errorf("put event: %w", err)
			}
		}
		if maxSeq > logs.Sequence() {
			if err := logs.SetSequence(maxSeq); err != nil {
				return fmt.Errorf("event sequence: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

// Import writes s's record and its events as Update writes them: the
// record with version 1, conditional on there being none, and each event
// under its own Seq. The store-wide sequence is raised first to the
// largest imported Seq (never lowered).
//
// Atomicity: a secret with at most maxTransactItems-1 events is written in
// one transaction, all or nothing. A longer history takes several: the
// events first, in transactions of maxTransactItems, and the record last,
// with the final ones. A failure in between leaves events without a
// record, which List and Get do not see; importing the secret again
// completes it, as an event's put is conditional on its item being absent
// or holding the same event.
func (d *Dynamo) Import(ctx context.Context, s *Secret, events []Event) error {
	data, evs, maxSeq, err := encodeImport(d.seal, s, events)
	if err != nil {
		return err
	}
	out, err := d.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &d.table, Key: stateKey(s.Name), ConsistentRead: aws.Bool(true)})
	switch {
	case err != nil:
		return fmt.Errorf("import: %w", err)
	case out.Item != nil:
		return fmt.Errorf("import: %w", ErrExists)
	}
	if err := d.raiseSequence(ctx, maxSeq); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	for len(evs) > maxTransactItems-1 {
		if err := d.importItems(ctx, s.Name, nil, evs[:maxTransactItems]); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		evs = evs[maxTransactItems:]
	}
	if err := d.importItems(ctx, s.Name, data, evs); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	d.cache.put(s.Name, data, normalized(s))
	return nil
}

// maxTransactItems is the most items one TransactWriteItems may write.
const maxTransactItems = 100

// importItems writes events and, unless data is nil, the secret's record
// (first) in one transaction.
func (d *Dynamo) importItems(ctx context.Context, name string, data []byte, evs []importEvent) error {
	var items []types.TransactWriteItem
	if data != nil {
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: &d.table,
			Item: withKey(stateKey(name), map[string]types.AttributeValue{
				attrRec: &types.AttributeValueMemberB{Value: data},
				attrVer: &types.AttributeValueMemberN{Value: "1"},
			}),
			ExpressionAttributeNames: map[string]string{"#pk": attrPK},
			ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		}})
	}
	first := len(items)
	for _, e := range evs {
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: &d.table,
			Item: withKey(itemKey("events#"+name, seqSK(e.seq)), map[string]types.AttributeValue{
				attrEvent: &types.AttributeValueMemberB{Value: e.data},
			}),
			ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#ev": attrEvent},
			ExpressionAttributeValues: map[string]types.AttributeValue{":ev": &types.AttributeValueMemberB{Value: e.data}},
			ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #ev = :ev"),
		}})
	}
	if len(items) == 0 {
		return nil
	}
	_, err := d.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		for i, r := range tc.CancellationReasons {
			if aws.ToString(r.Code) != "ConditionalCheckFailed" {
				continue
			}
			if i < first {
				return ErrExists
			}
			if i-first < len(evs) {
				return fmt.Errorf("event %d: the table holds another event under that sequence number", evs[i-first].seq)
			}
		}
	}
	return err
}

// raiseSequence sets the store-wide event sequence to n unless it is
// there or beyond already.
func (d *Dynamo) raiseSequence(ctx context.Context, n uint64) error {
	if n == 0 {
		return nil
	}
	_, err := d.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &d.table,
		Key:                       itemKey("meta", "seq"),
		UpdateExpression:          aws.String("SET #n = :m"),
		ConditionExpression:       aws.String("attribute_not_exists(#n) OR #n < :m"),
		ExpressionAttributeNames:  map[string]string{"#n": attrSeqN},
		ExpressionAttributeValues: map[string]types.AttributeValue{":m": &types.AttributeValueMemberN{Value: strconv.FormatUint(n, 10)}},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil // at n or beyond already
	}
	if err != nil {
		return fmt.Errorf("event sequence: %w", err)
	}
	return nil
}

var (
	_ Importer = (*Bolt)(nil)
	_ Importer = (*Dynamo)(nil)
)

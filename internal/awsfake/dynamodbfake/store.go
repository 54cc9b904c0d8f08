package dynamodbfake

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// dynamoState is one server's DynamoDB: its tables and the recent
// transaction tokens. It is guarded by its Tables' mu.
type dynamoState struct {
	tables map[string]*dynamoTable      // by name
	tokens map[string]transactionRecord // TransactWriteItems ClientRequestTokens
}

// dynamoLocked returns f's DynamoDB state. f.mu must be held (it guards
// the state's contents).
func (f *Tables) dynamoLocked() *dynamoState { return f.dynamo }

func newDynamoState() *dynamoState {
	return &dynamoState{tables: map[string]*dynamoTable{}, tokens: map[string]transactionRecord{}}
}

// keyAttr is one attribute of a table's primary key.
type keyAttr struct {
	name string
	typ  string // S, N or B
}

// dynamoTable is a DynamoDB table. Its items sit in partitions by the encoded
// partition key, then by the encoded sort key ("" without one).
type dynamoTable struct {
	name, arn, id string
	owner         string // principal.owner of its creator
	hash, rng     keyAttr
	created       time.Time
	billing       string // PAY_PER_REQUEST or PROVISIONED
	rcu, wcu      int64
	protected     bool // DeletionProtectionEnabled

	ttlAttr    string // "" while TTL is disabled
	pitr       bool
	pitrDays   int32
	pitrSince  time.Time
	partitions map[string]map[string]item
	count      int
	bytes      int64
}

// keyAttrs lists the table's key attributes, partition key first.
func (t *dynamoTable) keyAttrs() []keyAttr {
	if t.rng.name == "" {
		return []keyAttr{t.hash}
	}
	return []keyAttr{t.hash, t.rng}
}

func (t *dynamoTable) isKey(name string) bool {
	return name == t.hash.name || (t.rng.name != "" && name == t.rng.name)
}

// encodeKey makes a map key of one key attribute value.
func encodeKey(v av) string {
	if v.typ == "B" {
		return string(v.b)
	}
	return v.s
}

// itemID names the item with key k (a checked key) uniquely across
// tables.
func (t *dynamoTable) itemID(k item) string {
	h := encodeKey(k[t.hash.name])
	return fmt.Sprintf("%s\x00%d:%s%s", t.arn, len(h), h, t.rangeOf(k))
}

// get returns the item with key k (a checked key), or nil.
func (t *dynamoTable) get(k item) item {
	return t.partitions[encodeKey(k[t.hash.name])][t.rangeOf(k)]
}

func (t *dynamoTable) rangeOf(it item) string {
	if t.rng.name == "" {
		return ""
	}
	return encodeKey(it[t.rng.name])
}

// put stores it (which holds the key attributes), replacing any item with
// the same key.
func (t *dynamoTable) put(it item) {
	h := encodeKey(it[t.hash.name])
	p := t.partitions[h]
	if p == nil {
		p = map[string]item{}
		t.partitions[h] = p
	}
	r := t.rangeOf(it)
	if old := p[r]; old != nil {
		t.count--
		t.bytes -= int64(old.size())
	}
	p[r] = it
	t.count++
	t.bytes += int64(it.size())
}

// remove deletes the item with key k, if any.
func (t *dynamoTable) remove(k item) {
	h := encodeKey(k[t.hash.name])
	p := t.partitions[h]
	r := t.rangeOf(k)
	if old := p[r]; old != nil {
		delete(p, r)
		t.count--
		t.bytes -= int64(old.size())
		if len(p) == 0 {
			delete(t.partitions, h)
		}
	}
}

// findTableLocked resolves a TableName, which may also be the table's
// ARN. f.mu must be held.
func (f *Tables) findTableLocked(name string) *dynamoTable {
	d := f.dynamoLocked()
	if t := d.tables[name]; t != nil {
		return t
	}
	if strings.HasPrefix(name, "arn:") {
		for _, t := range d.tables {
			if t.arn == name {
				return t
			}
		}
	}
	return nil
}

// tableForLocked finds the table an item action names and checks that the
// caller may use it for action (e.g. "PutItem"). f.mu must be held.
func (f *Tables) tableForLocked(c *awsfake.Call, name, action string) (*dynamoTable, *awsfake.Error) {
	if name == "" {
		return nil, awsfake.MissingParam("TableName")
	}
	t := f.findTableLocked(name)
	if t == nil {
		return nil, errResourceNotFound()
	}
	if !c.MayUse(t.owner) {
		return nil, c.Denied("dynamodb:"+action, t.arn)
	}
	return t, nil
}

// epoch is a timestamp as awsJson carries it: seconds since the Unix
// epoch, as a JSON number.
func epoch(t time.Time) int64 { return t.Unix() }

// newUUID returns a random (version 4) UUID, the shape of a table id.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

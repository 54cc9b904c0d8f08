package dynamodbfake

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// ttlHorizon is how far in the past, in seconds, a TTL value may lie for
// DynamoDB to delete its item: five years.
const ttlHorizon = 5 * 365 * 24 * 60 * 60

// Table is a DynamoDB table as the direct helpers report it: a copy,
// safe to keep and change.
type Table struct {
	Name     string
	ARN      string // arn:aws:dynamodb:REGION:ACCOUNT:table/NAME
	HashKey  string // the partition key attribute
	RangeKey string // the sort key attribute; "" without one
	// BillingMode is PAY_PER_REQUEST or PROVISIONED.
	BillingMode string
	// TTLAttribute is the attribute UpdateTimeToLive enabled; "" while
	// TTL is disabled.
	TTLAttribute string
	// PointInTimeRecovery is whether UpdateContinuousBackups turned it on.
	PointInTimeRecovery bool
	// Items are all stored items, ordered by partition key, then sort key.
	// Each attribute value is a one-key map in DynamoDB JSON form, such as
	// {"S": "x"}, {"N": "12"}, {"M": map[string]any{...}} or
	// {"L": []any{...}}, except that B holds the raw []byte and BS a
	// [][]byte (json.Marshal turns them into the wire's base64), so a test
	// can search every stored byte.
	Items []map[string]any
}

// Raw is every stored byte of the table, for a test that searches them:
// each item printed, then the raw bytes of its top-level binary
// attributes.
func (t Table) Raw() []byte {
	var raw []byte
	for _, item := range t.Items {
		raw = fmt.Append(raw, item)
		for _, v := range item {
			if m, ok := v.(map[string]any); ok {
				if b, ok := m["B"].([]byte); ok {
					raw = append(raw, b...)
				}
			}
		}
	}
	return raw
}

// Table returns the DynamoDB table name (a name or an ARN) with its items,
// whoever owns it. It fails with awsfake.ErrNotFound.
func (f *Tables) Table(name string) (Table, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.findTableLocked(name)
	if t == nil {
		return Table{}, fmt.Errorf("awsfake: dynamodb table %s: %w", name, awsfake.ErrNotFound)
	}
	out := Table{
		Name: t.name, ARN: t.arn, HashKey: t.hash.name, RangeKey: t.rng.name,
		BillingMode: t.billing, TTLAttribute: t.ttlAttr, PointInTimeRecovery: t.pitr,
	}
	for _, it := range t.sortedItems() {
		m := make(map[string]any, len(it))
		for k, v := range it {
			m[k] = v.export()
		}
		out.Items = append(out.Items, m)
	}
	return out, nil
}

// ExpireItems deletes the items of table name whose TTL attribute holds
// a Number of epoch seconds before the server's clock, and returns how
// many it deleted. DynamoDB's own TTL deletions run in the background,
// days late at worst, and until then expired items are still read,
// queried and written like any other; the server never deletes on its
// own, so a test calls ExpireItems where it wants the sweep to have run.
// Like DynamoDB, it leaves items whose TTL is not a Number or is more than
// five years old. It fails with awsfake.ErrNotFound for an unknown table and does
// nothing while TTL is disabled.
func (f *Tables) ExpireItems(name string) (int, error) {
	now := f.srv.Now().Unix()
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.findTableLocked(name)
	if t == nil {
		return 0, fmt.Errorf("awsfake: dynamodb table %s: %w", name, awsfake.ErrNotFound)
	}
	if t.ttlAttr == "" {
		return 0, nil
	}
	end, start := rat(strconv.FormatInt(now, 10)), rat(strconv.FormatInt(now-ttlHorizon, 10))
	n := 0
	for _, it := range t.sortedItems() {
		// DynamoDB ignores TTL values that are not Numbers, and those
		// more than five years old.
		if v, ok := it[t.ttlAttr]; ok && v.typ == "N" && rat(v.s).Cmp(end) < 0 && rat(v.s).Cmp(start) >= 0 {
			t.remove(it)
			n++
		}
	}
	return n, nil
}

// sortedItems returns t's items ordered by partition key, then sort key.
func (t *dynamoTable) sortedItems() []item {
	var out []item
	for _, p := range t.partitions {
		for _, it := range p {
			out = append(out, it)
		}
	}
	slices.SortFunc(out, func(a, b item) int {
		for _, k := range t.keyAttrs() {
			if n, _ := a[k.name].compare(b[k.name]); n != 0 {
				return n
			}
		}
		return 0
	})
	return out
}

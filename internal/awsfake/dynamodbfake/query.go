package dynamodbfake

import (
	"encoding/json"
	"slices"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// maxPage is how many bytes of items one Query reads at most before it
// stops and returns a LastEvaluatedKey, as DynamoDB's 1 MB page.
const maxPage = 1 << 20

type queryInput struct {
	TableName                 string
	IndexName                 *string
	Select                    string
	Limit                     *int32
	ConsistentRead            bool
	ScanIndexForward          *bool
	ExclusiveStartKey         map[string]json.RawMessage
	KeyConditionExpression    *string
	FilterExpression          *string
	ProjectionExpression      *string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]json.RawMessage
	AttributesToGet           json.RawMessage
	KeyConditions             json.RawMessage
	QueryFilter               json.RawMessage
	ConditionalOperator       json.RawMessage
}

type queryOutput struct {
	Items            []item `json:"Items"`
	Count            int    `json:"Count"`
	ScannedCount     int    `json:"ScannedCount"`
	LastEvaluatedKey item   `json:"LastEvaluatedKey,omitempty"`
}

// keyCondition is a checked KeyConditionExpression: the partition key's
// value and, optionally, a condition on the sort key.
type keyCondition struct {
	hash av
	sort *cond // nil without a sort key condition
}

// checkKeyCondition splits a parsed KeyConditionExpression into its
// partition key equality and its sort key condition, as DynamoDB demands.
func (t *dynamoTable) checkKeyCondition(c *cond) (keyCondition, *awsfake.Error) {
	parts := []*cond{c}
	if c.op == "AND" {
		parts = c.kids
	}
	var kc keyCondition
	var seen []string
	for _, p := range parts {
		if p.op == "AND" {
			return kc, awsfake.ValidationError("Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key")
		}
		a := p.args
		if a[0].kind != 'p' || !t.isKey(a[0].name) || slices.ContainsFunc(a[1:], func(o operand) bool { return o.kind != 'v' }) {
			return kc, awsfake.ValidationError("Query key condition not supported")
		}
		if slices.Contains(seen, a[0].name) {
			return kc, awsfake.ValidationError("Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key")
		}
		seen = append(seen, a[0].name)
		ka := t.hash
		if a[0].name == t.rng.name {
			ka = t.rng
		}
		for _, o := range a[1:] {
			if o.val.typ != ka.typ {
				return kc, errAttr("Condition parameter type does not match schema type")
			}
		}
		if ka == t.hash {
			if p.op != "=" {
				return kc, awsfake.ValidationError("Query key condition not supported")
			}
			kc.hash = a[1].val
		} else {
			if p.op == "begins_with" && ka.typ == "N" {
				return kc, awsfake.ValidationError("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
			}
			kc.sort = p
		}
	}
	if kc.hash.typ == "" {
		return kc, awsfake.ValidationError("Query condition missed key schema element: " + t.hash.name)
	}
	return kc, nil
}

func (f *Tables) queryLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in queryInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	q, err := f.prepareQueryLocked(c, &in)
	if err != nil {
		return nil, err
	}
	items := q.t.partition(q.key.hash, q.forward)
	if in.ExclusiveStartKey != nil {
		if items, err = q.t.after(items, in.ExclusiveStartKey, q.key.hash, q.forward); err != nil {
			return nil, err
		}
	}
	return q.page(items)
}

// query is a checked Query request.
type query struct {
	t       *dynamoTable
	key     keyCondition
	filter  *cond    // nil without a FilterExpression
	names   []string // the ProjectionExpression's; nil for all attributes
	forward bool     // ScanIndexForward
	limit   int      // 0 for none
	count   bool     // Select COUNT: no items, only counts
}

// prepareQueryLocked checks a Query request and parses its expressions.
// f.mu must be held.
func (f *Tables) prepareQueryLocked(c *awsfake.Call, in *queryInput) (*query, *awsfake.Error) {
	if err := checkLegacy(legacy{"AttributesToGet", in.AttributesToGet}, legacy{"KeyConditions", in.KeyConditions},
		legacy{"QueryFilter", in.QueryFilter}, legacy{"ConditionalOperator", in.ConditionalOperator}); err != nil {
		return nil, err
	}
	switch {
	case in.KeyConditionExpression == nil:
		return nil, awsfake.ValidationError("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	case in.Limit != nil && *in.Limit < 1:
		return nil, awsfake.ValidationError("1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")
	case in.Select != "" && in.Select != "ALL_ATTRIBUTES" && in.Select != "COUNT" && in.Select != "SPECIFIC_ATTRIBUTES":
		return nil, awsfake.ValidationError("awsfake: Select " + in.Select + " is not supported")
	}
	t, err := f.tableForLocked(c, in.TableName, "Query")
	if err != nil {
		return nil, err
	}
	if in.IndexName != nil {
		return nil, awsfake.ValidationError("The table does not have the specified index: " + *in.IndexName)
	}
	q := &query{t: t, forward: in.ScanIndexForward == nil || *in.ScanIndexForward, count: in.Select == "COUNT"}
	if in.Limit != nil {
		q.limit = int(*in.Limit)
	}
	x, err := newExprCtx(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	kcond, err := x.parseCondition("KeyConditionExpression", *in.KeyConditionExpression)
	if err != nil {
		return nil, err
	}
	if q.key, err = t.checkKeyCondition(kcond); err != nil {
		return nil, err
	}
	if in.FilterExpression != nil {
		if q.filter, err = x.parseCondition("FilterExpression", *in.FilterExpression); err != nil {
			return nil, err
		}
		if err := t.checkFilter(q.filter); err != nil {
			return nil, err
		}
	}
	if in.ProjectionExpression != nil {
		if q.names, err = x.parseProjection(*in.ProjectionExpression); err != nil {
			return nil, err
		}
	}
	return q, x.checkUnused()
}

// page answers the query from items, the partition in query order from
// the start key on.
func (q *query) page(items []item) (queryOutput, *awsfake.Error) {
	out := queryOutput{Items: []item{}}
	read := 0
	for _, it := range items {
		if q.key.sort != nil {
			ok, err := q.key.sort.eval(it, "KeyConditionExpression")
			if err != nil {
				return queryOutput{}, err
			}
			if !ok {
				continue
			}
		}
		out.ScannedCount++
		read += it.size()
		ok := true
		if q.filter != nil {
			var err *awsfake.Error
			if ok, err = q.filter.eval(it, "FilterExpression"); err != nil {
				return queryOutput{}, err
			}
		}
		if ok {
			out.Count++
			if !q.count {
				out.Items = append(out.Items, project(it, q.names))
			}
		}
		// DynamoDB stops at the limit or the page size and returns the
		// last key it read, even when no item follows it.
		if out.ScannedCount == q.limit || read >= maxPage {
			out.LastEvaluatedKey = q.t.keyOf(it)
			break
		}
	}
	if q.count {
		out.Items = nil
	}
	return out, nil
}

// checkFilter rejects a FilterExpression on key attributes.
func (t *dynamoTable) checkFilter(c *cond) *awsfake.Error {
	for _, k := range c.kids {
		if err := t.checkFilter(k); err != nil {
			return err
		}
	}
	for _, o := range c.args {
		if o.kind != 'v' && t.isKey(o.name) {
			return awsfake.ValidationError("Filter Expression can only contain non-primary key attributes: Primary key attribute: " + o.name)
		}
	}
	return nil
}

// partition returns the items with partition key h, sorted by sort key.
func (t *dynamoTable) partition(h av, forward bool) []item {
	p := t.partitions[encodeKey(h)]
	items := make([]item, 0, len(p))
	for _, it := range p {
		items = append(items, it)
	}
	if t.rng.name != "" {
		slices.SortFunc(items, func(a, b item) int {
			n, _ := a[t.rng.name].compare(b[t.rng.name])
			if !forward {
				n = -n
			}
			return n
		})
	}
	return items
}

// after drops the items up to and including the ExclusiveStartKey in
// raw from items, which are in query order. The key's item need not exist
// any more.
func (t *dynamoTable) after(items []item, raw map[string]json.RawMessage, hash av, forward bool) ([]item, *awsfake.Error) {
	esk, err := parseItem(raw)
	if err != nil {
		return nil, err
	}
	if t.checkKey(esk) != nil {
		return nil, awsfake.ValidationError("The provided starting key is invalid: The provided key element does not match the schema")
	}
	if !esk[t.hash.name].equal(hash) {
		return nil, awsfake.ValidationError("The provided starting key is outside query boundaries based on provided conditions")
	}
	if t.rng.name == "" {
		return nil, nil // the partition's only item was the last one read
	}
	start := esk[t.rng.name]
	i := 0
	for ; i < len(items); i++ {
		if n, _ := items[i][t.rng.name].compare(start); (forward && n > 0) || (!forward && n < 0) {
			break
		}
	}
	return items[i:], nil
}

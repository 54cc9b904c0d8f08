package dynamodbfake

import (
	"encoding/json"
	"fmt"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// Item limits, in bytes as DynamoDB counts them (see av.size).
const (
	maxItemSize     = 400 * 1024
	maxHashKeySize  = 2048
	maxRangeKeySize = 1024
)

// ReturnValues settings.
const (
	returnNone       = "NONE"
	returnAllOld     = "ALL_OLD"
	returnUpdatedOld = "UPDATED_OLD"
	returnAllNew     = "ALL_NEW"
	returnUpdatedNew = "UPDATED_NEW"
)

// exprParams are the expression parameters the write actions share, and
// the legacy parameters that predate expressions, which awsfake refuses
// rather than ignores.
type exprParams struct {
	ConditionExpression                 *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]json.RawMessage
	ReturnValuesOnConditionCheckFailure string
	Expected                            json.RawMessage
	ConditionalOperator                 json.RawMessage
	AttributeUpdates                    json.RawMessage
}

// checkLegacy refuses what awsfake does not model: the legacy parameters
// and ReturnValuesOnConditionCheckFailure ALL_OLD.
func (e *exprParams) checkLegacy() *awsfake.Error {
	if err := checkLegacy(legacy{"Expected", e.Expected}, legacy{"ConditionalOperator", e.ConditionalOperator}, legacy{"AttributeUpdates", e.AttributeUpdates}); err != nil {
		return err
	}
	switch e.ReturnValuesOnConditionCheckFailure {
	case "", returnNone:
		return nil
	case returnAllOld:
		return awsfake.ValidationError("awsfake: ReturnValuesOnConditionCheckFailure ALL_OLD is not supported")
	}
	return awsfake.ValidationError("1 validation error detected: Value '" + e.ReturnValuesOnConditionCheckFailure +
		"' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]")
}

// checkKeyValue applies the limits on one key attribute's value.
func checkKeyValue(k keyAttr, v av, hash bool) *awsfake.Error {
	if (v.typ == "S" && v.s == "") || (v.typ == "B" && len(v.b) == 0) {
		what := map[string]string{"S": "string", "B": "binary"}[v.typ]
		return awsfake.ValidationError(fmt.Sprintf("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s", what, k.name))
	}
	switch {
	case hash && v.size() > maxHashKeySize:
		return errAttr(fmt.Sprintf("Size of hashkey has exceeded the maximum size limit of %d bytes", maxHashKeySize))
	case !hash && v.size() > maxRangeKeySize:
		return errAttr(fmt.Sprintf("Aggregated size of all range keys has exceeded the size limit of %d bytes", maxRangeKeySize))
	}
	return nil
}

// checkKey checks that k is exactly a primary key of t.
func (t *dynamoTable) checkKey(k item) *awsfake.Error {
	keys := t.keyAttrs()
	if len(k) != len(keys) {
		return errKeySchema()
	}
	for i, ka := range keys {
		v, ok := k[ka.name]
		if !ok || v.typ != ka.typ {
			return errKeySchema()
		}
		if err := checkKeyValue(ka, v, i == 0); err != nil {
			return err
		}
	}
	return nil
}

// checkItem checks that it has t's key attributes and fits in an item.
func (t *dynamoTable) checkItem(it item) *awsfake.Error {
	for i, ka := range t.keyAttrs() {
		v, ok := it[ka.name]
		if !ok {
			return errAttr("Missing the key " + ka.name + " in the item")
		}
		if v.typ != ka.typ {
			return errAttr(fmt.Sprintf("Type mismatch for key %s expected: %s actual: %s", ka.name, ka.typ, v.typ))
		}
		if err := checkKeyValue(ka, v, i == 0); err != nil {
			return err
		}
	}
	if it.size() > maxItemSize {
		return awsfake.ValidationError("Item size has exceeded the maximum allowed size")
	}
	return nil
}

// keyOf returns the key attributes of it.
func (t *dynamoTable) keyOf(it item) item {
	k := item{}
	for _, ka := range t.keyAttrs() {
		k[ka.name] = it[ka.name]
	}
	return k
}

// writeOp is one prepared write of PutItem, UpdateItem, DeleteItem or a
// transaction's ConditionCheck: checked and parsed, not yet applied.
type writeOp struct {
	action string // PutItem, UpdateItem, DeleteItem or ConditionCheck
	t      *dynamoTable
	key    item
	cond   *cond   // nil without a ConditionExpression
	put    item    // PutItem's item
	upd    *update // UpdateItem's; nil without an UpdateExpression
}

// prepareWriteLocked checks one write: raw is the Item of a put and the
// Key of the others; updateExpr is UpdateItem's. f.mu must be held.
func (f *Tables) prepareWriteLocked(c *awsfake.Call, action, tableName string, raw map[string]json.RawMessage, updateExpr *string, e *exprParams) (*writeOp, *awsfake.Error) {
	if err := e.checkLegacy(); err != nil {
		return nil, err
	}
	it, err := parseItem(raw)
	if err != nil {
		return nil, err
	}
	iamAction := action
	if action == "ConditionCheck" {
		iamAction = "ConditionCheckItem"
	}
	t, err := f.tableForLocked(c, tableName, iamAction)
	if err != nil {
		return nil, err
	}
	w := &writeOp{action: action, t: t, key: it}
	if action == "PutItem" {
		if err := t.checkItem(it); err != nil {
			return nil, err
		}
		w.put, w.key = it, t.keyOf(it)
	} else if err := t.checkKey(it); err != nil {
		return nil, err
	}
	x, err := newExprCtx(e.ExpressionAttributeNames, e.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	if updateExpr != nil {
		if w.upd, err = x.parseUpdate(*updateExpr); err != nil {
			return nil, err
		}
		for _, p := range w.upd.paths() {
			if t.isKey(p) {
				return nil, errAttr("Cannot update attribute " + p + ". This attribute is part of the key")
			}
		}
	}
	if e.ConditionExpression != nil {
		if w.cond, err = x.parseCondition("ConditionExpression", *e.ConditionExpression); err != nil {
			return nil, err
		}
	} else if action == "ConditionCheck" {
		return nil, awsfake.MissingParam("ConditionExpression")
	}
	return w, x.checkUnused()
}

// holds reports whether the write's condition holds for old, the item
// as stored now (nil if there is none).
func (w *writeOp) holds(old item) (bool, *awsfake.Error) {
	if w.cond == nil {
		return true, nil
	}
	return w.cond.eval(old, "ConditionExpression")
}

// next returns what the item becomes, nil for a deletion.
func (w *writeOp) next(old item) (item, *awsfake.Error) {
	switch w.action {
	case "PutItem":
		return w.put, nil
	case "UpdateItem":
		next := old.clone()
		if w.upd != nil {
			var err *awsfake.Error
			if next, err = w.upd.apply(old); err != nil {
				return nil, err
			}
		}
		for k, v := range w.key {
			next[k] = v
		}
		if next.size() > maxItemSize {
			return nil, awsfake.ValidationError("Item size to update has exceeded the maximum allowed size")
		}
		return next, nil
	}
	return nil, nil
}

// commit stores next, the result of w.next.
func (w *writeOp) commit(next item) {
	switch w.action {
	case "PutItem", "UpdateItem":
		w.t.put(next)
	case "DeleteItem":
		w.t.remove(w.key)
	}
}

// run performs a single write: condition, then change. It returns the
// item before and after. f.mu must be held.
func (w *writeOp) run() (old, next item, err *awsfake.Error) {
	old = w.t.get(w.key)
	ok, err := w.holds(old)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, errConditionalCheckFailed()
	}
	if next, err = w.next(old); err != nil {
		return nil, nil, err
	}
	w.commit(next)
	return old, next, nil
}

// legacy is a parameter that predates expressions: its name and its raw
// value, nil if absent.
type legacy struct {
	name string
	raw  json.RawMessage
}

// checkLegacy fails if any of params is present.
func checkLegacy(params ...legacy) *awsfake.Error {
	for _, p := range params {
		if p.raw != nil {
			return awsfake.ValidationError("awsfake: the legacy parameter " + p.name + " is not supported; use expressions")
		}
	}
	return nil
}

package dynamodbfake

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// maxTransactItems is the most actions one transaction may hold.
const maxTransactItems = 100

// tokenLifetime is how long DynamoDB remembers a transaction's
// ClientRequestToken.
const tokenLifetime = 10 * time.Minute

// transactionRecord is a transaction that succeeded, remembered by its
// ClientRequestToken so that a retry succeeds again without a second
// effect, as in DynamoDB.
type transactionRecord struct {
	digest [sha256.Size]byte // of the request's TransactItems
	at     time.Time
}

type transactWriteItem struct {
	ConditionCheck *struct {
		exprParams
		TableName string
		Key       map[string]json.RawMessage
	}
	Put *struct {
		exprParams
		TableName string
		Item      map[string]json.RawMessage
	}
	Delete *struct {
		exprParams
		TableName string
		Key       map[string]json.RawMessage
	}
	Update *struct {
		exprParams
		TableName        string
		Key              map[string]json.RawMessage
		UpdateExpression *string
	}
}

// prepareLocked checks one action of a transaction. f.mu must be held.
func (a *transactWriteItem) prepareLocked(f *Tables, c *awsfake.Call) (*writeOp, *awsfake.Error) {
	n := 0
	for _, set := range []bool{a.ConditionCheck != nil, a.Put != nil, a.Delete != nil, a.Update != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, awsfake.ValidationError("TransactItems can only contain one of Check, Put, Update or Delete")
	}
	switch {
	case a.ConditionCheck != nil:
		x := a.ConditionCheck
		return f.prepareWriteLocked(c, "ConditionCheck", x.TableName, x.Key, nil, &x.exprParams)
	case a.Put != nil:
		x := a.Put
		return f.prepareWriteLocked(c, "PutItem", x.TableName, x.Item, nil, &x.exprParams)
	case a.Delete != nil:
		x := a.Delete
		return f.prepareWriteLocked(c, "DeleteItem", x.TableName, x.Key, nil, &x.exprParams)
	}
	x := a.Update
	if x.UpdateExpression == nil {
		return nil, awsfake.MissingParam("TransactItems.member.update.updateExpression")
	}
	return f.prepareWriteLocked(c, "UpdateItem", x.TableName, x.Key, x.UpdateExpression, &x.exprParams)
}

func errIdempotentMismatch() *awsfake.Error {
	return &awsfake.Error{Status: http.StatusBadRequest, Code: "IdempotentParameterMismatchException", Message: "The request uses the same client token as a previous, but non-identical request."}
}

// transactWriteItemsLocked applies all actions or none: every condition
// is evaluated against the items as stored before any is written, and if
// one fails, the answer lists a reason per action.
func (f *Tables) transactWriteItemsLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in struct {
		TransactItems      json.RawMessage
		ClientRequestToken string
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	var actions []transactWriteItem
	if in.TransactItems != nil {
		if err := json.Unmarshal(in.TransactItems, &actions); err != nil {
			return nil, errSerialization()
		}
	}
	switch {
	case len(actions) == 0:
		return nil, awsfake.ValidationError("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(actions) > maxTransactItems:
		return nil, awsfake.ValidationError(fmt.Sprintf("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d", maxTransactItems))
	case len(in.ClientRequestToken) > 36:
		return nil, awsfake.ValidationError("1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36")
	}
	d := f.dynamoLocked()
	var compact bytes.Buffer
	_ = json.Compact(&compact, in.TransactItems) // valid: it was just decoded
	digest := sha256.Sum256(compact.Bytes())
	if done, err := d.seenToken(in.ClientRequestToken, digest, c.Now()); err != nil {
		return nil, err
	} else if done {
		return struct{}{}, nil // a retry of a transaction that took effect
	}

	ops := make([]*writeOp, len(actions))
	seen := map[string]bool{}
	for i := range actions {
		op, err := actions[i].prepareLocked(f, c)
		if err != nil {
			return nil, err
		}
		id := op.t.itemID(op.key)
		if seen[id] {
			return nil, awsfake.ValidationError("Transaction request cannot include multiple operations on one item")
		}
		seen[id] = true
		ops[i] = op
	}
	if err := commitAll(ops); err != nil {
		return nil, err
	}
	if in.ClientRequestToken != "" {
		d.tokens[in.ClientRequestToken] = transactionRecord{digest, c.Now()}
	}
	return struct{}{}, nil
}

// seenToken reports whether token names a transaction that succeeded in
// the last tokenLifetime with the same actions (digest); the same token
// with other actions is an error. It forgets expired tokens.
func (d *dynamoState) seenToken(token string, digest [sha256.Size]byte, now time.Time) (bool, *awsfake.Error) {
	for tok, r := range d.tokens {
		if now.Sub(r.at) >= tokenLifetime {
			delete(d.tokens, tok)
		}
	}
	r, ok := d.tokens[token]
	switch {
	case token == "" || !ok:
		return false, nil
	case r.digest != digest:
		return false, errIdempotentMismatch()
	}
	return true, nil
}

// commitAll applies ops, which touch distinct items, if all their
// conditions hold for the items as stored now, and nothing otherwise.
func commitAll(ops []*writeOp) *awsfake.Error {
	codes := make([]string, len(ops))
	olds := make([]item, len(ops))
	failed := false
	for i, op := range ops {
		olds[i] = op.t.get(op.key)
		ok, err := op.holds(olds[i])
		if err != nil {
			return err
		}
		codes[i] = reasonNone
		if !ok {
			codes[i], failed = reasonCheckFailed, true
		}
	}
	if failed {
		return errTransactionCanceled(codes)
	}
	nexts := make([]item, len(ops))
	for i, op := range ops {
		var err *awsfake.Error
		if nexts[i], err = op.next(olds[i]); err != nil {
			return err
		}
	}
	for i, op := range ops {
		op.commit(nexts[i])
	}
	return nil
}

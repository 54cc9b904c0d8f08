package dynamodbfake

import (
	"encoding/json"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// attributesOutput is the answer of a write: the attributes ReturnValues
// asked for, if any.
type attributesOutput struct {
	Attributes item `json:"Attributes,omitempty"`
}

// checkReturnValues checks a ReturnValues setting against those the action
// allows besides NONE.
func checkReturnValues(rv string, allowed ...string) *awsfake.Error {
	if rv == "" || rv == returnNone {
		return nil
	}
	for _, a := range allowed {
		if rv == a {
			return nil
		}
	}
	return awsfake.ValidationError("Return values set to invalid value")
}

type putItemInput struct {
	exprParams
	TableName    string
	Item         map[string]json.RawMessage
	ReturnValues string
}

func (f *Tables) putItemLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in putItemInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return f.writeOneLocked(c, "PutItem", in.TableName, in.Item, &in.exprParams, in.ReturnValues)
}

// writeOneLocked runs a PutItem of the item attrs, or a DeleteItem of the
// key attrs, and answers with the old item when ALL_OLD asks for it.
func (f *Tables) writeOneLocked(c *awsfake.Call, action, table string, attrs map[string]json.RawMessage, ep *exprParams, returnValues string) (any, *awsfake.Error) {
	if err := checkReturnValues(returnValues, returnAllOld); err != nil {
		return nil, err
	}
	w, err := f.prepareWriteLocked(c, action, table, attrs, nil, ep)
	if err != nil {
		return nil, err
	}
	old, _, err := w.run()
	if err != nil {
		return nil, err
	}
	if returnValues == returnAllOld {
		return attributesOutput{old}, nil
	}
	return attributesOutput{}, nil
}

type keyInput struct {
	exprParams
	TableName    string
	Key          map[string]json.RawMessage
	ReturnValues string
}

func (f *Tables) deleteItemLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in keyInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return f.writeOneLocked(c, "DeleteItem", in.TableName, in.Key, &in.exprParams, in.ReturnValues)
}

func (f *Tables) updateItemLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in struct {
		keyInput
		UpdateExpression *string
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkReturnValues(in.ReturnValues, returnAllOld, returnUpdatedOld, returnAllNew, returnUpdatedNew); err != nil {
		return nil, err
	}
	w, err := f.prepareWriteLocked(c, "UpdateItem", in.TableName, in.Key, in.UpdateExpression, &in.exprParams)
	if err != nil {
		return nil, err
	}
	old, next, err := w.run()
	if err != nil {
		return nil, err
	}
	var out item
	switch in.ReturnValues {
	case returnAllOld:
		out = old
	case returnAllNew:
		out = next
	case returnUpdatedOld:
		out = w.upd.touched(old)
	case returnUpdatedNew:
		out = w.upd.touched(next)
	}
	if len(out) == 0 {
		out = nil
	}
	return attributesOutput{out}, nil
}

func (f *Tables) getItemLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in struct {
		TableName                string
		Key                      map[string]json.RawMessage
		ConsistentRead           bool
		ProjectionExpression     *string
		ExpressionAttributeNames map[string]string
		AttributesToGet          json.RawMessage
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkLegacy(legacy{"AttributesToGet", in.AttributesToGet}); err != nil {
		return nil, err
	}
	key, err := parseItem(in.Key)
	if err != nil {
		return nil, err
	}
	t, err := f.tableForLocked(c, in.TableName, "GetItem")
	if err != nil {
		return nil, err
	}
	if err := t.checkKey(key); err != nil {
		return nil, err
	}
	x, err := newExprCtx(in.ExpressionAttributeNames, nil)
	if err != nil {
		return nil, err
	}
	var names []string
	if in.ProjectionExpression != nil {
		if names, err = x.parseProjection(*in.ProjectionExpression); err != nil {
			return nil, err
		}
	}
	if err := x.checkUnused(); err != nil {
		return nil, err
	}
	// Every read is strongly consistent here, ConsistentRead or not.
	return struct {
		Item item `json:"Item,omitempty"`
	}{project(t.get(key), names)}, nil
}

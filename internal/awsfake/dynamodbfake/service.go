package dynamodbfake

import (
	"net/http"
	"strings"
	"sync"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// Tables is the DynamoDB of one awsfake.Server: its tables and the recent
// transaction tokens. Create it with Register. It is safe for concurrent
// use.
type Tables struct {
	srv    *awsfake.Server // for its clock in ExpireItems
	mu     sync.Mutex
	dynamo *dynamoState // guarded by mu
}

// Register adds DynamoDB to srv and returns its tables. Call it before
// srv answers DynamoDB requests, once per server.
//
// DynamoDB speaks awsJson 1.0 with a dialect of its own: error types
// carry their namespace ("com.amazonaws.dynamodb.v20120810#..."), a
// cancelled transaction lists its CancellationReasons, and every answer
// carries the X-Amz-Crc32 checksum of its body, which some SDKs verify.
func Register(srv *awsfake.Server) *Tables {
	f := &Tables{srv: srv, dynamo: newDynamoState()}
	srv.Handle(awsfake.Service{
		SigningName: "dynamodb", TargetPrefix: "DynamoDB_20120810", ContentType: "application/x-amz-json-1.0",
		MessageKey: "message", InternalError: "InternalServerError",
		ErrorBody: errorBody, Checksum: true,
		Actions: map[string]awsfake.Handler{
			"CreateTable":               f.locked(f.createTableLocked),
			"DescribeTable":             f.locked(f.describeTableLocked),
			"DeleteTable":               f.locked(f.deleteTableLocked),
			"UpdateTimeToLive":          f.locked(f.updateTimeToLiveLocked),
			"DescribeTimeToLive":        f.locked(f.describeTimeToLiveLocked),
			"UpdateContinuousBackups":   f.locked(f.updateContinuousBackupsLocked),
			"DescribeContinuousBackups": f.locked(f.describeContinuousBackupsLocked),
			"GetItem":                   f.locked(f.getItemLocked),
			"PutItem":                   f.locked(f.putItemLocked),
			"DeleteItem":                f.locked(f.deleteItemLocked),
			"UpdateItem":                f.locked(f.updateItemLocked),
			"Query":                     f.locked(f.queryLocked),
			"TransactWriteItems":        f.locked(f.transactWriteItemsLocked),
		},
	})
	return f
}

// locked runs h with f.mu held.
func (f *Tables) locked(h awsfake.Handler) awsfake.Handler {
	return func(c *awsfake.Call) (any, *awsfake.Error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return h(c)
	}
}

// errorNamespaces are the namespaces DynamoDB puts before the codes that
// its front end, not the service, answers with.
var errorNamespaces = map[string]string{
	"ValidationException":                 "com.amazon.coral.validate#",
	"SerializationException":              "com.amazon.coral.service#",
	"UnknownOperationException":           "com.amazon.coral.service#",
	"MissingAuthenticationTokenException": "com.amazon.coral.service#",
	"IncompleteSignatureException":        "com.amazon.coral.service#",
	"InvalidSignatureException":           "com.amazon.coral.service#",
	"UnrecognizedClientException":         "com.amazon.coral.service#",
	"ExpiredTokenException":               "com.amazon.coral.service#",
	"AccessDeniedException":               "com.amazon.coral.service#",
	"ThrottlingException":                 "com.amazon.coral.availability#",
}

// errorBody is the body of DynamoDB's error answers: e (already in the
// awsJson dialect) with its code's namespace, and a cancelled
// transaction's CancellationReasons.
func errorBody(e *awsfake.Error) any {
	ns, ok := errorNamespaces[e.Code]
	if !ok {
		ns = "com.amazonaws.dynamodb.v20120810#"
	}
	body := map[string]any{"__type": ns + e.Code, "message": e.Message}
	if e.Code == "TransactionCanceledException" {
		// The SDK's TransactionCanceledException reads "Message", and the
		// reasons from CancellationReasons. awsfake.Error has room for a
		// code and a message only, so the reasons are rebuilt from the
		// message, which names their codes as DynamoDB's own message does.
		delete(body, "message")
		body["Message"] = e.Message
		if reasons := cancellationReasons(e.Message); reasons != nil {
			body["CancellationReasons"] = reasons
		}
	}
	return body
}

// cancellationReason is one entry of a TransactionCanceledException's
// CancellationReasons.
type cancellationReason struct {
	Code    string `json:"Code"`
	Message string `json:"Message,omitempty"`
}

// Cancellation reason codes.
const (
	reasonNone        = "None"
	reasonCheckFailed = "ConditionalCheckFailed"
)

// errTransactionCanceled is the answer to a transaction of which some
// action failed; codes has one entry per action, in request order.
func errTransactionCanceled(codes []string) *awsfake.Error {
	return &awsfake.Error{Status: http.StatusBadRequest, Code: "TransactionCanceledException", Message: "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]"}
}

// cancellationReasons recovers the reasons from errTransactionCanceled's
// message; nil if it names none (a fault with a message of its own).
func cancellationReasons(msg string) []cancellationReason {
	i := strings.LastIndexByte(msg, '[')
	if i < 0 || !strings.HasSuffix(msg, "]") {
		return nil
	}
	var out []cancellationReason
	for code := range strings.SplitSeq(msg[i+1:len(msg)-1], ", ") {
		r := cancellationReason{Code: code}
		if code == reasonCheckFailed {
			r.Message = "The conditional request failed"
		}
		out = append(out, r)
	}
	return out
}

func errConditionalCheckFailed() *awsfake.Error {
	return &awsfake.Error{Status: http.StatusBadRequest, Code: "ConditionalCheckFailedException", Message: "The conditional request failed"}
}

func errTableNotFound(name string) *awsfake.Error {
	return &awsfake.Error{Status: http.StatusBadRequest, Code: "ResourceNotFoundException", Message: "Requested resource not found: Table: " + name + " not found"}
}

// errResourceNotFound is what the item actions answer for a missing
// table: without its name.
func errResourceNotFound() *awsfake.Error {
	return &awsfake.Error{Status: http.StatusBadRequest, Code: "ResourceNotFoundException", Message: "Requested resource not found"}
}

func errSerialization() *awsfake.Error {
	return &awsfake.Error{Status: http.StatusBadRequest, Code: "SerializationException", Message: "Start of structure or map found where not expected."}
}

// errKeySchema is the answer to a key that lacks a key attribute, has
// one of the wrong type, or has attributes besides the key's.
func errKeySchema() *awsfake.Error {
	return awsfake.ValidationError("The provided key element does not match the schema")
}

package awsfake

import (
	"encoding/json"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
)

var dynamoDBService = &service{
	signingName: "dynamodb",
	proto: dynamoProtocol{jsonProtocol{targetPrefix: "DynamoDB_20120810", contentType: "application/x-amz-json-1.0",
		messageKey: "message", internalError: "InternalServerError"}},
	actions: map[string]handler{
		"CreateTable":               (*Server).createTableLocked,
		"DescribeTable":             (*Server).describeTableLocked,
		"DeleteTable":               (*Server).deleteTableLocked,
		"UpdateTimeToLive":          (*Server).updateTimeToLiveLocked,
		"DescribeTimeToLive":        (*Server).describeTimeToLiveLocked,
		"UpdateContinuousBackups":   (*Server).updateContinuousBackupsLocked,
		"DescribeContinuousBackups": (*Server).describeContinuousBackupsLocked,
		"GetItem":                   (*Server).getItemLocked,
		"PutItem":                   (*Server).putItemLocked,
		"DeleteItem":                (*Server).deleteItemLocked,
		"UpdateItem":                (*Server).updateItemLocked,
		"Query":                     (*Server).queryLocked,
		"TransactWriteItems":        (*Server).transactWriteItemsLocked,
	},
}

// dynamoProtocol is awsJson 1.0 as DynamoDB speaks it: error types carry
// their namespace ("com.amazonaws.dynamodb.v20120810#..."), a cancelled
// transaction lists its CancellationReasons, and every answer carries the
// X-Amz-Crc32 checksum of its body, which some SDKs verify.
type dynamoProtocol struct{ jsonProtocol }

func (p dynamoProtocol) writeResult(w http.ResponseWriter, action, requestID string, v any) {
	b, aerr := encodeJSONResult(action, v)
	if aerr != nil {
		p.writeError(w, aerr, requestID)
		return
	}
	p.write(w, http.StatusOK, requestID, b)
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

func (p dynamoProtocol) writeError(w http.ResponseWriter, e *apiError, requestID string) {
	e = p.dialect(e)
	ns, ok := errorNamespaces[e.code]
	if !ok {
		ns = "com.amazonaws.dynamodb.v20120810#"
	}
	body := map[string]any{"__type": ns + e.code, "message": e.message}
	if e.code == "TransactionCanceledException" {
		// The SDK's TransactionCanceledException reads "Message", and the
		// reasons from CancellationReasons. apiError has room for a code
		// and a message only, so the reasons are rebuilt from the message,
		// which names their codes as DynamoDB's own message does.
		delete(body, "message")
		body["Message"] = e.message
		if reasons := cancellationReasons(e.message); reasons != nil {
			body["CancellationReasons"] = reasons
		}
	}
	b, err := json.Marshal(body)
	if err != nil { // cannot happen: strings and slices of strings
		panic(err)
	}
	p.write(w, e.status, requestID, b)
}

func (p dynamoProtocol) write(w http.ResponseWriter, status int, requestID string, b []byte) {
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10))
	writeBody(w, status, p.ctype(), requestID, b)
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
func errTransactionCanceled(codes []string) *apiError {
	return &apiError{http.StatusBadRequest, "TransactionCanceledException",
		"Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]"}
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

func errConditionalCheckFailed() *apiError {
	return &apiError{http.StatusBadRequest, "ConditionalCheckFailedException", "The conditional request failed"}
}

func errTableNotFound(name string) *apiError {
	return &apiError{http.StatusBadRequest, "ResourceNotFoundException", "Requested resource not found: Table: " + name + " not found"}
}

// errResourceNotFound is what the item actions answer for a missing
// table: without its name.
func errResourceNotFound() *apiError {
	return &apiError{http.StatusBadRequest, "ResourceNotFoundException", "Requested resource not found"}
}

func errSerialization() *apiError {
	return &apiError{http.StatusBadRequest, "SerializationException", "Start of structure or map found where not expected."}
}

// errKeySchema is the answer to a key that lacks a key attribute, has
// one of the wrong type, or has attributes besides the key's.
func errKeySchema() *apiError {
	return errValidation("The provided key element does not match the schema")
}

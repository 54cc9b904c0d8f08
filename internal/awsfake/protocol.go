package awsfake

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// protocol is one AWS wire protocol: how a request names its action and
// carries its input, and how answers are encoded: queryProtocol (awsQuery:
// IAM, STS) or jsonProtocol (awsJson: the services added with Handle).
type protocol interface {
	// decode reports whether r is a request of this protocol (and service
	// version) and returns the action it asks for and its input.
	decode(r *http.Request, body []byte) (action string, params url.Values, ok bool)
	// writeResult answers with the result v of action; v nil means an
	// action without output.
	writeResult(w http.ResponseWriter, action, requestID string, v any)
	// writeError answers with e.
	writeError(w http.ResponseWriter, e *Error, requestID string)
	// unknownAction is the error for an action the service lacks.
	unknownAction(action string) *Error
}

// queryProtocol is awsQuery: form-encoded POST bodies with Action and
// Version, XML answers.
type queryProtocol struct {
	version string // e.g. "2010-05-08"; "" matches no request
	xmlns   string
}

func (p queryProtocol) decode(r *http.Request, body []byte) (string, url.Values, bool) {
	if r.Header.Get("X-Amz-Target") != "" {
		return "", nil, false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return "", nil, false
	}
	params, err := url.ParseQuery(string(body))
	if err != nil || params.Get("Version") != p.version || p.version == "" {
		return "", nil, false
	}
	return params.Get("Action"), params, true
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

func (p queryProtocol) writeResult(w http.ResponseWriter, action, requestID string, v any) {
	p.encodeResult(w, action, requestID, v, false)
}

// encodeResult answers with the result v of action, its XML indented as
// AWS indents it when indent is set.
func (p queryProtocol) encodeResult(w http.ResponseWriter, action, requestID string, v any, indent bool) {
	pool := &xmlWriters
	if indent {
		pool = &indentedXMLWriters
	}
	x := pool.Get().(*xmlWriter)
	defer pool.Put(x)
	x.buf.Reset()
	start := xml.StartElement{
		Name: xml.Name{Local: action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: p.xmlns}},
	}
	enc := x.enc
	err := enc.EncodeToken(start)
	if err == nil && v != nil {
		err = enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	}
	if err == nil {
		err = enc.EncodeElement(responseMetadata{requestID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	}
	if err == nil {
		err = enc.EncodeToken(start.End())
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		x.enc = xml.NewEncoder(&x.buf) // the failed one may hold an open element
		if indent {
			x.enc.Indent("", "  ")
		}
		p.writeError(w, errInternal(fmt.Errorf("encode %s result: %w", action, err)), requestID)
		return
	}
	writeBody(w, http.StatusOK, "text/xml", requestID, x.buf.Bytes())
}

// xmlWriter is an XML encoder and the buffer it writes to, kept for the
// next response: a new encoder allocates a 4 KB buffer, per call.
type xmlWriter struct {
	buf bytes.Buffer
	enc *xml.Encoder
}

var xmlWriters = sync.Pool{New: func() any {
	x := &xmlWriter{}
	x.enc = xml.NewEncoder(&x.buf)
	return x
}}

// indentedXMLWriters are xmlWriters that indent as AWS does.
var indentedXMLWriters = sync.Pool{New: func() any {
	x := &xmlWriter{}
	x.enc = xml.NewEncoder(&x.buf)
	x.enc.Indent("", "  ")
	return x
}}

type queryError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr,omitempty"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func (p queryProtocol) writeError(w http.ResponseWriter, e *Error, requestID string) {
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	b, err := xml.Marshal(queryError{Xmlns: p.xmlns, Type: typ, Code: e.Code, Message: e.Message, RequestID: requestID})
	if err != nil { // cannot happen: all fields are strings
		panic(err)
	}
	writeBody(w, e.Status, "text/xml", requestID, b)
}

func (p queryProtocol) unknownAction(action string) *Error {
	return &Error{http.StatusBadRequest, "InvalidAction",
		fmt.Sprintf("Could not find operation %s for version %s", action, p.version)}
}

// jsonProtocol is awsJson1.0/1.1: the action in X-Amz-Target
// ("prefix.Action"), JSON bodies both ways.
type jsonProtocol struct {
	targetPrefix string // e.g. "secretsmanager"; "" matches no request
	contentType  string // e.g. "application/x-amz-json-1.1"
	// messageKey is the error body's message member as the service
	// spells it: "Message" (Secrets Manager) or "message" (SSM, the
	// default).
	messageKey string
	// internalError is the service's code for its own failures, which
	// the ServiceFailure fault becomes ("": ServiceFailure stays).
	internalError string
	// errorBody, if set, builds an error answer's body (see
	// Service.ErrorBody).
	errorBody func(e *Error) any
	// checksum puts the CRC32 of each answer's body in X-Amz-Crc32.
	checksum bool
}

func (p jsonProtocol) decode(r *http.Request, _ []byte) (string, url.Values, bool) {
	prefix, action, ok := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	if !ok || p.targetPrefix == "" || prefix != p.targetPrefix {
		return "", nil, false
	}
	return action, nil, true
}

func (p jsonProtocol) writeResult(w http.ResponseWriter, action, requestID string, v any) {
	b, aerr := encodeJSONResult(action, v)
	if aerr != nil {
		p.writeError(w, aerr, requestID)
		return
	}
	p.write(w, http.StatusOK, requestID, b)
}

// encodeJSONResult encodes a handler's result for a JSON protocol (nil:
// an empty object).
func encodeJSONResult(action string, v any) ([]byte, *Error) {
	if v == nil {
		v = struct{}{}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errInternal(fmt.Errorf("encode %s result: %w", action, err))
	}
	return b, nil
}

func (p jsonProtocol) writeError(w http.ResponseWriter, e *Error, requestID string) {
	e = p.dialect(e)
	if p.errorBody != nil {
		b, err := json.Marshal(p.errorBody(e))
		if err != nil { // a bug of the service's errorBody
			panic(fmt.Sprintf("awsfake: encode %s error body: %v", p.targetPrefix, err))
		}
		p.write(w, e.Status, requestID, b)
		return
	}
	key := p.messageKey
	if key == "" {
		key = "message"
	}
	b, _ := json.Marshal(map[string]string{"__type": e.Code, key: e.Message})
	p.write(w, e.Status, requestID, b)
}

// write sends an answer's body b, with its checksum if the service wants
// one.
func (p jsonProtocol) write(w http.ResponseWriter, status int, requestID string, b []byte) {
	if p.checksum {
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10))
	}
	writeBody(w, status, p.ctype(), requestID, b)
}

func (p jsonProtocol) unknownAction(action string) *Error {
	return &Error{http.StatusBadRequest, "UnknownOperationException", "Unknown operation " + action}
}

func (p jsonProtocol) ctype() string {
	if p.contentType == "" {
		return "application/x-amz-json-1.1"
	}
	return p.contentType
}

func writeBody(w http.ResponseWriter, status int, contentType, requestID string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

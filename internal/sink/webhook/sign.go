package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names of every webhook request that rotatord sends.
const (
	// HeaderTimestamp carries the time of the attempt in Unix seconds.
	HeaderTimestamp = "X-Rotatord-Timestamp"
	// HeaderSignature carries "sha256=" and the lowercase hex HMAC-SHA256,
	// under the shared secret, of the timestamp, a '.', and the body.
	HeaderSignature = "X-Rotatord-Signature"
)

// signaturePrefix names the algorithm in HeaderSignature.
const signaturePrefix = "sha256="

// Errors of Verify; callers branch on them with errors.Is.
var (
	// ErrSignature means the signature is missing, malformed or does not
	// match the timestamp and body.
	ErrSignature = errors.New("webhook signature mismatch")
	// ErrTimestamp means the timestamp is malformed or further than maxAge
	// from now, in the past or the future (a replay or a skewed clock).
	ErrTimestamp = errors.New("webhook timestamp out of range")
)

// Sign returns the HeaderSignature value for a request: "sha256=" and the
// hex HMAC-SHA256 under secret of timestamp + "." + body. timestamp is the
// HeaderTimestamp value exactly as sent.
func Sign(secret []byte, timestamp string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a request that rotatord sent, for receivers written in Go:
// timestamp and signature are its HeaderTimestamp and HeaderSignature
// values, body its raw body (before any JSON decoding), now the receiver's
// clock. It returns nil if the signature matches; an error wrapping
// ErrTimestamp if the timestamp is not canonical decimal Unix seconds (as
// rotatord writes it: no sign, no leading zero) or is more than maxAge away
// from now, in either direction; an error wrapping ErrSignature if the
// signature does not match. The comparison is constant-time. The timestamp
// is checked first, so a replay of an old genuine request fails with
// ErrTimestamp; receivers that also want exactly-once handling deduplicate
// on the event's secret and version.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, maxAge time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || sec < 0 || strconv.FormatInt(sec, 10) != timestamp {
		return fmt.Errorf("%w: %q is not Unix seconds in decimal", ErrTimestamp, truncate(timestamp))
	}
	age := now.Sub(time.Unix(sec, 0))
	if age > maxAge || -age > maxAge {
		return fmt.Errorf("%w: %s from now, limit %s", ErrTimestamp, age.Round(time.Second), maxAge)
	}
	hexSig, ok := strings.CutPrefix(signature, signaturePrefix)
	if !ok {
		return fmt.Errorf("%w: want a %q prefix", ErrSignature, signaturePrefix)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: not hex", ErrSignature)
	}
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return ErrSignature
	}
	return nil
}

// truncate keeps attacker-controlled header values short in errors.
func truncate(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

package awsfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	amzDateFormat  = "20060102T150405Z"
)

// authHeader is a parsed SigV4 Authorization header.
type authHeader struct {
	keyID, date, region, service string
	signedHeaders                []string
	signature                    string
}

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/
// SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(h string) (authHeader, *Error) {
	var a authHeader
	alg, rest, _ := strings.Cut(h, " ")
	if alg != sigV4Algorithm {
		return a, errIncompleteSignature("Unsupported AWS 'algorithm': '" + alg + "'")
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" || f[0] == "" {
				return a, errIncompleteSignature("Credential should be scoped to a valid region, not '" + v + "'")
			}
			a.keyID, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	if a.keyID == "" || len(a.signedHeaders) == 0 || a.signature == "" {
		return a, errIncompleteSignature("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters")
	}
	return a, nil
}

// principalLocked finds the principal and credentials of the key a request
// names, refusing unknown, deleted, inactive, not yet propagated and
// expired keys. s.mu must be held.
func (s *Server) principalLocked(r *http.Request, a authHeader, now time.Time) (principal, aws.Credentials, *Error) {
	var p principal
	creds := aws.Credentials{AccessKeyID: a.keyID}
	k := s.keys[a.keyID]
	switch sess := s.sessions[a.keyID]; {
	case k != nil:
		if k.status != statusActive || !s.keyValidLocked(k, now) {
			return p, creds, errInvalidClientTokenID()
		}
		u := s.users[k.user]
		if u == nil { // keys of a deleted user
			return p, creds, errInvalidClientTokenID()
		}
		creds.SecretAccessKey = k.secret
		p.user = u
	case sess != nil:
		token := r.Header.Get("X-Amz-Security-Token")
		if subtle.ConstantTimeCompare([]byte(token), []byte(sess.token)) != 1 {
			return p, creds, errInvalidClientTokenID()
		}
		if !now.Before(sess.expires) {
			return p, creds, errExpiredToken()
		}
		creds.SecretAccessKey, creds.SessionToken = sess.secret, sess.token
		p.session = sess
	default:
		return p, creds, errInvalidClientTokenID()
	}
	return p, creds, nil
}

// authenticate checks the request's signature against the key it names
// and returns the principal that signed it, recording the key's last use.
// The signature is computed without s.mu (it is the costly part, and many
// requests arrive at once); the key is looked up again under s.mu, after,
// in case it changed meanwhile. On success s.mu is held, for the handler.
func (s *Server) authenticate(r *http.Request, body []byte, a authHeader) (principal, time.Time, *Error) {
	s.lock()
	_, creds, aerr := s.principalLocked(r, a, s.nowLocked())
	s.mu.Unlock()
	if aerr != nil {
		return principal{}, time.Time{}, aerr
	}
	if !s.signatureMatches(r, body, a, creds) {
		return principal{}, time.Time{}, errSignatureDoesNotMatch()
	}
	s.lock()
	now := s.nowLocked()
	p, again, aerr := s.principalLocked(r, a, now)
	if aerr == nil && again.SecretAccessKey != creds.SecretAccessKey {
		aerr = errSignatureDoesNotMatch()
	}
	if aerr != nil {
		s.mu.Unlock()
		return principal{}, now, aerr
	}
	if k := s.keys[a.keyID]; k != nil {
		s.recordUseLocked(k, now, a.service, a.region)
	}
	return p, now, nil
}

// keyValidLocked reports whether k has propagated: keys made through
// CreateAccessKey are valid only keyDelay after their creation, and never
// while keyDelay is negative. s.mu must be held.
func (s *Server) keyValidLocked(k *accessKey, now time.Time) bool {
	switch {
	case !k.propagates || s.keyDelay == 0:
		return true
	case s.keyDelay < 0:
		return false
	}
	return !now.Before(k.created.Add(s.keyDelay))
}

// signatureMatchesLocked recomputes the request's signature with the
// secret the server holds and compares it with the one sent. It rebuilds a
// request that carries only the headers the client signed and signs it with
// the SDK's own signer, using the client's X-Amz-Date, region and service
// and the hash of the body actually received. s.signer is safe for
// concurrent use; s.mu need not be held.
func (s *Server) signatureMatches(r *http.Request, body []byte, a authHeader, creds aws.Credentials) bool {
	t, err := time.Parse(amzDateFormat, r.Header.Get("X-Amz-Date"))
	if err != nil || t.Format("20060102") != a.date {
		return false
	}
	if quickSignatureMatches(r, body, a, creds.SecretAccessKey) {
		return true
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := &url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	req := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}}
	for _, name := range a.signedHeaders {
		switch name {
		case "host": // from req.Host, as the signer does
		case "content-length":
			req.ContentLength = r.ContentLength
		default:
			key := textproto.CanonicalMIMEHeaderKey(name)
			if v, ok := r.Header[key]; ok {
				req.Header[key] = slices.Clone(v)
			}
		}
	}
	sum := sha256.Sum256(body)
	if err := s.signer.SignHTTP(r.Context(), creds, req, hex.EncodeToString(sum[:]), a.service, a.region, t); err != nil {
		return false
	}
	want, perr := parseAuthorization(req.Header.Get("Authorization"))
	if perr != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want.signature), []byte(a.signature)) == 1
}

// quickSignatureMatches computes the signature of the common request (a
// POST to "/" with no query, as the SDK sends for IAM, STS, Secrets Manager
// and SSM) itself, as the SigV4 documentation describes, and reports
// whether it equals the one sent. It only ever accepts: a request it does
// not cover, or whose signature it does not reproduce, goes on to the
// SDK's signer, which decides. It spares the signer's request copy and
// allocations for each of the many calls a benchmark makes.
func quickSignatureMatches(r *http.Request, body []byte, a authHeader, secret string) bool {
	if r.Method != http.MethodPost || r.URL.RawQuery != "" || r.URL.EscapedPath() != "/" || !slices.IsSorted(a.signedHeaders) {
		return false
	}
	var cr strings.Builder
	cr.WriteString("POST\n/\n\n")
	for _, name := range a.signedHeaders {
		var v string
		switch name {
		case "host":
			v = r.Host
		case "content-length":
			if r.ContentLength < 0 {
				return false
			}
			v = strconv.FormatInt(r.ContentLength, 10)
		default:
			vs := r.Header[textproto.CanonicalMIMEHeaderKey(name)]
			if len(vs) != 1 || strings.Contains(vs[0], "  ") {
				return false // several values, or spaces to fold: the signer's case
			}
			v = strings.TrimSpace(vs[0])
		}
		cr.WriteString(name)
		cr.WriteByte(':')
		cr.WriteString(v)
		cr.WriteByte('\n')
	}
	cr.WriteByte('\n')
	cr.WriteString(strings.Join(a.signedHeaders, ";"))
	cr.WriteByte('\n')
	bodySum := sha256.Sum256(body)
	cr.WriteString(hex.EncodeToString(bodySum[:]))
	crSum := sha256.Sum256([]byte(cr.String()))
	scope := a.date + "/" + a.region + "/" + a.service + "/aws4_request"
	toSign := sigV4Algorithm + "\n" + r.Header.Get("X-Amz-Date") + "\n" + scope + "\n" + hex.EncodeToString(crSum[:])
	want := hex.EncodeToString(hmacSHA256(signingKey(secret, a.date, a.region, a.service), toSign))
	return subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) == 1
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// signingKeys caches the keys derived from a secret for a day, region and
// service, as the SDK's signer does.
var signingKeys sync.Map // secret, date, region, service → []byte

func signingKey(secret, date, region, service string) []byte {
	id := secret + "\x00" + date + "\x00" + region + "\x00" + service
	if k, ok := signingKeys.Load(id); ok {
		return k.([]byte)
	}
	key := hmacSHA256([]byte("AWS4"+secret), date)
	for _, part := range []string{region, service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	signingKeys.Store(id, key)
	return key
}

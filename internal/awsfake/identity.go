package awsfake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"time"
)

const (
	statusActive   = "Active"
	statusInactive = "Inactive"

	// maxKeysPerUser is IAM's AccessKeysPerUser quota.
	maxKeysPerUser = 2
)

// user is an IAM user. An admin user may manage every user's keys.
type user struct {
	name    string
	id      string // AIDA...
	path    string
	created time.Time
	admin   bool
}

// accessKey is a long-term IAM access key.
type accessKey struct {
	id      string // AKIA...
	secret  string
	user    string
	status  string
	created time.Time
	// propagates marks keys made by CreateAccessKey: they are subject to
	// the server's key delay. Seeded keys are valid at once.
	propagates bool

	// uses are the key's recorded uses, oldest first: the last one
	// visible and those still within the last-used delay (lastused.go).
	uses []keyUse
}

// role is an IAM role that STS AssumeRole hands out sessions for.
type role struct {
	Role
	id string // AROA...
}

// session is a set of temporary credentials from AssumeRole.
type session struct {
	keyID   string // ASIA...
	secret  string
	token   string
	role    *role
	name    string
	expires time.Time
}

// principal is who signed a request: a user, or a role session.
type principal struct {
	user    *user    // nil for a session
	session *session // nil for a user
}

func (p principal) admin() bool {
	if p.user != nil {
		return p.user.admin
	}
	return p.session.role.Admin
}

// arn is the principal's ARN as AWS reports it in GetCallerIdentity and in
// AccessDenied messages.
func (p principal) arn(account string) string {
	if p.user != nil {
		return userARN(account, p.user)
	}
	return "arn:aws:sts::" + account + ":assumed-role/" + p.session.role.Name + "/" + p.session.name
}

// userID is the principal's unique id as GetCallerIdentity reports it.
func (p principal) userID() string {
	if p.user != nil {
		return p.user.id
	}
	return p.session.role.id + ":" + p.session.name
}

func userARN(account string, u *user) string {
	return "arn:aws:iam::" + account + ":user" + u.path + u.name
}

func roleARN(account, name string) string {
	return "arn:aws:iam::" + account + ":role/" + name
}

// newID returns prefix followed by n random characters of [A-Z2-7], the
// alphabet of AWS access key ids and unique ids.
func newID(prefix string, n int) string {
	s := prefix
	for len(s) < len(prefix)+n {
		s += rand.Text()
	}
	return s[:len(prefix)+n]
}

// newSecret returns 40 random characters of [A-Za-z0-9+/], the shape of an
// AWS secret access key.
func newSecret() string {
	b := make([]byte, 30)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(b)
}

// newSessionToken returns an opaque session token of a realistic length.
func newSessionToken() string {
	b := make([]byte, 240)
	_, _ = rand.Read(b)
	return "IQoJb3JpZ2luX2VjE" + base64.StdEncoding.EncodeToString(b)
}

// newRequestID returns a UUID-shaped request id.
func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newKeyIDLocked returns an unused access key id with the given prefix
// (AKIA for long-term keys, ASIA for session keys). s.mu must be held.
func (s *Server) newKeyIDLocked(prefix string) string {
	for {
		id := newID(prefix, 16)
		_, k := s.keys[id]
		_, t := s.sessions[id]
		if !k && !t {
			return id
		}
	}
}

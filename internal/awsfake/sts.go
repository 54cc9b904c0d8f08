package awsfake

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

var stsService = &service{
	signingName: "sts",
	proto:       queryProtocol{version: "2011-06-15", xmlns: "https://sts.amazonaws.com/doc/2011-06-15/"},
	actions: map[string]handler{
		"GetCallerIdentity": (*Server).getCallerIdentityLocked,
		"AssumeRole":        (*Server).assumeRoleLocked,
	},
}

// Role describes an IAM role for Server.AddRole. Any principal of the
// account that the role trusts may assume it with STS AssumeRole; a
// session acts with the role's permissions.
type Role struct {
	// Name is the role's name; its ARN is arn:aws:iam::ACCOUNT:role/NAME.
	Name string
	// Admin lets the role's sessions manage every user's keys.
	Admin bool
	// ExternalID, when set, must be passed to AssumeRole.
	ExternalID string
	// TrustedUsers are the user names allowed to assume the role; empty
	// means every user and every role session of the account.
	TrustedUsers []string
	// MaxSessionDuration bounds AssumeRole's DurationSeconds (default 1h).
	MaxSessionDuration time.Duration
}

// AddRole creates a role and returns its ARN. It fails with ErrExists if a
// role of that name exists.
func (s *Server) AddRole(r Role) (string, error) {
	s.lock()
	defer s.mu.Unlock()
	if !userNamePattern.MatchString(r.Name) {
		return "", fmt.Errorf("awsfake: add role %q: invalid name", r.Name)
	}
	if s.roles[r.Name] != nil {
		return "", fmt.Errorf("awsfake: add role %s: %w", r.Name, ErrExists)
	}
	if r.MaxSessionDuration <= 0 {
		r.MaxSessionDuration = time.Hour
	}
	r.TrustedUsers = slices.Clone(r.TrustedUsers)
	s.roles[r.Name] = &role{Role: r, id: newID("AROA", 17)}
	return roleARN(s.account, r.Name), nil
}

type getCallerIdentityResult struct {
	UserID  string `xml:"UserId"`
	Account string
	Arn     string
}

func (s *Server) getCallerIdentityLocked(c *Call) (any, *Error) {
	return getCallerIdentityResult{UserID: c.caller.userID(), Account: s.account, Arn: c.caller.arn(s.account)}, nil
}

type assumeRoleResult struct {
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	AssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string
	}
}

var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func (s *Server) assumeRoleLocked(c *Call) (any, *Error) {
	arn, name := c.params.Get("RoleArn"), c.params.Get("RoleSessionName")
	if arn == "" {
		return nil, MissingParam("RoleArn")
	}
	if !sessionNamePattern.MatchString(name) {
		return nil, ValidationError("1 validation error detected: Value '" + name +
			"' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]{2,64}")
	}
	r := s.roleByARNLocked(arn)
	denied := errAccessDenied(c.caller.arn(s.account), "sts:AssumeRole", arn)
	switch {
	case r == nil:
		return nil, denied
	case len(r.TrustedUsers) > 0 && (c.caller.user == nil || !slices.Contains(r.TrustedUsers, c.caller.user.name)):
		return nil, denied
	case r.ExternalID != "" && c.params.Get("ExternalId") != r.ExternalID:
		return nil, denied
	}
	d, err := sessionDuration(c.params.Get("DurationSeconds"), r.MaxSessionDuration)
	if err != nil {
		return nil, err
	}
	sess := &session{
		keyID: s.newKeyIDLocked("ASIA"), secret: newSecret(), token: newSessionToken(),
		role: r, name: name, expires: c.now.Add(d),
	}
	s.sessions[sess.keyID] = sess
	var res assumeRoleResult
	res.Credentials.AccessKeyID, res.Credentials.SecretAccessKey = sess.keyID, sess.secret
	res.Credentials.SessionToken, res.Credentials.Expiration = sess.token, wireTime(sess.expires)
	p := principal{session: sess}
	res.AssumedRoleUser.AssumedRoleID, res.AssumedRoleUser.Arn = p.userID(), p.arn(s.account)
	return res, nil
}

// roleByARNLocked finds the role arn names in this account, or nil.
// s.mu must be held.
func (s *Server) roleByARNLocked(arn string) *role {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::"+s.account+":role/")
	if !ok {
		return nil
	}
	return s.roles[rest[strings.LastIndex(rest, "/")+1:]] // skip a role path
}

// sessionDuration parses AssumeRole's DurationSeconds (default one hour).
func sessionDuration(v string, limit time.Duration) (time.Duration, *Error) {
	if v == "" {
		return min(time.Hour, limit), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 900 {
		return 0, ValidationError("1 validation error detected: Value '" + v +
			"' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900")
	}
	d := time.Duration(n) * time.Second
	if d > limit {
		return 0, &Error{http.StatusBadRequest, "ValidationError",
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."}
	}
	return d, nil
}

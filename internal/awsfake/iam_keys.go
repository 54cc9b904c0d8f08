package awsfake

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

type xmlAccessKeyMetadata struct {
	UserName    string
	AccessKeyID string `xml:"AccessKeyId"`
	Status      string
	CreateDate  string
}

type listAccessKeysResult struct {
	UserName          string
	AccessKeyMetadata members[xmlAccessKeyMetadata]
	IsTruncated       bool
	Marker            string `xml:",omitempty"`
}

// userKeysLocked returns name's keys, oldest first. s.mu must be held.
func (s *Server) userKeysLocked(name string) []*accessKey {
	ks := make([]*accessKey, 0, len(s.byUser[name]))
	for _, k := range s.byUser[name] {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b *accessKey) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	return ks
}

func (s *Server) listAccessKeysLocked(c *Call) (any, *Error) {
	u, err := s.targetUserLocked(c)
	if err != nil {
		return nil, err
	}
	ks := s.userKeysLocked(u.name)
	if m := c.params.Get("Marker"); m != "" {
		i := slices.IndexFunc(ks, func(k *accessKey) bool { return k.id == m })
		if i < 0 {
			return nil, ValidationError("Invalid Marker.")
		}
		ks = ks[i:]
	}
	res := listAccessKeysResult{UserName: u.name}
	if n, perr := parseMaxItems(c.params.Get("MaxItems")); perr != nil {
		return nil, perr
	} else if n < len(ks) {
		res.IsTruncated, res.Marker = true, ks[n].id
		ks = ks[:n]
	}
	for _, k := range ks {
		res.AccessKeyMetadata.Member = append(res.AccessKeyMetadata.Member,
			xmlAccessKeyMetadata{UserName: k.user, AccessKeyID: k.id, Status: k.status, CreateDate: wireTime(k.created)})
	}
	return res, nil
}

func parseMaxItems(v string) (int, *Error) {
	if v == "" {
		return 100, nil
	}
	n := 0
	for _, r := range v {
		if r < '0' || r > '9' || n > 1000 {
			return 0, ValidationError("1 validation error detected: Value '" + v + "' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000")
		}
		n = n*10 + int(r-'0')
	}
	if n < 1 || n > 1000 {
		return 0, ValidationError("1 validation error detected: Value '" + v + "' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000")
	}
	return n, nil
}

type xmlAccessKey struct {
	UserName        string
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string
	SecretAccessKey string
	CreateDate      string
}

type createAccessKeyResult struct {
	AccessKey xmlAccessKey
}

func (s *Server) createAccessKeyLocked(c *Call) (any, *Error) {
	u, err := s.targetUserLocked(c)
	if err != nil {
		return nil, err
	}
	k, err := s.addKeyLocked(u, true, c.now)
	if err != nil {
		return nil, err
	}
	return createAccessKeyResult{xmlAccessKey{
		UserName: k.user, AccessKeyID: k.id, Status: k.status, SecretAccessKey: k.secret, CreateDate: wireTime(k.created),
	}}, nil
}

// addKeyLocked creates an active key for u within the per-user quota.
// s.mu must be held.
func (s *Server) addKeyLocked(u *user, propagates bool, now time.Time) (*accessKey, *Error) {
	if len(s.userKeysLocked(u.name)) >= maxKeysPerUser {
		return nil, errKeyLimit()
	}
	k := &accessKey{
		id: s.newKeyIDLocked("AKIA"), secret: newSecret(), user: u.name,
		status: statusActive, created: now, propagates: propagates,
	}
	s.putKeyLocked(k)
	return k, nil
}

// targetKeyLocked resolves the key an IAM key action names: it must belong
// to the target user. s.mu must be held.
func (s *Server) targetKeyLocked(c *Call) (*accessKey, *Error) {
	u, err := s.targetUserLocked(c)
	if err != nil {
		return nil, err
	}
	id := c.params.Get("AccessKeyId")
	if id == "" {
		return nil, MissingParam("AccessKeyId")
	}
	k := s.keys[id]
	if k == nil || k.user != u.name {
		return nil, errNoSuchKey(id)
	}
	return k, nil
}

func (s *Server) updateAccessKeyLocked(c *Call) (any, *Error) {
	k, err := s.targetKeyLocked(c)
	if err != nil {
		return nil, err
	}
	st := c.params.Get("Status")
	if st != statusActive && st != statusInactive {
		return nil, ValidationError("1 validation error detected: Value '" + st +
			"' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]")
	}
	k.status = st
	return nil, nil
}

func (s *Server) deleteAccessKeyLocked(c *Call) (any, *Error) {
	k, err := s.targetKeyLocked(c)
	if err != nil {
		return nil, err
	}
	s.dropKeyLocked(k)
	return nil, nil
}

// putKeyLocked stores a key, indexed by id and by user. s.mu must be held.
func (s *Server) putKeyLocked(k *accessKey) {
	s.keys[k.id] = k
	if s.byUser[k.user] == nil {
		s.byUser[k.user] = map[string]*accessKey{}
	}
	s.byUser[k.user][k.id] = k
}

// dropKeyLocked removes a key from both indexes. s.mu must be held.
func (s *Server) dropKeyLocked(k *accessKey) {
	delete(s.keys, k.id)
	delete(s.byUser[k.user], k.id)
}

type getAccessKeyLastUsedResult struct {
	UserName          string
	AccessKeyLastUsed struct {
		LastUsedDate string `xml:",omitempty"`
		ServiceName  string
		Region       string
	}
}

// getAccessKeyLastUsedLocked answers AccessDenied, not NoSuchEntity, for a
// key the account does not hold, as IAM does: the key's owner is the
// resource, and an unknown key has none.
func (s *Server) getAccessKeyLastUsedLocked(c *Call) (any, *Error) {
	id := c.params.Get("AccessKeyId")
	if id == "" {
		return nil, MissingParam("AccessKeyId")
	}
	k := s.keys[id]
	if k == nil {
		return nil, &Error{http.StatusForbidden, "AccessDenied", "User: " + c.caller.arn(s.account) +
			" is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key " + id}
	}
	if !c.caller.admin() && (c.caller.user == nil || c.caller.user.name != k.user) {
		return nil, errAccessDenied(c.caller.arn(s.account), "iam:GetAccessKeyLastUsed", "user "+k.user)
	}
	var res getAccessKeyLastUsedResult
	res.UserName = k.user
	res.AccessKeyLastUsed.ServiceName, res.AccessKeyLastUsed.Region = "N/A", "N/A"
	if u, ok := s.lastUseLocked(k, c.now); ok {
		res.AccessKeyLastUsed.LastUsedDate = wireTime(u.at)
		res.AccessKeyLastUsed.ServiceName, res.AccessKeyLastUsed.Region = u.service, u.region
	}
	return res, nil
}

package awsfake

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"
)

// User describes an IAM user for Server.AddUserWith.
type User struct {
	// Name is the user's name; its ARN is
	// arn:aws:iam::ACCOUNT:user{Path}{Name}.
	Name string
	// Path is the user's path (default "/"); it begins and ends with "/".
	Path string
	// Admin lets the user manage every user's keys.
	Admin bool
	// Created is the user's creation date (default: the server's now),
	// truncated to the second.
	Created time.Time
}

// AddUserWith creates a user as u describes it, e.g. with a path or an old
// creation date. It fails with ErrExists if the user exists.
func (s *Server) AddUserWith(u User) error {
	s.lock()
	defer s.mu.Unlock()
	path, created := u.Path, u.Created.UTC().Truncate(time.Second)
	if path == "" {
		path = "/"
	}
	if u.Created.IsZero() {
		created = s.nowLocked()
	}
	if _, err := s.addUserLocked(u.Name, path, u.Admin, created); err != nil {
		if err.Code == "EntityAlreadyExists" {
			return fmt.Errorf("awsfake: add user %s: %w", u.Name, ErrExists)
		}
		return fmt.Errorf("awsfake: add user %q: %s", u.Name, err.Message)
	}
	return nil
}

type listUsersResult struct {
	Users       members[xmlUser]
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

// listUsersLocked answers ListUsers: the users whose path begins with
// PathPrefix (default "/"), by name, MaxItems (default 100, at most 1000)
// at a time. The marker is opaque to clients; it names the next page's
// first user, so a page stays correct when users change in between. Only
// an admin may list users.
func (s *Server) listUsersLocked(c *Call) (any, *Error) {
	prefix := c.params.Get("PathPrefix")
	if prefix == "" {
		prefix = "/"
	}
	if !strings.HasPrefix(prefix, "/") || strings.ContainsFunc(prefix, func(r rune) bool { return r < '!' || r > '~' }) {
		return nil, ValidationError("1 validation error detected: Value '" + prefix +
			"' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*")
	}
	if !c.caller.admin() {
		return nil, errAccessDenied(c.caller.arn(s.account), "iam:ListUsers", "arn:aws:iam::"+s.account+":user/")
	}
	n, perr := parseMaxItems(c.params.Get("MaxItems"))
	if perr != nil {
		return nil, perr
	}
	from := ""
	if m := c.params.Get("Marker"); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil || len(b) == 0 {
			return nil, ValidationError("Invalid Marker.")
		}
		from = string(b)
	}
	var users []*user
	for _, u := range s.users {
		if strings.HasPrefix(u.path, prefix) && u.name >= from {
			users = append(users, u)
		}
	}
	slices.SortFunc(users, func(a, b *user) int { return strings.Compare(a.name, b.name) })
	var res listUsersResult
	if n < len(users) {
		res.IsTruncated, res.Marker = true, base64.RawURLEncoding.EncodeToString([]byte(users[n].name))
		users = users[:n]
	}
	res.Users.Member = make([]xmlUser, 0, len(users))
	for _, u := range users {
		res.Users.Member = append(res.Users.Member, s.xmlUserLocked(u))
	}
	return res, nil
}

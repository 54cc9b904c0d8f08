package awsfake

import (
	"regexp"
	"strings"
	"time"
)

var iamService = &service{
	signingName: "iam",
	proto:       queryProtocol{version: "2010-05-08", xmlns: "https://iam.amazonaws.com/doc/2010-05-08/"},
	actions: map[string]handler{
		"CreateUser":           (*Server).createUserLocked,
		"GetUser":              (*Server).getUserLocked,
		"ListAccessKeys":       (*Server).listAccessKeysLocked,
		"CreateAccessKey":      (*Server).createAccessKeyLocked,
		"UpdateAccessKey":      (*Server).updateAccessKeyLocked,
		"DeleteAccessKey":      (*Server).deleteAccessKeyLocked,
		"GetAccessKeyLastUsed": (*Server).getAccessKeyLastUsedLocked,
		"ListUsers":            (*Server).listUsersLocked,

		"GenerateCredentialReport": (*Server).generateCredentialReportLocked,
		"GetCredentialReport":      (*Server).getCredentialReportLocked,
	},
}

// wireTime formats t as the awsQuery protocols do.
func wireTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// members is an XML list in awsQuery shape: <X><member>..</member></X>.
type members[T any] struct {
	Member []T `xml:"member"`
}

type xmlUser struct {
	Path       string
	UserName   string
	UserID     string `xml:"UserId"`
	Arn        string
	CreateDate string
}

func (s *Server) xmlUserLocked(u *user) xmlUser {
	return xmlUser{Path: u.path, UserName: u.name, UserID: u.id, Arn: userARN(s.account, u), CreateDate: wireTime(u.created)}
}

var userNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// targetUserLocked resolves the user an IAM user action applies to: the
// UserName parameter, or the calling user if it is absent. The caller must
// be that user or an admin. s.mu must be held.
func (s *Server) targetUserLocked(c *Call) (*user, *Error) {
	name := c.params.Get("UserName")
	if name == "" {
		if c.caller.user == nil {
			return nil, ValidationError("Must specify userName when calling with non-User credentials")
		}
		name = c.caller.user.name
	}
	if !c.caller.admin() && (c.caller.user == nil || c.caller.user.name != name) {
		return nil, errAccessDenied(c.caller.arn(s.account), "iam:"+c.action, "user "+name)
	}
	u := s.users[name]
	if u == nil {
		return nil, errNoSuchUser(name)
	}
	return u, nil
}

type createUserResult struct {
	User xmlUser
}

func (s *Server) createUserLocked(c *Call) (any, *Error) {
	name := c.params.Get("UserName")
	if name == "" {
		return nil, MissingParam("UserName")
	}
	if !c.caller.admin() {
		return nil, errAccessDenied(c.caller.arn(s.account), "iam:CreateUser", "user "+name)
	}
	path := c.params.Get("Path")
	if path == "" {
		path = "/"
	}
	u, err := s.addUserLocked(name, path, false, c.now)
	if err != nil {
		return nil, err
	}
	return createUserResult{s.xmlUserLocked(u)}, nil
}

// addUserLocked creates a user. s.mu must be held.
func (s *Server) addUserLocked(name, path string, admin bool, now time.Time) (*user, *Error) {
	if !userNamePattern.MatchString(name) {
		return nil, ValidationError("The specified value for userName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-")
	}
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") {
		return nil, ValidationError("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	if s.users[name] != nil {
		return nil, errUserExists(name)
	}
	u := &user{name: name, id: newID("AIDA", 17), path: path, created: now, admin: admin}
	s.users[name] = u
	return u, nil
}

type getUserResult struct {
	User xmlUser
}

func (s *Server) getUserLocked(c *Call) (any, *Error) {
	u, err := s.targetUserLocked(c)
	if err != nil {
		return nil, err
	}
	return getUserResult{s.xmlUserLocked(u)}, nil
}

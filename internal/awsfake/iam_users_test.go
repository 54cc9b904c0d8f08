package awsfake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

// bufferedBodies gives an IAM client a transport that reads each request
// body into memory before sending it. Without it, a response larger than
// the transport's read buffer (a page of 50 users, a credential report)
// fails now and then with "use of closed network connection": once the
// SDK has the response headers it closes the request body it built, and
// if the transport's writer reads that body again (to check for its end)
// after the close, it closes the connection while the response body is
// still being read (aws/aws-sdk-go-v2#2737; the SDK's default retryer
// retries it, the tests' NopRetryer does not).
func bufferedBodies(o *iam.Options) {
	o.HTTPClient = &http.Client{Transport: bufferingTransport{http.DefaultTransport.(*http.Transport).Clone()}}
}

type bufferingTransport struct{ next http.RoundTripper }

func (b bufferingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return nil, err
		}
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return b.next.RoundTrip(r)
}

// userPaths are the paths seedAccount spreads its users over.
var userPaths = []string{"/", "/prod/", "/team-a/", "/team-a/ci/"}

// seedAccount adds n users (u000, u001, ...) over userPaths, created a
// year before the clock's now, each with one key created 200 days ago;
// every fifth user has a second key, created 10 days ago. It returns the
// users' names by path.
func seedAccount(t *testing.T, s *Server, clock *awstest.Clock, n int) map[string][]string {
	t.Helper()
	byPath := map[string][]string{}
	now := clock.Now()
	for i := range n {
		name, path := fmt.Sprintf("u%03d", i), userPaths[i%len(userPaths)]
		if err := s.AddUserWith(User{Name: name, Path: path, Created: now.AddDate(-1, 0, 0)}); err != nil {
			t.Fatal(err)
		}
		byPath[path] = append(byPath[path], name)
		k, err := s.AddKey(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetKeyCreateDate(k.AccessKeyID, now.AddDate(0, 0, -200)); err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			k2, err := s.AddKey(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SetKeyCreateDate(k2.AccessKeyID, now.AddDate(0, 0, -10)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return byPath
}

// listUsers lists the users under prefix through the SDK's paginator, in
// pages of maxItems, and returns their names, paths and ARNs in order
// and the number of pages.
func listUsers(t *testing.T, c *iam.Client, prefix string, maxItems int32) (names, paths, arns []string, pages int) {
	t.Helper()
	in := &iam.ListUsersInput{MaxItems: aws.Int32(maxItems)}
	if prefix != "" {
		in.PathPrefix = aws.String(prefix)
	}
	p := iam.NewListUsersPaginator(c, in)
	for p.HasMorePages() {
		if pages++; pages > 1000 {
			t.Fatal("paginator does not stop")
		}
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListUsers page %d: %v", pages, err)
		}
		if len(out.Users) > int(maxItems) {
			t.Fatalf("page %d has %d users, want at most %d", pages, len(out.Users), maxItems)
		}
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
			paths = append(paths, aws.ToString(u.Path))
			arns = append(arns, aws.ToString(u.Arn))
		}
	}
	return names, paths, arns, pages
}

func TestListUsersPathsAndPages(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now))
	c := awstest.IAM(url, s.SeedUser("admin", true), bufferedBodies)
	byPath := seedAccount(t, s, clock, 300)

	tests := []struct {
		name      string
		prefix    string
		maxItems  int32
		want      []string
		wantPages int
	}{
		{"all, default prefix", "", 100, append(allNames(byPath), "admin"), 4},
		{"all, pages of 7", "/", 7, append(allNames(byPath), "admin"), 43},
		{"one path", "/prod/", 1000, byPath["/prod/"], 1},
		{"path and its subpaths", "/team-a/", 50, slices.Concat(byPath["/team-a/"], byPath["/team-a/ci/"]), 3},
		{"subpath", "/team-a/ci/", 75, byPath["/team-a/ci/"], 1},
		{"prefix of a path segment", "/team", 1000, slices.Concat(byPath["/team-a/"], byPath["/team-a/ci/"]), 1},
		{"no match", "/nobody/", 10, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names, paths, arns, pages := listUsers(t, c, tt.prefix, tt.maxItems)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(names, want) {
				t.Errorf("got %d users %v..., want %d %v...", len(names), head(names), len(want), head(want))
			}
			if pages != tt.wantPages {
				t.Errorf("got %d pages, want %d", pages, tt.wantPages)
			}
			for i, name := range names {
				if !strings.HasPrefix(paths[i], orDefault(tt.prefix, "/")) {
					t.Errorf("user %s has path %q, outside %q", name, paths[i], tt.prefix)
				}
				if want := "arn:aws:iam::123456789012:user" + paths[i] + name; arns[i] != want {
					t.Errorf("user %s: got arn %q, want %q", name, arns[i], want)
				}
			}
		})
	}
}

func TestListUsersFields(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now))
	c := awstest.IAM(url, s.SeedUser("admin", true))
	created := clock.Now().AddDate(-2, 0, 0)
	if err := s.AddUserWith(User{Name: "ci-bot", Path: "/team-a/ci/", Created: created}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUserWith(User{Name: "ci-bot", Path: "/other/"}); !errors.Is(err, ErrExists) {
		t.Errorf("AddUserWith of an existing user: got %v, want ErrExists", err)
	}
	if err := s.AddUserWith(User{Name: "bad", Path: "no-slashes"}); err == nil {
		t.Error("AddUserWith with an invalid path: got no error")
	}
	out, err := c.ListUsers(t.Context(), &iam.ListUsersInput{PathPrefix: aws.String("/team-a/")})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(out.Users) != 1 || out.IsTruncated || out.Marker != nil {
		t.Fatalf("got %d users (truncated %v, marker %v), want ci-bot alone", len(out.Users), out.IsTruncated, out.Marker)
	}
	u := out.Users[0]
	got, err := c.GetUser(t.Context(), &iam.GetUserInput{UserName: aws.String("ci-bot")})
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if aws.ToString(u.UserId) != aws.ToString(got.User.UserId) || !strings.HasPrefix(aws.ToString(u.UserId), "AIDA") {
		t.Errorf("got user id %q, want GetUser's %q", aws.ToString(u.UserId), aws.ToString(got.User.UserId))
	}
	if !aws.ToTime(u.CreateDate).Equal(created) || aws.ToString(u.Path) != "/team-a/ci/" {
		t.Errorf("got created %v, path %q; want %v, /team-a/ci/", aws.ToTime(u.CreateDate), aws.ToString(u.Path), created)
	}
	if got, want := aws.ToString(u.Arn), "arn:aws:iam::123456789012:user/team-a/ci/ci-bot"; got != want {
		t.Errorf("got arn %q, want %q", got, want)
	}
	// CreateUser with a path lists under it.
	if _, err := c.CreateUser(t.Context(), &iam.CreateUserInput{UserName: aws.String("web"), Path: aws.String("/prod/")}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if names, _, _, _ := listUsers(t, c, "/prod/", 10); !slices.Equal(names, []string{"web"}) {
		t.Errorf("got users %v under /prod/, want [web]", names)
	}
}

func TestListUsersErrors(t *testing.T) {
	s, url := Start(t)
	admin := awstest.IAM(url, s.SeedUser("admin", true))
	bob := awstest.IAM(url, s.SeedUser("bob", false))
	tests := []struct {
		name    string
		c       *iam.Client
		in      *iam.ListUsersInput
		code    string
		status  int
		message string
	}{
		{"not an admin", bob, &iam.ListUsersInput{}, "AccessDenied", 403,
			"User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/"},
		{"MaxItems over 1000", admin, &iam.ListUsersInput{MaxItems: aws.Int32(1001)}, "ValidationError", 400, "maxItems"},
		{"MaxItems 0", admin, &iam.ListUsersInput{MaxItems: aws.Int32(0)}, "ValidationError", 400, "maxItems"},
		{"invalid marker", admin, &iam.ListUsersInput{Marker: aws.String("not base64!")}, "ValidationError", 400, "Invalid Marker"},
		{"prefix without a slash", admin, &iam.ListUsersInput{PathPrefix: aws.String("prod/")}, "ValidationError", 400, "pathPrefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.ListUsers(t.Context(), tt.in)
			awstest.WantCode(t, err, tt.code)
			if got := awstest.HTTPStatus(err); got != tt.status {
				t.Errorf("got HTTP %d, want %d", got, tt.status)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("got %v, want a message with %q", err, tt.message)
			}
		})
	}
}

func allNames(byPath map[string][]string) []string {
	var all []string
	for _, names := range byPath {
		all = append(all, names...)
	}
	return all
}

func head(s []string) []string { return s[:min(len(s), 5)] }

func orDefault(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

// The ListUsers marker names the next page's first user, so a page stays
// right when users are added between pages.
func TestListUsersMarkerSurvivesChanges(t *testing.T) {
	s, url := Start(t)
	c := awstest.IAM(url, s.SeedUser("admin", true))
	for _, n := range []string{"b", "d", "f"} {
		if err := s.AddUser(n, false); err != nil {
			t.Fatal(err)
		}
	}
	first, err := c.ListUsers(t.Context(), &iam.ListUsersInput{MaxItems: aws.Int32(2)})
	if err != nil || !first.IsTruncated {
		t.Fatalf("first page: %v, truncated %v; want truncated", err, first.IsTruncated)
	}
	if err := s.AddUser("c", false); err != nil { // before the marker: not listed again
		t.Fatal(err)
	}
	if err := s.AddUser("e", false); err != nil { // after it: listed
		t.Fatal(err)
	}
	rest, err := c.ListUsers(t.Context(), &iam.ListUsersInput{Marker: first.Marker})
	if err != nil {
		t.Fatalf("second page: %v", err)
	}
	var got []string
	for _, u := range slices.Concat(first.Users, rest.Users) {
		got = append(got, aws.ToString(u.UserName))
	}
	if want := []string{"admin", "b", "d", "e", "f"}; !slices.Equal(got, want) || rest.IsTruncated {
		t.Errorf("got %v (truncated %v), want %v", got, rest.IsTruncated, want)
	}
}

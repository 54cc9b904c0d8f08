package awsfake

import (
	"encoding/json"
	"hash/crc32"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

// echoService is a JSON service for the tests of Handle: Say answers with
// what the handler sees of the call, Deny refuses every caller.
func echoService() Service {
	return Service{
		SigningName: "echo", TargetPrefix: "Echo_1", Checksum: true,
		Actions: map[string]Handler{
			"Say": func(c *Call) (any, *Error) {
				var in struct {
					SecretID string `json:"SecretId"`
				}
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				return map[string]string{"Said": in.SecretID, "Action": c.Action(), "Owner": c.Owner(),
					"Region": c.Region(), "Account": c.Account()}, nil
			},
			"Deny": func(c *Call) (any, *Error) {
				if c.MayUse("user/nobody") {
					return struct{}{}, nil
				}
				return nil, c.Denied("echo:Deny", "arn:aws:echo:::thing")
			},
		},
	}
}

// send makes a request signed with creds for the echo service and
// returns the response and its body.
func send(t *testing.T, url string, creds aws.Credentials, target string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(awstest.SignedJSONRequest(t, url, creds, "echo", target))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestHandle(t *testing.T) {
	s, url := Start(t, WithAccount("210987654321"))
	s.Handle(echoService())
	admin := s.SeedUser("admin", true)
	bob := s.SeedUser("bob", false)

	resp, body := send(t, url, bob, "Echo_1.Say")
	var got map[string]string
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("Say: got %d %s (%v), want 200 and a JSON object", resp.StatusCode, body, err)
	}
	want := map[string]string{"Said": "x", "Action": "Say", "Owner": "user/bob", "Region": "us-east-1", "Account": "210987654321"}
	if !maps.Equal(got, want) {
		t.Errorf("Say: got %v, want %v", got, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("Say: got content type %q, want the default application/x-amz-json-1.1", ct)
	}
	if sum := resp.Header.Get("X-Amz-Crc32"); sum != strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10) {
		t.Errorf("Say: got X-Amz-Crc32 %q, want the CRC32 of %s", sum, body)
	}

	// A denial is in the JSON dialect; an admin may use anything.
	resp, body = send(t, url, bob, "Echo_1.Deny")
	var e map[string]string
	_ = json.Unmarshal(body, &e)
	if resp.StatusCode != http.StatusBadRequest || e["__type"] != "AccessDeniedException" ||
		e["message"] != "User: arn:aws:iam::210987654321:user/bob is not authorized to perform: echo:Deny on resource: arn:aws:echo:::thing because no identity-based policy allows the echo:Deny action" {
		t.Errorf("Deny as bob: got %d %s, want 400 AccessDeniedException naming bob", resp.StatusCode, body)
	}
	if resp, body = send(t, url, admin, "Echo_1.Deny"); resp.StatusCode != http.StatusOK {
		t.Errorf("Deny as admin: got %d %s, want 200", resp.StatusCode, body)
	}

	// An action the service lacks fails loudly.
	resp, body = send(t, url, admin, "Echo_1.Shout")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "UnknownOperationException") {
		t.Errorf("Shout: got %d %s, want 400 UnknownOperationException", resp.StatusCode, body)
	}
	if got, want := s.Unhandled(), []string{"echo:Shout"}; !slices.Equal(got, want) {
		t.Errorf("Unhandled() = %q, want %q", got, want)
	}
	if n := s.Calls("Say"); n != 1 {
		t.Errorf("Calls(Say) = %d, want 1", n)
	}
}

func TestHandleErrorBodyAndFaults(t *testing.T) {
	s, url := Start(t)
	svc := echoService()
	svc.ContentType, svc.InternalError = "application/x-amz-json-1.0", "EchoFailure"
	svc.ErrorBody = func(e *Error) any { return map[string]string{"kind": e.Code, "why": e.Message} }
	s.Handle(svc)
	admin := s.SeedUser("admin", true)

	s.FailNext("Say", 1, ServiceFailure)
	resp, body := send(t, url, admin, "Echo_1.Say")
	var e map[string]string
	_ = json.Unmarshal(body, &e)
	if resp.StatusCode != http.StatusInternalServerError || e["kind"] != "EchoFailure" || e["why"] != ServiceFailure.Message {
		t.Errorf("ServiceFailure: got %d %s, want 500 with kind EchoFailure", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
		t.Errorf("got content type %q, want application/x-amz-json-1.0", ct)
	}
	s.FailNext("Say", 1, Throttling)
	if _, body = send(t, url, admin, "Echo_1.Say"); !strings.Contains(string(body), `"kind":"ThrottlingException"`) {
		t.Errorf("Throttling: got %s, want kind ThrottlingException", body)
	}
}

func TestHandleTwicePanics(t *testing.T) {
	for _, tt := range []struct {
		name string
		svc  Service
	}{
		{"same signing name", Service{SigningName: "echo", TargetPrefix: "Echo_2"}},
		{"same target prefix", Service{SigningName: "echo2", TargetPrefix: "Echo_1"}},
		{"a built-in service", Service{SigningName: "iam", TargetPrefix: "IAM"}},
		{"no target prefix", Service{SigningName: "other"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			s.Handle(echoService())
			defer func() {
				if recover() == nil {
					t.Errorf("Handle(%+v) did not panic", tt.svc)
				}
			}()
			s.Handle(tt.svc)
		})
	}
}

package awsfake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestUnhandledQueryActions(t *testing.T) {
	s, url := Start(t)
	creds := s.SeedUser("admin", true)

	_, err := iamClient(url, creds).ListGroups(t.Context(), &iam.ListGroupsInput{})
	wantCode(t, err, "InvalidAction")
	if got := httpStatus(err); got != 400 {
		t.Errorf("got HTTP %d, want 400", got)
	}
	_, err = stsClient(url, creds).GetSessionToken(t.Context(), &sts.GetSessionTokenInput{})
	wantCode(t, err, "InvalidAction")

	if got, want := s.Unhandled(), []string{"iam:ListGroups", "sts:GetSessionToken"}; !slices.Equal(got, want) {
		t.Errorf("Unhandled() = %q, want %q", got, want)
	}
	if n := s.Calls("ListGroups"); n != 0 {
		t.Errorf("Calls(ListGroups) = %d, want 0 for an unhandled action", n)
	}
}

// signedJSONRequest builds a SigV4-signed awsJson request, as the Secrets
// Manager or SSM clients send.
func signedJSONRequest(t *testing.T, url string, creds aws.Credentials, service, target string) *http.Request {
	t.Helper()
	body := []byte(`{"SecretId":"x"}`)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestUnhandledJSONService(t *testing.T) {
	var logs bytes.Buffer
	s, url := Start(t, WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	creds := s.SeedUser("admin", true)

	resp, err := http.DefaultClient.Do(signedJSONRequest(t, url, creds, "secretsmanager", "secretsmanager.ListSecrets"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode JSON error: %v", err)
	}
	if resp.StatusCode != 400 || body.Type != "UnknownOperationException" {
		t.Errorf("got %d %q, want 400 UnknownOperationException", resp.StatusCode, body.Type)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-amz-json") {
		t.Errorf("got content type %q, want JSON", ct)
	}
	if got, want := s.Unhandled(), []string{"secretsmanager:ListSecrets"}; !slices.Equal(got, want) {
		t.Errorf("Unhandled() = %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "secretsmanager:ListSecrets") {
		t.Errorf("log lacks the unhandled request:\n%s", logs.String())
	}
}

func TestLogsCarryNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	s, url := Start(t, WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	creds := s.SeedUser("admin", true)
	out, err := iamClient(url, creds).CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "CreateAccessKey") {
		t.Fatalf("no call logged:\n%s", logs.String())
	}
	for _, secret := range []string{creds.SecretAccessKey, aws.ToString(out.AccessKey.SecretAccessKey)} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log contains a secret access key:\n%s", logs.String())
		}
	}
}

package awsfake

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

func TestUnhandledQueryActions(t *testing.T) {
	s, url := Start(t)
	creds := s.SeedUser("admin", true)

	_, err := awstest.IAM(url, creds).ListGroups(t.Context(), &iam.ListGroupsInput{})
	awstest.WantCode(t, err, "InvalidAction")
	if got := awstest.HTTPStatus(err); got != 400 {
		t.Errorf("got HTTP %d, want 400", got)
	}
	_, err = awstest.STS(url, creds).GetSessionToken(t.Context(), &sts.GetSessionTokenInput{})
	awstest.WantCode(t, err, "InvalidAction")

	if got, want := s.Unhandled(), []string{"iam:ListGroups", "sts:GetSessionToken"}; !slices.Equal(got, want) {
		t.Errorf("Unhandled() = %q, want %q", got, want)
	}
	if n := s.Calls("ListGroups"); n != 0 {
		t.Errorf("Calls(ListGroups) = %d, want 0 for an unhandled action", n)
	}
}

func TestUnhandledJSONService(t *testing.T) {
	var logs bytes.Buffer
	s, url := Start(t, WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	creds := s.SeedUser("admin", true)

	resp, err := http.DefaultClient.Do(awstest.SignedJSONRequest(t, url, creds, "secretsmanager", "secretsmanager.ListSecrets"))
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
	out, err := awstest.IAM(url, creds).CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{})
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

package awsfake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

func TestRejectedCredentials(t *testing.T) {
	s, url := Start(t)
	s.SeedUser("admin", true)
	deleted := s.SeedUser("deleted", false)
	inactive := s.SeedUser("inactive", false)
	good := s.SeedUser("good", false)
	if err := s.DeleteKey(deleted.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKeyStatus(inactive.AccessKeyID, "Inactive"); err != nil {
		t.Fatal(err)
	}
	wrongSecret := good
	wrongSecret.SecretAccessKey = strings.Repeat("x", 40)
	unknown := aws.Credentials{AccessKeyID: "AKIAAAAAAAAAAAAAAAAA", SecretAccessKey: good.SecretAccessKey}

	tests := []struct {
		name  string
		creds aws.Credentials
		code  string
	}{
		{"valid key", good, ""},
		{"deleted key", deleted, "InvalidClientTokenId"},
		{"inactive key", inactive, "InvalidClientTokenId"},
		{"unknown key", unknown, "InvalidClientTokenId"},
		{"wrong secret", wrongSecret, "SignatureDoesNotMatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := awstest.STS(url, tt.creds).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
			awstest.WantCode(t, err, tt.code)
			_, err = awstest.IAM(url, tt.creds).ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{})
			awstest.WantCode(t, err, tt.code)
		})
	}
}

// tamperer is an HTTP client that rewrites request bodies after the SDK
// signed them, like a meddling proxy.
type tamperer struct{ from, to string }

func (tp tamperer) Do(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	b = bytes.ReplaceAll(b, []byte(tp.from), []byte(tp.to))
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	return http.DefaultClient.Do(r)
}

func TestTamperedBody(t *testing.T) {
	tests := []struct {
		name, from, to string
		code           string
	}{
		{"untouched (control)", "", "", ""},
		{"same length", "UserName=alice", "UserName=bobby", "SignatureDoesNotMatch"},
		{"other length", "UserName=alice", "UserName=mallory", "SignatureDoesNotMatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, url := Start(t)
			admin := s.SeedUser("admin", true)
			for _, u := range []string{"alice", "bobby", "mallory"} {
				if err := s.AddUser(u, false); err != nil {
					t.Fatal(err)
				}
			}
			c := awstest.IAM(url, admin, func(o *iam.Options) { o.HTTPClient = tamperer{tt.from, tt.to} })
			_, err := c.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
			awstest.WantCode(t, err, tt.code)
			wantKeys := map[string]int{"alice": 1, "bobby": 0, "mallory": 0}
			if tt.code != "" {
				wantKeys["alice"] = 0
			}
			for u, n := range wantKeys {
				if got := len(s.Keys(u)); got != n {
					t.Errorf("%s has %d keys, want %d", u, got, n)
				}
			}
		})
	}
}

func TestMissingAuthentication(t *testing.T) {
	_, url := Start(t)
	resp, err := http.Post(url, "application/x-www-form-urlencoded",
		strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Code    string   `xml:"Error>Code"`
		Type    string   `xml:"Error>Type"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode error body: %v", err)
	}
	if resp.StatusCode != http.StatusForbidden || body.Code != "MissingAuthenticationToken" || body.Type != "Sender" {
		t.Errorf("got %d %s/%s, want 403 Sender/MissingAuthenticationToken", resp.StatusCode, body.Type, body.Code)
	}
	if body.Xmlns != "https://sts.amazonaws.com/doc/2011-06-15/" {
		t.Errorf("got xmlns %q, want STS's", body.Xmlns)
	}
}

func TestKeyDelay(t *testing.T) {
	tests := []struct {
		name    string
		delay   time.Duration
		advance []time.Duration // clock steps
		valid   []bool          // validity before the first step and after each
	}{
		{"no delay", 0, nil, []bool{true}},
		{"ten seconds", 10 * time.Second, []time.Duration{9 * time.Second, time.Second}, []bool{false, false, true}},
		{"never", -1, []time.Duration{365 * 24 * time.Hour}, []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := awstest.NewClock()
			s, url := Start(t, WithClock(clock.Now), WithKeyDelay(tt.delay))
			admin := s.SeedUser("admin", true)
			s.SeedUser("alice", false)
			out, err := awstest.IAM(url, admin).CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
			if err != nil {
				t.Fatalf("CreateAccessKey: %v", err)
			}
			fresh := aws.Credentials{AccessKeyID: *out.AccessKey.AccessKeyId, SecretAccessKey: *out.AccessKey.SecretAccessKey}
			check := func(ctx context.Context, step int, valid bool) {
				_, err := awstest.STS(url, fresh).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
				want := "InvalidClientTokenId"
				if valid {
					want = ""
				}
				if got := awstest.Code(err); got != want {
					t.Errorf("step %d: got %v, want code %q", step, err, want)
				}
				if _, err := awstest.STS(url, admin).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
					t.Errorf("step %d: seeded key rejected: %v", step, err)
				}
			}
			check(t.Context(), 0, tt.valid[0])
			for i, d := range tt.advance {
				clock.Advance(d)
				check(t.Context(), i+1, tt.valid[i+1])
			}
			s.SetKeyDelay(0)
			check(t.Context(), len(tt.advance)+1, true)
		})
	}
}

// TestQuickSignature: the shortcut reproduces the signature the SDK's
// signer puts on an IAM and a JSON request, and refuses a tampered body,
// another secret, a changed signed header and another date's key.
func TestQuickSignature(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	signer := v4.NewSigner()
	at := time.Date(2026, 11, 25, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		service, body string
		header        map[string]string
	}{
		{"iam", "Action=ListAccessKeys&UserName=app&Version=2010-05-08", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
		{"secretsmanager", `{"SecretId":"x"}`, map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetSecretValue"}},
	} {
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", strings.NewReader(c.body))
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		req.Header.Set("Amz-Sdk-Invocation-Id", "0f2c0b4e-0000-4000-8000-000000000000")
		sum := sha256.Sum256([]byte(c.body))
		if err := signer.SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), c.service, "us-east-1", at); err != nil {
			t.Fatal(err)
		}
		a, aerr := parseAuthorization(req.Header.Get("Authorization"))
		if aerr != nil {
			t.Fatal(aerr)
		}
		if !quickSignatureMatches(req, []byte(c.body), a, creds.SecretAccessKey) {
			t.Errorf("%s: the shortcut does not reproduce the SDK's signature (signed headers %v)", c.service, a.signedHeaders)
		}
		if quickSignatureMatches(req, []byte(c.body+" "), a, creds.SecretAccessKey) {
			t.Errorf("%s: a tampered body passes", c.service)
		}
		if quickSignatureMatches(req, []byte(c.body), a, creds.SecretAccessKey+"x") {
			t.Errorf("%s: another secret passes", c.service)
		}
		other := a
		other.date = "20261124"
		if quickSignatureMatches(req, []byte(c.body), other, creds.SecretAccessKey) {
			t.Errorf("%s: another date's key passes", c.service)
		}
		req.Header.Set("Content-Type", "text/plain")
		if quickSignatureMatches(req, []byte(c.body), a, creds.SecretAccessKey) {
			t.Errorf("%s: a changed signed header passes", c.service)
		}
	}
}

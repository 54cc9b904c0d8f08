package awsfaketest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	"github.com/rotatord/rotatord/internal/awsfake"
)

// sdkConfig builds an SDK config explicitly, never from the environment.
func sdkConfig(c aws.Credentials) aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// errCode returns the API error code of err, or "" if err is nil or not
// an API error.
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// wantCode fails the test unless err is an API error with code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := errCode(err); got != code {
		t.Fatalf("got error %v (code %q), want code %q", err, got, code)
	}
}

func isType[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func after(f awsfake.Fault) awsfake.Fault {
	f.After = true
	return f
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

func smClient(url string, c aws.Credentials) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(sdkConfig(c), func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(url)
	})
}

func ssmClient(url string, c aws.Credentials) *ssm.Client {
	return ssm.NewFromConfig(sdkConfig(c), func(o *ssm.Options) {
		o.BaseEndpoint = aws.String(url)
	})
}

// getValue returns the value of the secret's version at stage, failing
// the test on error.
func getValue(t *testing.T, c *secretsmanager.Client, id, stage string) *secretsmanager.GetSecretValueOutput {
	t.Helper()
	out, err := c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id), VersionStage: aws.String(stage)})
	if err != nil {
		t.Fatalf("GetSecretValue(%s, %s): %v", id, stage, err)
	}
	return out
}

package awstest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// SignedJSONRequest builds a POST to url of an awsJson request for target
// (X-Amz-Target) with a small fixed body, SigV4-signed with creds for
// service in us-east-1 at the real time, as the Secrets Manager or SSM
// clients send it. It fails the test if the request cannot be built.
func SignedJSONRequest(t testing.TB, url string, creds aws.Credentials, service, target string) *http.Request {
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

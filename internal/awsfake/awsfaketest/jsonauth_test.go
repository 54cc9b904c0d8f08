package awsfaketest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

// jsonCalls runs one harmless call of each JSON service with creds.
func jsonCalls(url string) map[string]func(t *testing.T, c aws.Credentials) error {
	return map[string]func(t *testing.T, c aws.Credentials) error{
		"secretsmanager": func(t *testing.T, c aws.Credentials) error {
			_, err := awstest.SecretsManager(url, c).GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("x")})
			return err
		},
		"ssm": func(t *testing.T, c aws.Credentials) error {
			_, err := awstest.SSM(url, c).GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/x")})
			return err
		},
	}
}

func TestJSONSigV4Failures(t *testing.T) {
	s, url := Start(t)
	admin := s.SeedUser("admin", true)
	gone := s.SeedUser("gone", false)
	if err := s.DeleteKey(gone.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	wrong := admin
	wrong.SecretAccessKey = strings.Repeat("x", 40)
	tests := []struct {
		name  string
		creds aws.Credentials
		code  string
	}{
		{"wrong secret", wrong, "InvalidSignatureException"},
		{"deleted key", gone, "UnrecognizedClientException"},
		{"unknown key", aws.Credentials{AccessKeyID: "AKIAAAAAAAAAAAAAAAAA", SecretAccessKey: "x"}, "UnrecognizedClientException"},
	}
	for svc, call := range jsonCalls(url) {
		for _, tt := range tests {
			t.Run(svc+"/"+tt.name, func(t *testing.T) {
				err := call(t, tt.creds)
				awstest.WantCode(t, err, tt.code)
				if got := awstest.HTTPStatus(err); got != 400 {
					t.Errorf("got HTTP %d, want 400", got)
				}
			})
		}
	}

	req := awstest.SignedJSONRequest(t, url, admin, "ssm", "AmazonSSM.GetParameter")
	req.Header.Del("Authorization")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 || body["__type"] != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned: got %d %v, want 400 MissingAuthenticationTokenException", resp.StatusCode, body)
	}
}

func TestJSONAccessDenied(t *testing.T) {
	s, url := Start(t)
	admin := s.SeedUser("admin", true)
	bob := s.SeedUser("bob", false)
	ctx := t.Context()
	if _, err := awstest.SecretsManager(url, admin).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("admins"), SecretString: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	if _, err := awstest.SSM(url, admin).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/admins"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}

	bsm, bssm := awstest.SecretsManager(url, bob), awstest.SSM(url, bob)
	denied := map[string]error{}
	_, denied["secretsmanager:GetSecretValue"] = bsm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("admins")})
	_, denied["secretsmanager:PutSecretValue"] = bsm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("admins"), SecretString: aws.String("w")})
	_, denied["ssm:GetParameter"] = bssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/admins")})
	_, denied["ssm:PutParameter"] = bssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/admins"), Value: aws.String("w"), Overwrite: aws.Bool(true)})
	for action, err := range denied {
		awstest.WantCode(t, err, "AccessDeniedException")
		if msg := awstest.Message(err); !strings.Contains(msg, s.UserARN("bob")) || !strings.Contains(msg, action) {
			t.Errorf("%s: message %q lacks the caller or the action", action, msg)
		}
		if got := awstest.HTTPStatus(err); got != 400 {
			t.Errorf("%s: got HTTP %d, want 400", action, got)
		}
	}
	if v, _ := s.SecretValue("admins", "AWSCURRENT"); v.SecretString != "v" {
		t.Errorf("a denied put changed the secret to %q", v.SecretString)
	}

	// Bob's own secret and parameter are his, and an admin's too.
	if _, err := bsm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("bobs"), SecretString: aws.String("b1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := bsm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("bobs"), SecretString: aws.String("b2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := bssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/bobs"), Value: aws.String("b"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	if out := awstest.GetSecretValue(t, awstest.SecretsManager(url, admin), "bobs", "AWSCURRENT"); aws.ToString(out.SecretString) != "b2" {
		t.Errorf("admin reads %q, want b2", aws.ToString(out.SecretString))
	}
	if _, err := awstest.SSM(url, admin).DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/bobs")}); err != nil {
		t.Errorf("admin deletes bob's parameter: %v", err)
	}
}

func TestJSONFaults(t *testing.T) {
	s, url := Start(t)
	creds := s.SeedUser("admin", true)
	sm, ps := awstest.SecretsManager(url, creds), awstest.SSM(url, creds)
	ctx := t.Context()
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("f"), SecretString: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	s.RecordCalls(true)

	// A 500 after the effect: the version exists, and the retry with the
	// same ClientRequestToken finds it.
	s.FailNext("PutSecretValue", 1, awsfake.ServiceFailure.AfterEffect())
	in := &secretsmanager.PutSecretValueInput{SecretId: aws.String("f"), SecretString: aws.String("v2"),
		ClientRequestToken: aws.String("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")}
	_, err := sm.PutSecretValue(ctx, in)
	if !awstest.IsType[*smtypes.InternalServiceError](err) || awstest.HTTPStatus(err) != 500 {
		t.Fatalf("got %v (HTTP %d), want InternalServiceError (500)", err, awstest.HTTPStatus(err))
	}
	if v, _ := s.SecretValue("f", "AWSCURRENT"); v.SecretString != "v2" {
		t.Errorf("after the fault AWSCURRENT is %q, want v2 (the put took effect)", v.SecretString)
	}
	out, err := sm.PutSecretValue(ctx, in)
	if err != nil || aws.ToString(out.VersionId) != *in.ClientRequestToken {
		t.Fatalf("retry: got %v, %v", out, err)
	}
	if sec, _ := s.Secret("f"); len(sec.Versions) != 2 {
		t.Errorf("got %d versions, want 2", len(sec.Versions))
	}

	s.FailNext("GetParameter", 1, awsfake.Throttling)
	_, err = ps.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/x")})
	awstest.WantCode(t, err, "ThrottlingException")
	s.FailNext("PutParameter", 1, awsfake.ServiceFailure)
	_, err = ps.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/x"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString})
	if !awstest.IsType[*ssmtypes.InternalServerError](err) {
		t.Errorf("got %v, want InternalServerError", err)
	}
	if _, err := s.Parameter("/x"); err == nil {
		t.Error("a fault before the effect created the parameter")
	}

	// A held put takes effect only when released.
	h := s.Hold("PutParameter")
	errc := make(chan error, 1)
	go func() {
		_, err := ps.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/x"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString})
		errc <- err
	}()
	<-h.Reached()
	if _, err := s.Parameter("/x"); err == nil {
		t.Error("a held put took effect")
	}
	h.Release()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}

	if n := s.Calls("PutSecretValue"); n != 2 {
		t.Errorf("Calls(PutSecretValue) = %d, want 2", n)
	}
	services := map[string]int{}
	for _, r := range s.CallLog() {
		services[r.Service]++
	}
	if services["secretsmanager"] != 2 || services["ssm"] != 3 {
		t.Errorf("CallLog services: got %v, want secretsmanager 2, ssm 3", services)
	}
}

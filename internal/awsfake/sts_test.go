package awsfake

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

func TestGetCallerIdentity(t *testing.T) {
	s, url := Start(t, WithAccount("210987654321"))
	out, err := awstest.STS(url, s.SeedUser("alice", false)).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if got, want := aws.ToString(out.Arn), "arn:aws:iam::210987654321:user/alice"; got != want {
		t.Errorf("got arn %q, want %q", got, want)
	}
	if got, want := aws.ToString(out.Arn), s.UserARN("alice"); got != want {
		t.Errorf("got arn %q, UserARN says %q", got, want)
	}
	if got := aws.ToString(out.Account); got != "210987654321" {
		t.Errorf("got account %q, want 210987654321", got)
	}
	if got := aws.ToString(out.UserId); !strings.HasPrefix(got, "AIDA") {
		t.Errorf("got user id %q, want an AIDA id", got)
	}
}

func TestAssumeRole(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now))
	caller := s.SeedUser("deployer", false)
	s.SeedUser("alice", false)
	adminARN, err := s.AddRole(Role{Name: "rotator", Admin: true, ExternalID: "ext-1"})
	if err != nil {
		t.Fatal(err)
	}
	plainARN, err := s.AddRole(Role{Name: "reader"})
	if err != nil {
		t.Fatal(err)
	}
	c := awstest.STS(url, caller)

	out, err := c.AssumeRole(t.Context(), &sts.AssumeRoleInput{
		RoleArn: aws.String(adminARN), RoleSessionName: aws.String("rotation-1"),
		ExternalId: aws.String("ext-1"), DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if id := aws.ToString(out.Credentials.AccessKeyId); !strings.HasPrefix(id, "ASIA") || len(id) != 20 {
		t.Errorf("got session key id %q, want ASIA + 16 chars", id)
	}
	if got, want := aws.ToTime(out.Credentials.Expiration), clock.Now().Add(15*time.Minute); !got.Equal(want) {
		t.Errorf("got expiration %v, want %v", got, want)
	}
	sessARN := "arn:aws:sts::123456789012:assumed-role/rotator/rotation-1"
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != sessARN {
		t.Errorf("got assumed role arn %q, want %q", got, sessARN)
	}

	sess := sessionCreds(out)
	id, err := awstest.STS(url, sess).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with session: %v", err)
	}
	if aws.ToString(id.Arn) != sessARN || !strings.HasSuffix(aws.ToString(id.UserId), ":rotation-1") {
		t.Errorf("got identity %s / %s, want %s", aws.ToString(id.Arn), aws.ToString(id.UserId), sessARN)
	}

	// The admin role's session may manage alice's keys, naming her.
	if _, err := awstest.IAM(url, sess).CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{UserName: aws.String("alice")}); err != nil {
		t.Fatalf("CreateAccessKey with an admin session: %v", err)
	}
	_, err = awstest.IAM(url, sess).CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{})
	awstest.WantCode(t, err, "ValidationError")

	// A non-admin role's session may not.
	plain, err := c.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(plainARN), RoleSessionName: aws.String("s2")})
	if err != nil {
		t.Fatalf("AssumeRole without external id: %v", err)
	}
	_, err = awstest.IAM(url, sessionCreds(plain)).ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	awstest.WantCode(t, err, "AccessDenied")
	if !strings.Contains(err.Error(), "User: arn:aws:sts::123456789012:assumed-role/reader/s2 is not authorized") {
		t.Errorf("got %v, want the session's ARN in the message", err)
	}

	// Sessions expire.
	clock.Advance(15 * time.Minute)
	_, err = awstest.STS(url, sess).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	awstest.WantCode(t, err, "ExpiredToken")
}

func TestAssumeRoleErrors(t *testing.T) {
	s, url := Start(t)
	caller := s.SeedUser("deployer", false)
	withExt, _ := s.AddRole(Role{Name: "ext", ExternalID: "secret-ext"})
	trusting, _ := s.AddRole(Role{Name: "trusting", TrustedUsers: []string{"someone-else"}})
	short, _ := s.AddRole(Role{Name: "short"})
	c := awstest.STS(url, caller)

	tests := []struct {
		name string
		in   sts.AssumeRoleInput
		code string
	}{
		{"missing external id", sts.AssumeRoleInput{RoleArn: &withExt}, "AccessDenied"},
		{"wrong external id", sts.AssumeRoleInput{RoleArn: &withExt, ExternalId: aws.String("guess-ext")}, "AccessDenied"},
		{"untrusted caller", sts.AssumeRoleInput{RoleArn: &trusting}, "AccessDenied"},
		{"unknown role", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/nope")}, "AccessDenied"},
		{"other account", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::999999999999:role/short")}, "AccessDenied"},
		{"duration over the role's maximum", sts.AssumeRoleInput{RoleArn: &short, DurationSeconds: aws.Int32(7200)}, "ValidationError"},
		{"duration under 15 minutes", sts.AssumeRoleInput{RoleArn: &short, DurationSeconds: aws.Int32(60)}, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.RoleSessionName = aws.String("sess")
			_, err := c.AssumeRole(t.Context(), &in)
			awstest.WantCode(t, err, tt.code)
		})
	}
}

func TestSessionTokenMustMatch(t *testing.T) {
	s, url := Start(t)
	caller := s.SeedUser("deployer", false)
	arn, _ := s.AddRole(Role{Name: "r"})
	out, err := awstest.STS(url, caller).AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: &arn, RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{"", "not-the-token"} {
		creds := sessionCreds(out)
		creds.SessionToken = token
		_, err := awstest.STS(url, creds).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidClientTokenId" {
			t.Errorf("token %q: got %v, want InvalidClientTokenId", token, err)
		}
	}
}

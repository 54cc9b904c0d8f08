package awsfake

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

var (
	keyIDPattern  = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
)

func TestCreateUserAndGetUser(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now))
	admin := awstest.IAM(url, s.SeedUser("admin", true))

	out, err := admin.CreateUser(t.Context(), &iam.CreateUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	u := out.User
	if got, want := aws.ToString(u.Arn), "arn:aws:iam::123456789012:user/alice"; got != want {
		t.Errorf("got arn %q, want %q", got, want)
	}
	if id := aws.ToString(u.UserId); !regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`).MatchString(id) {
		t.Errorf("got user id %q, want AIDA + 17 chars", id)
	}
	if got := aws.ToString(u.Path); got != "/" {
		t.Errorf("got path %q, want /", got)
	}
	if got := aws.ToTime(u.CreateDate); !got.Equal(clock.Now()) {
		t.Errorf("got create date %v, want %v", got, clock.Now())
	}

	got, err := admin.GetUser(t.Context(), &iam.GetUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if aws.ToString(got.User.UserId) != aws.ToString(u.UserId) || aws.ToString(got.User.UserName) != "alice" {
		t.Errorf("GetUser got %+v, want the created user %+v", got.User, u)
	}
	self, err := admin.GetUser(t.Context(), &iam.GetUserInput{})
	if err != nil {
		t.Fatalf("GetUser of the caller: %v", err)
	}
	if got := aws.ToString(self.User.UserName); got != "admin" {
		t.Errorf("GetUser without a name got %q, want the caller admin", got)
	}
}

func TestCreateAndListAccessKeys(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now))
	admin := awstest.IAM(url, s.SeedUser("admin", true))
	if err := s.AddUser("alice", false); err != nil {
		t.Fatal(err)
	}

	out, err := admin.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	k := out.AccessKey
	id, secret := aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey)
	if !keyIDPattern.MatchString(id) {
		t.Errorf("got key id %q, want AKIA + 16 chars of [A-Z2-7]", id)
	}
	if !secretPattern.MatchString(secret) {
		t.Errorf("got secret of %d chars, want 40 chars of [A-Za-z0-9+/]", len(secret))
	}
	if k.Status != types.StatusTypeActive || aws.ToString(k.UserName) != "alice" || !aws.ToTime(k.CreateDate).Equal(clock.Now()) {
		t.Errorf("got key %+v, want active, alice's, created now", k)
	}

	list, err := admin.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatalf("ListAccessKeys: %v", err)
	}
	if len(list.AccessKeyMetadata) != 1 || list.IsTruncated {
		t.Fatalf("got %d keys (truncated %v), want 1 untruncated", len(list.AccessKeyMetadata), list.IsTruncated)
	}
	m := list.AccessKeyMetadata[0]
	if aws.ToString(m.AccessKeyId) != id || m.Status != types.StatusTypeActive || aws.ToString(m.UserName) != "alice" ||
		!aws.ToTime(m.CreateDate).Equal(clock.Now()) {
		t.Errorf("got metadata %+v, want key %s of alice", m, id)
	}
	if ks := s.Keys("alice"); len(ks) != 1 || ks[0].ID != id {
		t.Errorf("Keys(alice) = %+v, want [%s]", ks, id)
	}
	if owner, ok := s.KeyOwner(id); !ok || owner != "alice" {
		t.Errorf("KeyOwner = %q, %v; want alice", owner, ok)
	}
}

func TestAccessKeyLimit(t *testing.T) {
	s, url := Start(t)
	c := awstest.IAM(url, s.SeedUser("admin", true))
	for range 1 { // admin has one key already; one more fits
		if _, err := c.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{}); err != nil {
			t.Fatalf("CreateAccessKey within the quota: %v", err)
		}
	}
	_, err := c.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{})
	var le *types.LimitExceededException
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want LimitExceededException", err)
	}
	if got, want := le.ErrorMessage(), "Cannot exceed quota for AccessKeysPerUser: 2"; got != want {
		t.Errorf("got message %q, want %q", got, want)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 409 {
		t.Errorf("got %v, want HTTP 409", err)
	}
	if n := len(s.Keys("admin")); n != 2 {
		t.Errorf("admin has %d keys, want 2", n)
	}
}

func TestUpdateAndDeleteAccessKey(t *testing.T) {
	s, url := Start(t)
	c := awstest.IAM(url, s.SeedUser("admin", true))
	alice := s.SeedUser("alice", false)

	_, err := c.UpdateAccessKey(t.Context(), &iam.UpdateAccessKeyInput{
		UserName: aws.String("alice"), AccessKeyId: aws.String(alice.AccessKeyID), Status: types.StatusTypeInactive,
	})
	if err != nil {
		t.Fatalf("UpdateAccessKey: %v", err)
	}
	list, err := c.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatalf("ListAccessKeys: %v", err)
	}
	if len(list.AccessKeyMetadata) != 1 || list.AccessKeyMetadata[0].Status != types.StatusTypeInactive {
		t.Fatalf("got %+v, want alice's key inactive", list.AccessKeyMetadata)
	}

	_, err = c.DeleteAccessKey(t.Context(), &iam.DeleteAccessKeyInput{
		UserName: aws.String("alice"), AccessKeyId: aws.String(alice.AccessKeyID),
	})
	if err != nil {
		t.Fatalf("DeleteAccessKey: %v", err)
	}
	list, err = c.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatalf("ListAccessKeys: %v", err)
	}
	if list.AccessKeyMetadata == nil || len(list.AccessKeyMetadata) != 0 {
		t.Errorf("got %#v, want an empty, non-nil list", list.AccessKeyMetadata)
	}
}

func TestListAccessKeysPages(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now))
	creds := s.SeedUser("admin", true)
	clock.Advance(time.Minute)
	second, err := s.AddKey("admin")
	if err != nil {
		t.Fatal(err)
	}
	c := awstest.IAM(url, creds)
	var got []string
	p := iam.NewListAccessKeysPaginator(c, &iam.ListAccessKeysInput{MaxItems: aws.Int32(1)})
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 2 {
			t.Fatal("paginator does not stop")
		}
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListAccessKeys page: %v", err)
		}
		for _, m := range out.AccessKeyMetadata {
			got = append(got, aws.ToString(m.AccessKeyId))
		}
	}
	if want := []string{creds.AccessKeyID, second.AccessKeyID}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got keys %v, want %v oldest first", got, want)
	}
}

func TestNonAdminManagesOwnKeys(t *testing.T) {
	s, url := Start(t)
	bobKey := s.SeedUser("bob", false)
	c := awstest.IAM(url, bobKey)

	created, err := c.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{})
	if err != nil {
		t.Fatalf("CreateAccessKey for itself: %v", err)
	}
	if got := aws.ToString(created.AccessKey.UserName); got != "bob" {
		t.Errorf("new key belongs to %q, want bob", got)
	}
	list, err := c.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("bob")})
	if err != nil || len(list.AccessKeyMetadata) != 2 {
		t.Fatalf("ListAccessKeys: %v, %d keys; want 2", err, len(list.AccessKeyMetadata))
	}
	if _, err := c.UpdateAccessKey(t.Context(), &iam.UpdateAccessKeyInput{
		AccessKeyId: created.AccessKey.AccessKeyId, Status: types.StatusTypeInactive,
	}); err != nil {
		t.Fatalf("UpdateAccessKey: %v", err)
	}
	if _, err := c.DeleteAccessKey(t.Context(), &iam.DeleteAccessKeyInput{AccessKeyId: created.AccessKey.AccessKeyId}); err != nil {
		t.Fatalf("DeleteAccessKey: %v", err)
	}
	last, err := c.GetAccessKeyLastUsed(t.Context(), &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(bobKey.AccessKeyID)})
	if err != nil || aws.ToString(last.UserName) != "bob" {
		t.Fatalf("GetAccessKeyLastUsed of its own key: %v, %v", err, last)
	}
	if ks := s.Keys("bob"); len(ks) != 1 || ks[0].ID != bobKey.AccessKeyID {
		t.Errorf("bob's keys = %+v, want only the seeded one", ks)
	}
}

func TestGetAccessKeyLastUsed(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now))
	c := awstest.IAM(url, s.SeedUser("admin", true))
	alice := s.SeedUser("alice", false)
	last := func() *iam.GetAccessKeyLastUsedOutput {
		t.Helper()
		out, err := c.GetAccessKeyLastUsed(t.Context(), &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(alice.AccessKeyID)})
		if err != nil {
			t.Fatalf("GetAccessKeyLastUsed: %v", err)
		}
		return out
	}

	never := last()
	if got := aws.ToString(never.UserName); got != "alice" {
		t.Errorf("got user %q, want alice", got)
	}
	u := never.AccessKeyLastUsed
	if u.LastUsedDate != nil || aws.ToString(u.ServiceName) != "N/A" || aws.ToString(u.Region) != "N/A" {
		t.Errorf("never used: got date %v, service %q, region %q; want nil, N/A, N/A",
			u.LastUsedDate, aws.ToString(u.ServiceName), aws.ToString(u.Region))
	}

	clock.Advance(time.Hour)
	used := clock.Now()
	eu := awstest.Config(alice)
	eu.Region = "eu-west-1"
	if _, err := sts.NewFromConfig(eu, func(o *sts.Options) { o.BaseEndpoint = aws.String(url) }).
		GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	clock.Advance(time.Hour)
	u = last().AccessKeyLastUsed
	if !aws.ToTime(u.LastUsedDate).Equal(used) || aws.ToString(u.ServiceName) != "sts" || aws.ToString(u.Region) != "eu-west-1" {
		t.Errorf("got date %v, service %q, region %q; want %v, sts, eu-west-1",
			aws.ToTime(u.LastUsedDate), aws.ToString(u.ServiceName), aws.ToString(u.Region), used)
	}
}

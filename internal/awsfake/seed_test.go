package awsfake

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

func TestDirectHelpers(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now))
	admin := s.SeedUser("admin", true)
	if err := s.AddUser("admin", false); !errors.Is(err, ErrExists) {
		t.Errorf("AddUser of an existing user: got %v, want ErrExists", err)
	}
	if err := s.AddUser("bad name!", false); err == nil {
		t.Error("AddUser of an invalid name succeeded")
	}
	if _, err := s.AddKey("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("AddKey for an unknown user: got %v, want ErrNotFound", err)
	}
	second, err := s.AddKey("admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddKey("admin"); !errors.Is(err, ErrKeyLimit) {
		t.Errorf("third AddKey: got %v, want ErrKeyLimit", err)
	}

	old := clock.Now().Add(-90 * 24 * time.Hour)
	if err := s.SetKeyCreateDate(admin.AccessKeyID, old); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKeyStatus(second.AccessKeyID, "Inactive"); err != nil {
		t.Fatal(err)
	}
	out, err := awstest.IAM(url, admin).ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatalf("ListAccessKeys: %v", err)
	}
	got := map[string]string{}
	for _, m := range out.AccessKeyMetadata {
		got[aws.ToString(m.AccessKeyId)] = string(m.Status) + " " + aws.ToTime(m.CreateDate).Format(time.RFC3339)
	}
	want := map[string]string{
		admin.AccessKeyID:  "Active " + old.Format(time.RFC3339),
		second.AccessKeyID: "Inactive " + clock.Now().Format(time.RFC3339),
	}
	if len(got) != len(want) || got[admin.AccessKeyID] != want[admin.AccessKeyID] || got[second.AccessKeyID] != want[second.AccessKeyID] {
		t.Errorf("IAM reports %v, want %v", got, want)
	}
	if ks := s.Keys("admin"); len(ks) != 2 || ks[0].ID != admin.AccessKeyID || !ks[0].CreateDate.Equal(old) {
		t.Errorf("Keys = %+v, want the back-dated key first", ks)
	}

	if err := s.SetKeyStatus(second.AccessKeyID, "Paused"); err == nil {
		t.Error("SetKeyStatus accepted an invalid status")
	}
	if err := s.DeleteKey(second.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.KeyOwner(second.AccessKeyID); ok {
		t.Error("deleted key still has an owner")
	}
	for name, err := range map[string]error{
		"DeleteKey":        s.DeleteKey(second.AccessKeyID),
		"SetKeyStatus":     s.SetKeyStatus(second.AccessKeyID, "Active"),
		"SetKeyCreateDate": s.SetKeyCreateDate(second.AccessKeyID, old),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of a deleted key: got %v, want ErrNotFound", name, err)
		}
	}
	if _, err := s.AddRole(Role{Name: "r"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRole(Role{Name: "r"}); !errors.Is(err, ErrExists) {
		t.Errorf("second AddRole: got %v, want ErrExists", err)
	}
	if got := s.Account(); got != DefaultAccount {
		t.Errorf("Account() = %q, want %q", got, DefaultAccount)
	}
}

func TestSeedUserPanicsOnDuplicate(t *testing.T) {
	s := New()
	s.SeedUser("alice", false)
	defer func() {
		if recover() == nil {
			t.Error("second SeedUser did not panic")
		}
	}()
	s.SeedUser("alice", false)
}

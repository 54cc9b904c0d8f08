package iamrotate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/config"
)

// adopt sets adopt_unknown_keys.
func adopt(c *config.RotatedSecret) { c.AdoptUnknownKeys = true }

// fixedOwners answers every claim with the same holders and records what
// it was asked.
type fixedOwners struct {
	claims []Claim
	asked  []string // "self arn keys"
}

func (f *fixedOwners) Claim(_ context.Context, self, arn string, keyIDs []string) ([]Claim, error) {
	f.asked = append(f.asked, self+" "+arn+" "+strings.Join(slices.Sorted(slices.Values(keyIDs)), ","))
	return f.claims, nil
}

// TestOwnedUserRefused: a secret whose IAM user another secret owns is
// refused at inspect, after asking with the user's ARN and keys and before
// any key is created or deleted; the error is its last error and its
// rotation is closed.
func TestOwnedUserRefused(t *testing.T) {
	e := newEnv(t)
	extra, err := e.fake.AddKey("app")
	if err != nil {
		t.Fatal(err)
	}
	owners := &fixedOwners{claims: []Claim{{Holder: "secret /team/first (line 12)", Owns: true, KeyIDs: []string{extra.AccessKeyID}}}}
	spec := e.spec(e.secretConfig(adopt))
	spec.Owners = owners
	_, err = e.rotate(spec)
	if !errors.Is(err, ErrOwned) || !strings.Contains(err.Error(), "IAM user app is also the user of secret /team/first (line 12), which comes first in the configuration") {
		t.Fatalf("got %v, want ErrOwned naming the owner", err)
	}
	keys := slices.Sorted(slices.Values([]string{e.app.AccessKeyID, extra.AccessKeyID}))
	if want := "/team/app " + e.fake.UserARN("app") + " " + strings.Join(keys, ","); len(owners.asked) != 1 || owners.asked[0] != want {
		t.Errorf("asked %q, want once %q", owners.asked, want)
	}
	if n := e.fake.Calls("CreateAccessKey") + e.fake.Calls("DeleteAccessKey"); n != 0 {
		t.Errorf("%d create/delete calls, want none", n)
	}
	if got := e.keyIDs("app"); len(got) != 2 {
		t.Errorf("IAM keys %v, want both", got)
	}
	st := e.state("/team/app")
	if st.Journal != nil || !strings.Contains(st.LastError, "/team/first") {
		t.Errorf("journal %v, last error %q: want the rotation closed and the refusal recorded", st.Journal, st.LastError)
	}

	// Discover (of a secret the store does not know yet) refuses too, and
	// records it: list and status must not say ok.
	other := e.spec(e.secretConfig(adopt, func(c *config.RotatedSecret) { c.Name = "/team/other" }))
	other.Owners = owners
	if _, err := e.rot.Discover(context.Background(), other); !errors.Is(err, ErrOwned) {
		t.Errorf("discover: got %v, want ErrOwned", err)
	}
	if st := e.state("/team/other"); !strings.Contains(st.LastError, "/team/first") {
		t.Errorf("after discover: last error %q, want the refusal", st.LastError)
	}
}

// TestForeignKeyNeverAdopted: with adopt_unknown_keys, the user's second
// key is deleted to make room, unless another holder holds it: then the
// rotation fails naming the holder and both keys stay.
func TestForeignKeyNeverAdopted(t *testing.T) {
	e := newEnv(t)
	extra, err := e.fake.AddKey("app")
	if err != nil {
		t.Fatal(err)
	}
	before := e.keyIDs("app")
	spec := e.spec(e.secretConfig(adopt))
	spec.Owners = &fixedOwners{claims: []Claim{{Holder: "secret /team/second (line 20)", KeyIDs: []string{extra.AccessKeyID}}}}
	_, err = e.rotate(spec)
	if !errors.Is(err, ErrOwned) || !strings.Contains(err.Error(), "holds "+extra.AccessKeyID+" besides the current key "+e.app.AccessKeyID+", and it is the key of secret /team/second (line 20)") {
		t.Fatalf("got %v, want ErrOwned naming the other secret's key", err)
	}
	if got := e.keyIDs("app"); !slices.Equal(got, before) {
		t.Errorf("IAM keys %v, want them untouched: %v", got, before)
	}
	e.wantWorks(extra.AccessKeyID, extra.SecretAccessKey, "app")
	if st := e.state("/team/app"); st.Journal != nil || !strings.Contains(st.LastError, "/team/second") {
		t.Errorf("journal %v, last error %q", st.Journal, st.LastError)
	}

	spec.Owners = &fixedOwners{} // the other secret is gone: the key is adopted
	res := e.mustRotate(spec)
	if got := e.keyIDs("app"); !slices.Equal(got, []string{e.app.AccessKeyID, res.NewKeyID}) {
		t.Errorf("IAM keys %v, want [%s %s]", got, e.app.AccessKeyID, res.NewKeyID)
	}
}

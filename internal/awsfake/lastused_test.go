package awsfake

import (
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

// lastUsed is a key's AccessKeyLastUsed as the SDK returns it.
type lastUsed struct {
	user, service, region string
	date                  time.Time // zero: none
}

func getLastUsed(t *testing.T, c *iam.Client, keyID string) lastUsed {
	t.Helper()
	out, err := c.GetAccessKeyLastUsed(t.Context(), &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keyID)})
	if err != nil {
		t.Fatalf("GetAccessKeyLastUsed %s: %v", keyID, err)
	}
	u := out.AccessKeyLastUsed
	return lastUsed{user: aws.ToString(out.UserName), service: aws.ToString(u.ServiceName),
		region: aws.ToString(u.Region), date: aws.ToTime(u.LastUsedDate)}
}

// callSTS makes a GetCallerIdentity signed with k for region.
func callSTS(t *testing.T, url string, k aws.Credentials, region string) {
	t.Helper()
	if _, err := awstest.STS(url, k, func(o *sts.Options) { o.Region = region }).
		GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
}

func TestLastUsedDelay(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now), WithLastUsedDelay(4*time.Hour))
	admin := awstest.IAM(url, s.SeedUser("admin", true))
	alice := s.SeedUser("alice", false)

	callSTS(t, url, alice, "eu-west-1")
	first := clock.Now()
	clock.Advance(4*time.Hour - time.Second)
	if got := getLastUsed(t, admin, alice.AccessKeyID); !got.date.IsZero() || got.service != "N/A" || got.region != "N/A" {
		t.Errorf("inside the delay: got %+v, want no use yet (N/A)", got)
	}
	clock.Advance(time.Second)
	want := lastUsed{user: "alice", service: "sts", region: "eu-west-1", date: first}
	if got := getLastUsed(t, admin, alice.AccessKeyID); got != want {
		t.Errorf("after the delay: got %+v, want %+v", got, want)
	}

	// A later use hides behind the delay: the earlier one shows meanwhile.
	callSTS(t, url, alice, "ap-south-1")
	second := clock.Now()
	clock.Advance(time.Hour)
	if got := getLastUsed(t, admin, alice.AccessKeyID); got != want {
		t.Errorf("second use inside the delay: got %+v, want the first %+v", got, want)
	}
	clock.Advance(3 * time.Hour)
	want = lastUsed{user: "alice", service: "sts", region: "ap-south-1", date: second}
	if got := getLastUsed(t, admin, alice.AccessKeyID); got != want {
		t.Errorf("second use after the delay: got %+v, want %+v", got, want)
	}
}

// IAM records only the first use of a key in 15 minutes, and its own
// calls in us-east-1 whatever the client's region.
func TestLastUsedCoalescingAndIAMRegion(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now))
	admin := awstest.IAM(url, s.SeedUser("admin", true))
	alice := s.SeedUser("alice", false)
	self := awstest.IAM(url, alice, func(o *iam.Options) { o.Region = "eu-central-1" })

	if _, err := self.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{}); err != nil {
		t.Fatalf("ListAccessKeys: %v", err)
	}
	first := clock.Now()
	want := lastUsed{user: "alice", service: "iam", region: "us-east-1", date: first}
	if got := getLastUsed(t, admin, alice.AccessKeyID); got != want {
		t.Errorf("after an IAM call signed for eu-central-1: got %+v, want %+v", got, want)
	}
	clock.Advance(15*time.Minute - time.Second)
	callSTS(t, url, alice, "eu-west-1")
	if got := getLastUsed(t, admin, alice.AccessKeyID); got != want {
		t.Errorf("a use 14m59s later: got %+v, want the first %+v", got, want)
	}
	clock.Advance(time.Second)
	callSTS(t, url, alice, "eu-west-1")
	want = lastUsed{user: "alice", service: "sts", region: "eu-west-1", date: clock.Now()}
	if got := getLastUsed(t, admin, alice.AccessKeyID); got != want {
		t.Errorf("a use 15m later: got %+v, want %+v", got, want)
	}
}

// A request to a service added with Handle counts as a use, under the
// service's signing name; a request that fails authentication does not.
func TestLastUsedByAddedService(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now))
	s.Handle(echoService())
	admin := awstest.IAM(url, s.SeedUser("admin", true))
	alice := s.SeedUser("alice", false)

	if resp, _ := send(t, url, alice, "Echo_1.Say"); resp.StatusCode != http.StatusOK {
		t.Fatalf("Say: HTTP %d", resp.StatusCode)
	}
	want := lastUsed{user: "alice", service: "echo", region: "us-east-1", date: clock.Now()}
	if got := getLastUsed(t, admin, alice.AccessKeyID); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	clock.Advance(time.Hour)
	wrong := alice
	wrong.SecretAccessKey = "x" + wrong.SecretAccessKey[1:]
	if resp, _ := send(t, url, wrong, "Echo_1.Say"); resp.StatusCode == http.StatusOK {
		t.Fatal("Say with a wrong secret succeeded")
	}
	if got := getLastUsed(t, admin, alice.AccessKeyID); got != want {
		t.Errorf("after a request with a wrong secret: got %+v, want still %+v", got, want)
	}
}

func TestSetLastUsed(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now), WithLastUsedDelay(time.Hour))
	admin := awstest.IAM(url, s.SeedUser("admin", true))
	alice := s.SeedUser("alice", false)

	yesterday := clock.Now().Add(-24 * time.Hour)
	if err := s.SetLastUsed(alice.AccessKeyID, yesterday.Add(123*time.Millisecond), "s3", "N/A"); err != nil {
		t.Fatal(err)
	}
	want := lastUsed{user: "alice", service: "s3", region: "N/A", date: yesterday}
	if got := getLastUsed(t, admin, alice.AccessKeyID); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// A use within the delay is not visible: the seeded one still is.
	if err := s.SetLastUsed(alice.AccessKeyID, clock.Now().Add(-time.Minute), "ssm", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	if got := getLastUsed(t, admin, alice.AccessKeyID); !got.date.IsZero() || got.service != "N/A" {
		t.Errorf("seeded inside the delay: got %+v, want none visible (it replaced yesterday's)", got)
	}
	if err := s.SetLastUsed(alice.AccessKeyID, time.Time{}, "", ""); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	if got := getLastUsed(t, admin, alice.AccessKeyID); !got.date.IsZero() || got.service != "N/A" || got.region != "N/A" {
		t.Errorf("after erasing: got %+v, want never used", got)
	}
	if err := s.SetLastUsed("AKIAUNKNOWN000000000", clock.Now(), "sts", "us-east-1"); err == nil {
		t.Error("SetLastUsed of an unknown key: got no error")
	}
}

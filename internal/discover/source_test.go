package discover_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/awsfake/awstest"
	"github.com/rotatord/rotatord/internal/discover"
)

var accessDenied = awsfake.Fault{Status: http.StatusForbidden, Code: "AccessDenied",
	Message: "User is not authorized to perform: iam:GenerateCredentialReport"}

// Auto falls back to per-user calls when the report is refused; Report
// fails, naming the permission.
func TestReportDenied(t *testing.T) {
	a := newAccount(t, 12)
	c := a.client(t, 1000)
	want := a.wantKeys(nil, nil)

	a.fake.FailNext("GetCredentialReport", 1, accessDenied)
	diff(t, "auto", run(t, a, c, discover.Options{}), want)
	if a.fake.Calls("GetAccessKeyLastUsed") != len(want) {
		t.Errorf("GetAccessKeyLastUsed called %d times, want once per key (%d): no fallback?", a.fake.Calls("GetAccessKeyLastUsed"), len(want))
	}

	a.fake.FailNext("GenerateCredentialReport", 1, accessDenied)
	_, err := discover.Discover(t.Context(), c, discover.Options{Source: discover.Report, Wait: noWait})
	awstest.WantCode(t, err, "AccessDenied")
	if err == nil || !strings.Contains(err.Error(), "iam:GenerateCredentialReport") {
		t.Errorf("got %v, want the permission named", err)
	}
}

// A report that takes 5 minutes to generate: Discover waits (through the
// injected wait, which moves the fake's clock) until IAM says COMPLETE.
func TestReportInProgress(t *testing.T) {
	a := newAccount(t, 6, awsfake.WithCredentialReportTime(5*time.Minute))
	c := a.client(t, 1000)
	waits := 0
	wait := func(ctx context.Context, attempt int) error {
		waits++
		if attempt != waits {
			t.Errorf("wait attempt %d, want %d", attempt, waits)
		}
		a.clock.Advance(2 * time.Minute)
		return nil
	}
	got, err := discover.Discover(t.Context(), c, discover.Options{Source: discover.Report, Wait: wait, Now: a.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if waits != 3 { // STARTED, INPROGRESS at +2m and +4m, COMPLETE at +6m
		t.Errorf("waited %d times, want 3", waits)
	}
	diff(t, "report", got, a.wantKeys(nil, nil))

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	a.clock.Advance(5 * time.Hour) // the report expired: a new one is generated
	_, err = discover.Discover(ctx, c, discover.Options{Source: discover.Report})
	if err == nil {
		t.Error("Discover with a cancelled context succeeded")
	}
}

// Keys created after the report get their last use from
// GetAccessKeyLastUsed; keys deleted since are not listed.
func TestReportOlderThanKeys(t *testing.T) {
	a := newAccount(t, 10)
	c := a.client(t, 1000)
	run(t, a, c, discover.Options{Source: discover.Report}) // makes the report
	a.clock.Advance(time.Hour)

	gone := a.byUser["u005"][0]
	if err := a.fake.DeleteKey(gone); err != nil {
		t.Fatal(err)
	}
	delete(a.want, gone)
	k, err := a.fake.AddKey("u003")
	if err != nil {
		t.Fatal(err)
	}
	a.want[k.AccessKeyID] = discover.Key{User: "u003", Path: "/team-a/ci/", AccessKeyID: k.AccessKeyID, Status: "Active", Created: a.clock.Now()}
	if _, err := awstest.IAM(a.url, k).ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{}); err != nil {
		t.Fatal(err)
	}
	a.used(k.AccessKeyID, a.clock.Now(), "iam", "us-east-1")

	before := a.fake.Calls("GetAccessKeyLastUsed")
	diff(t, "report an hour old", run(t, a, c, discover.Options{Source: discover.Report}), a.wantKeys(nil, nil))
	if got := a.fake.Calls("GetAccessKeyLastUsed") - before; got != 1 {
		t.Errorf("GetAccessKeyLastUsed called %d times, want once (the new key)", got)
	}
}

package discover_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/awsfake/awstest"
	"github.com/rotatord/rotatord/internal/daemon"
	"github.com/rotatord/rotatord/internal/discover"
)

// account is awsfake seeded as the account, and what each of its
// keys must show.
type account struct {
	fake   *awsfake.Server
	url    string
	clock  *awstest.Clock
	admin  aws.Credentials
	want   map[string]discover.Key // by access key ID
	byUser map[string][]string     // key IDs by user, oldest first
}

var paths = []string{"/", "/prod/", "/team-a/", "/team-a/ci/"}

// newAccount seeds n users (u000...) over paths, created a year ago, each
// with a key created 200 days ago; every fifth user has a second key,
// created 10 days ago; u007's key is inactive. Six keys were used
// yesterday (seeded, in several services and regions), one ("real") by a
// real STS call a day ago; the others never. The admin key that
// discovers has signed one call already.
func newAccount(t *testing.T, n int, opts ...awsfake.Option) *account {
	t.Helper()
	clock := awstest.NewClock()
	fake, url := awsfake.Start(t, append([]awsfake.Option{awsfake.WithClock(clock.Now)}, opts...)...)
	a := &account{fake: fake, url: url, clock: clock, want: map[string]discover.Key{}, byUser: map[string][]string{}}
	a.admin = fake.SeedUser("admin", true)
	t0 := clock.Now()
	add := func(user, path string, created time.Time) string {
		k, err := fake.AddKey(user)
		if err != nil {
			t.Fatal(err)
		}
		if err := fake.SetKeyCreateDate(k.AccessKeyID, created); err != nil {
			t.Fatal(err)
		}
		a.want[k.AccessKeyID] = discover.Key{User: user, Path: path, AccessKeyID: k.AccessKeyID, Status: "Active",
			Created: created.UTC().Truncate(time.Second)}
		a.byUser[user] = append(a.byUser[user], k.AccessKeyID)
		return k.AccessKeyID
	}
	for i := range n {
		name, path := fmt.Sprintf("u%03d", i), paths[i%len(paths)]
		if err := fake.AddUserWith(awsfake.User{Name: name, Path: path, Created: t0.AddDate(-1, 0, 0)}); err != nil {
			t.Fatal(err)
		}
		add(name, path, t0.AddDate(0, 0, -200))
		if i%5 == 0 {
			add(name, path, t0.AddDate(0, 0, -10))
		}
	}
	if n > 7 {
		id := a.byUser["u007"][0]
		if err := fake.SetKeyStatus(id, "Inactive"); err != nil {
			t.Fatal(err)
		}
		k := a.want[id]
		k.Status = "Inactive"
		a.want[id] = k
	}
	real := fake.SeedUser("real", false)
	a.want[real.AccessKeyID] = discover.Key{User: "real", Path: "/", AccessKeyID: real.AccessKeyID, Status: "Active", Created: t0}
	a.byUser["real"] = []string{real.AccessKeyID}
	if _, err := awstest.STS(url, real, func(o *sts.Options) { o.Region = "eu-north-1" }).
		GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	a.used(real.AccessKeyID, t0, "sts", "eu-north-1")

	clock.Advance(24 * time.Hour)
	yesterday := clock.Now().Add(-24 * time.Hour)
	uses := []struct{ service, region string }{{"s3", "N/A"}, {"ssm", "eu-west-1"}, {"secretsmanager", "us-west-2"}}
	for i := 0; i < min(n, 30); i += 5 {
		ids := a.byUser[fmt.Sprintf("u%03d", i)]
		id, u := ids[len(ids)-1], uses[i/5%len(uses)]
		at := yesterday.Add(time.Duration(i) * time.Minute)
		if err := fake.SetLastUsed(id, at, u.service, u.region); err != nil {
			t.Fatal(err)
		}
		a.used(id, at, u.service, strings.ReplaceAll(u.region, "N/A", ""))
	}
	// The admin's key signs the discovery: its first call now is its last
	// use, for the report and the per-user calls alike.
	c := a.client(t, 1000)
	if _, err := c.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{}); err != nil {
		t.Fatal(err)
	}
	adminKey := a.fake.Keys("admin")[0]
	a.want[adminKey.ID] = discover.Key{User: "admin", Path: "/", AccessKeyID: adminKey.ID, Status: "Active", Created: adminKey.CreateDate}
	a.used(adminKey.ID, clock.Now(), "iam", "us-east-1")
	return a
}

func (a *account) used(id string, at time.Time, service, region string) {
	k := a.want[id]
	at = at.UTC().Truncate(time.Second)
	k.LastUsed, k.LastUsedService, k.LastUsedRegion = &at, service, region
	a.want[id] = k
}

// client is the product's IAM client for the account's target, signed by
// the admin, at rateLimit calls a second.
func (a *account) client(t *testing.T, rateLimit float64) *iam.Client {
	t.Helper()
	cfg := &config.Config{Targets: []config.Target{{
		Name: "prod", Region: "us-east-1", Endpoint: a.url, Credentials: config.CredentialsStatic,
		AccessKeyID: a.admin.AccessKeyID, SecretAccessKey: config.SecretValue(a.admin.SecretAccessKey), RateLimit: config.Rate(rateLimit),
	}}}
	c, err := daemon.TargetIAM(t.Context(), cfg, "prod", nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantKeys is a.want filtered by keep, with ages at now, in Discover's
// order.
func (a *account) wantKeys(keep func(discover.Key) bool, managed map[string]string) []discover.Key {
	var out []discover.Key
	now := a.clock.Now()
	for _, k := range a.want {
		k.AgeDays = int(now.Sub(k.Created) / (24 * time.Hour))
		k.ManagedBy = managed[k.AccessKeyID]
		if keep == nil || keep(k) {
			out = append(out, k)
		}
	}
	return sortKeys(out)
}

func sortKeys(ks []discover.Key) []discover.Key {
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && keyLess(ks[j], ks[j-1]); j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

func keyLess(a, b discover.Key) bool {
	if a.User != b.User {
		return a.User < b.User
	}
	if !a.Created.Equal(b.Created) {
		return a.Created.Before(b.Created)
	}
	return a.AccessKeyID < b.AccessKeyID
}

func noWait(context.Context, int) error { return nil }

func run(t *testing.T, a *account, c *iam.Client, o discover.Options) []discover.Key {
	t.Helper()
	o.Now = a.clock.Now
	if o.Wait == nil {
		o.Wait = noWait
	}
	got, err := discover.Discover(t.Context(), c, o)
	if err != nil {
		t.Fatalf("Discover %+v: %v", o.Source, err)
	}
	return got
}

// diff reports the first differences between two key lists.
func diff(t *testing.T, what string, got, want []discover.Key) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	t.Errorf("%s: got %d keys, want %d", what, len(got), len(want))
	shown := 0
	for i := 0; i < max(len(got), len(want)) && shown < 5; i++ {
		var g, w discover.Key
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: row %d:\n got %s\nwant %s", what, i, show(g), show(w))
			shown++
		}
	}
}

func show(k discover.Key) string {
	used := "never"
	if k.LastUsed != nil {
		used = k.LastUsed.Format(time.RFC3339)
	}
	return fmt.Sprintf("%s %s %s %s %s age %d used %s %s %s managed %q", k.User, k.Path, k.AccessKeyID, k.Status,
		k.Created.Format(time.RFC3339), k.AgeDays, used, k.LastUsedService, k.LastUsedRegion, k.ManagedBy)
}

// The account: 300 users, some with two keys, some never used,
// some used yesterday. Both sources list every key once, with its age and
// last use, and give the same rows.
func TestBothSourcesListEveryKey(t *testing.T) {
	a := newAccount(t, 300)
	c := a.client(t, 1000)
	managed := map[string]string{a.byUser["u001"][0]: "/team/u001", a.byUser["u005"][1]: "/team/u005"}
	want := a.wantKeys(nil, managed)
	if len(want) != 300+60+2 {
		t.Fatalf("seeded %d keys, want 362", len(want))
	}
	var progress []int
	report := run(t, a, c, discover.Options{Source: discover.Report, Managed: managed,
		Progress: func(done, total int) { progress = append(progress, done, total) }})
	diff(t, "report", report, want)
	if n := len(progress); n < 2 || progress[n-2] != progress[n-1] || progress[n-1] != 302 {
		t.Errorf("report's last progress %v, want 302 of 302 (every user with keys)", progress[max(n-2, 0):])
	}
	perUser := run(t, a, c, discover.Options{Source: discover.PerUser, Managed: managed})
	diff(t, "per-user", perUser, want)
	diff(t, "report against per-user", report, perUser)

	seen := map[string]bool{}
	var never, yesterday, two, aged int
	for _, k := range perUser {
		if seen[k.AccessKeyID] {
			t.Errorf("key %s listed twice", k.AccessKeyID)
		}
		seen[k.AccessKeyID] = true
		switch {
		case k.LastUsed == nil:
			never++
		case a.clock.Now().Sub(*k.LastUsed) >= 23*time.Hour:
			yesterday++
		}
		if k.AgeDays == 201 { // made 200 days before the seeding, a day ago
			aged++
		}
	}
	for _, ids := range a.byUser {
		if len(ids) == 2 {
			two++
		}
	}
	// 362 keys: 6 seeded uses yesterday, "real" a day ago, admin now.
	if never != 354 || yesterday != 7 || two != 60 || aged != 300 {
		t.Errorf("got %d never used, %d used yesterday, %d users with two keys, %d keys 201 days old; want 354, 7, 60, 300",
			never, yesterday, two, aged)
	}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

// bulkWorld is a world with n graceful secrets /team-a/uNNN (one IAM user
// and one file sink each) and, outside the folder, /team/app,
// /team-ab/other and /team-b/other, under rate_limit.
type bulkWorld struct {
	*world
	users map[string]aws.Credentials // /team-a/ secrets' seeded keys, by user
	other []string                   // users of the secrets outside /team-a/
}

func newBulkWorld(t *testing.T, n int, rateLimit int) *bulkWorld {
	t.Helper()
	return newBulkWorldOn(t, n, rateLimit, false)
}

// newBulkWorldOn is newBulkWorld, with the state in awsfake's DynamoDB
// table when dynamo.
func newBulkWorldOn(t *testing.T, n int, rateLimit int, dynamo bool) *bulkWorld {
	t.Helper()
	w := &bulkWorld{world: newWorld(t, secretOpts{graceful: true, dynamo: dynamo}), users: map[string]aws.Credentials{}}
	base, err := os.ReadFile(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(strings.Replace(string(base), "    secret_access_key_file: admin.secret\n",
		fmt.Sprintf("    secret_access_key_file: admin.secret\n    rate_limit: %d\n", rateLimit), 1))
	add := func(name, user string) {
		k := w.fake.SeedUser(user, false)
		fmt.Fprintf(&b, `  - name: %s
    target: prod
    authentication_credentials: use-target-creds
    access_key_id: %s
    grace_rotation: true
    sinks:
      - type: file
        path: sinks/%s.ini
        profile: %s
`, name, k.AccessKeyID, user, user)
		if strings.HasPrefix(name, "/team-a/") {
			w.users[user] = k
		} else {
			w.other = append(w.other, user)
		}
	}
	for i := range n {
		u := fmt.Sprintf("u%03d", i)
		add("/team-a/"+u, u)
	}
	add("/team-ab/other", "other-ab")
	add("/team-b/other", "other-b")
	if err := os.Mkdir(filepath.Join(w.dir, "sinks"), 0o700); err != nil {
		t.Fatal(err)
	}
	w.write("rotatord.yaml", b.String())
	return w
}

// checkRevoked asserts that every /team-a/ secret was rotated exactly
// once (version 2 is current), that its user holds one key, the current
// one, which its sink holds and which authenticates, that the seeded key
// is rejected by STS, and that the history records the revocation with
// reason; and that the secrets outside the folder kept their one key.
func (w *bulkWorld) checkRevoked(reason string) {
	w.t.Helper()
	st := w.store()
	defer st.Close()
	ctx := context.Background()
	for u, old := range w.users {
		s, err := st.Get(ctx, "/team-a/"+u)
		if err != nil {
			w.t.Fatalf("%s: %v", u, err)
		}
		cur := s.Current()
		keys := w.fake.Keys(u)
		if s.Journal != nil || cur == nil || cur.N != 2 || len(keys) != 1 || keys[0].ID != cur.AccessKeyID {
			w.t.Fatalf("%s: journal %v, current %+v, IAM keys %v: want one finished rotation, one key, the store's", u, s.Journal, cur, keys)
		}
		if _, err := w.whoami(aws.Credentials{AccessKeyID: cur.AccessKeyID, SecretAccessKey: cur.Value.Reveal()}); err != nil {
			w.t.Fatalf("%s: the new key does not authenticate: %v", u, err)
		}
		ini, err := os.ReadFile(filepath.Join(w.dir, "sinks", u+".ini"))
		if err != nil || !strings.Contains(string(ini), cur.AccessKeyID) {
			w.t.Fatalf("%s: sink lacks the new key %s (%v)", u, cur.AccessKeyID, err)
		}
		_, err = w.whoami(old)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidClientTokenId" {
			w.t.Fatalf("%s: previous key %s: got %v, want InvalidClientTokenId", u, old.AccessKeyID, err)
		}
		evs, err := st.History(ctx, "/team-a/"+u)
		if err != nil {
			w.t.Fatal(err)
		}
		revoked := 0
		for _, e := range evs {
			if e.Kind == "key.revoked" && e.KeyID == old.AccessKeyID && e.Detail == reason {
				revoked++
			}
		}
		if revoked != 1 {
			w.t.Fatalf("%s: %d key.revoked events with the reason, want 1: %+v", u, revoked, evs)
		}
	}
	for _, u := range w.other {
		if keys := w.fake.Keys(u); len(keys) != 1 {
			w.t.Fatalf("%s, outside /team-a/: %d keys, want its one seeded key", u, len(keys))
		}
	}
	if n := len(w.fake.Keys("app")); n != 1 {
		w.t.Fatalf("/team/app, outside /team-a/: %d keys, want 1", n)
	}
}

// checkRate asserts that the IAM calls recorded since RecordCalls(true),
// at least min of them, kept to perSecond: measured as internal/daemon's
// TestRateLimit does, on the calls' arrival at awsfake, in five-second
// windows with a quarter second of arrival jitter allowed.
func (w *bulkWorld) checkRate(perSecond, min int) {
	w.t.Helper()
	var iam []time.Time
	for _, c := range w.fake.CallLog() {
		if c.Service == "iam" {
			iam = append(iam, c.At)
		}
	}
	if len(iam) < min {
		w.t.Fatalf("%d IAM calls recorded, want at least %d", len(iam), min)
	}
	worst := awstest.CheckRate(w.t, iam, perSecond)
	took := iam[len(iam)-1].Sub(iam[0])
	w.t.Logf("%d IAM calls in %s (%.1f/s), at most %d in any five seconds (rate_limit %d)",
		len(iam), took.Round(time.Millisecond), float64(len(iam)-1)/took.Seconds(), worst, perSecond)
}

// TestBulkRevokeFolder: `rotate --folder /team-a/ --revoke-previous` over
// 200 graceful secrets, without a daemon and through a running one:
// each rotated once, every previous key rejected by STS, nothing outside
// the folder touched, one summary.
func TestBulkRevokeFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("200 rotations")
	}
	const n = 200
	for _, viaDaemon := range []bool{false, true} {
		t.Run(map[bool]string{false: "offline", true: "daemon"}[viaDaemon], func(t *testing.T) {
			w := newBulkWorld(t, n, 200)
			var d *daemonProc
			if viaDaemon {
				w.replaceConfig(w.runSettings("3s"))
				d = w.startDaemon()
			}
			w.fake.RecordCalls(true)
			start := time.Now()
			out := w.mustRun("rotate", "--folder", "/team-a", "--revoke-previous", "--reason", "INC-1234 build host compromised")
			t.Logf("%d secrets rotated and revoked in %s", n, time.Since(start).Round(time.Millisecond))
			if got := strings.Count(out, " rotated "); got != n {
				t.Errorf("%d rows say rotated, want %d:\n%s", got, n, out)
			}
			if want := fmt.Sprintf("%d rotated, 0 pending delivery, 0 failed, 0 skipped, 0 not started\n", n); !strings.HasSuffix(out, want) || strings.Count("\n"+out, "\nNAME ") != 1 /* header lines; a random key id may hold "NAME" */ {
				t.Errorf("summary: want one table ending in %q, got:\n%s", want, out)
			}
			w.checkRate(200, 3*n)
			if got := w.fake.Calls("CreateAccessKey"); got != n {
				t.Errorf("CreateAccessKey called %d times for %d secrets", got, n)
			}
			if d != nil {
				if code, _ := d.term(); code != 0 {
					t.Fatalf("daemon exited %d", code)
				}
			}
			w.checkRevoked("INC-1234 build host compromised")
		})
	}
}

// TestBulkRevokeDynamo: the same on a DynamoDB store, where each rotation
// runs under the secret's lease: offline and through a daemon.
func TestBulkRevokeDynamo(t *testing.T) {
	const n = 16
	for _, viaDaemon := range []bool{false, true} {
		t.Run(map[bool]string{false: "offline", true: "daemon"}[viaDaemon], func(t *testing.T) {
			w := newBulkWorldOn(t, n, 1000, true)
			var d *daemonProc
			if viaDaemon {
				w.replaceConfig(w.runSettings("3s"))
				d = w.startDaemon()
			}
			out := w.mustRun("rotate", "--folder", "/team-a/", "--revoke-previous", "--reason", "INC-D")
			if want := fmt.Sprintf("%d rotated, 0 pending delivery, 0 failed, 0 skipped, 0 not started\n", n); !strings.HasSuffix(out, want) {
				t.Errorf("summary: want %q, got:\n%s", want, out)
			}
			if got := w.fake.Calls("CreateAccessKey"); got != n {
				t.Errorf("CreateAccessKey called %d times for %d secrets", got, n)
			}
			if d != nil {
				if code, _ := d.term(); code != 0 {
					t.Fatalf("daemon exited %d", code)
				}
			}
			w.checkRevoked("INC-D")
		})
	}
}

// TestBulkRateLimit: a bulk rotation keeps to a low rate_limit, without a
// daemon (the local pool shares one limiter) and through one (the
// daemon's pool).
func TestBulkRateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("rate-limited calls")
	}
	const n, perSecond = 16, 10
	for _, viaDaemon := range []bool{false, true} {
		t.Run(map[bool]string{false: "offline", true: "daemon"}[viaDaemon], func(t *testing.T) {
			w := newBulkWorld(t, n, perSecond)
			if viaDaemon {
				w.replaceConfig(w.runSettings("3s"))
				w.startDaemon()
			}
			w.fake.RecordCalls(true)
			w.mustRun("rotate", "--folder", "/team-a/", "--revoke-previous", "--reason", "rate")
			w.checkRate(perSecond, 3*n)
		})
	}
}

// TestBulkRevokeKilled: a bulk revocation killed in the middle (SIGKILL
// while rotations stand after their IAM revocation, or after their end)
// and run again finishes the rest: each secret rotated once, no orphan
// key, every previous key rejected; the second run skips what the first
// finished and exits 0.
func TestBulkRevokeKilled(t *testing.T) {
	for _, point := range []string{"revoked-in-iam", "finished"} {
		t.Run(point, func(t *testing.T) {
			const n = 30
			w := newBulkWorld(t, n, 1000)
			args := []string{"rotate", "--folder", "/team-a/", "--revoke-previous", "--reason", "INC-9"}
			w.killAt(point, args...)
			for u := range w.users {
				if k := w.fake.Keys(u); len(k) > 2 {
					t.Fatalf("%s holds %d keys after the kill", u, len(k))
				}
			}
			out, errOut, code := w.run(args...)
			if code != 0 {
				t.Fatalf("second run exited %d:\n%s%s", code, out, errOut)
			}
			if point == "finished" && !strings.Contains(out, " skipped ") {
				t.Errorf("second run skipped nothing the first finished:\n%s", out)
			}
			if strings.Contains(out, " failed ") || strings.Contains(out, "not started ") {
				t.Errorf("second run left work:\n%s", out)
			}
			w.checkRevoked("INC-9")
		})
	}
}

// TestBulkExitCodes: a failed secret makes the bulk run exit 1, a pending
// delivery 3; the table says which and why, and the rest is rotated.
func TestBulkExitCodes(t *testing.T) {
	w := newBulkWorld(t, 3, 1000)
	// u001's sink directory is a file: its delivery stays pending.
	raw, err := os.ReadFile(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.write("blocked", "not a directory\n")
	// u002's key is unknown to IAM: its rotation fails.
	cfg := strings.Replace(string(raw), "path: sinks/u001.ini", "path: blocked/u001.ini", 1)
	cfg = strings.Replace(cfg, w.users["u002"].AccessKeyID, "AKIAZZZZZZZZZZZZZZZZ", 1)
	w.write("rotatord.yaml", cfg)
	out, errOut, code := w.run("rotate", "/team-a/u000", "/team-a/u001", "-o", "json")
	if code != exitPending {
		t.Fatalf("exit %d, want %d (pending):\n%s%s", code, exitPending, out, errOut)
	}
	var doc bulkDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out)
	}
	if doc.Rotated != 1 || doc.Pending != 1 || len(doc.Rotations) != 2 || doc.Rotations[1].Result != bulkPending {
		t.Fatalf("got %+v, want u000 rotated and u001 pending", doc)
	}
	// u002 fails; u001 stays pending.
	out, errOut, code = w.run("rotate", "/team-a/u001", "/team-a/u002")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d (failed):\n%s%s", code, exitFailed, out, errOut)
	}
	if !strings.Contains(out, "/team-a/u002  failed") || !strings.Contains(out, "/team-a/u001  pending") {
		t.Errorf("table does not say which failed and which is pending:\n%s", out)
	}
	for _, bad := range [][]string{{"rotate", "--all", "/team-a/u000"}, {"rotate", "--folder", "/team-a/", "--reason", "x"}, {"rotate", "--all", "--revoke-previous"}} {
		if _, _, code := w.run(bad...); code != exitUsage {
			t.Errorf("rotatord %v: exit %d, want %d", bad, code, exitUsage)
		}
	}
}

// TestBulkRevokeKilledDaemon: the CLI of a bulk revocation through a
// running daemon, SIGKILLed while the daemon's pool works through it, and
// run again: the daemon finishes what was queued, the second run waits for
// what the daemon still runs, skips what it revoked and does the rest;
// each secret rotated once, no orphan key, every previous key rejected.
func TestBulkRevokeKilledDaemon(t *testing.T) {
	const n = 40
	w := newBulkWorld(t, n, 50)
	w.replaceConfig(w.runSettings("3s"))
	d := w.startDaemon()
	args := []string{"rotate", "--folder", "/team-a/", "--revoke-previous", "--reason", "INC-10"}
	cmd := exec.Command(binary, append([]string{"-c", w.cfg, "--log-format", "json"}, args...)...)
	cmd.Env = env()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for w.fake.Calls("CreateAccessKey") < n/4 {
		if time.Now().After(deadline) {
			t.Fatalf("no progress within a minute: %d keys created", w.fake.Calls("CreateAccessKey"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	w.record(out.String())
	if created := w.fake.Calls("CreateAccessKey"); created >= n {
		t.Fatalf("every secret was rotated (%d) before the kill; make the run slower", created)
	}
	second, errOut, code := w.run(args...)
	if code != 0 {
		t.Fatalf("second run exited %d:\n%s%s", code, second, errOut)
	}
	if !strings.Contains(second, " skipped ") {
		t.Errorf("second run skipped nothing the first (or the daemon) finished:\n%s", second)
	}
	if got := w.fake.Calls("CreateAccessKey"); got != n {
		t.Errorf("CreateAccessKey called %d times for %d secrets", got, n)
	}
	if code, _ := d.term(); code != 0 {
		t.Fatalf("daemon exited %d", code)
	}
	w.checkRevoked("INC-10")
}

// TestRotateOneRevoke: `rotate NAME --revoke-previous` keeps rotate's one
// line and adds the revocation's; run again with the same reason it does
// nothing and says so.
func TestRotateOneRevoke(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: true})
	out := w.mustRun("rotate", "/team/app", "--revoke-previous", "--reason", "INC-1")
	if !strings.HasPrefix(out, "rotated /team/app: "+w.app.AccessKeyID+" -> ") || !strings.Contains(out, "revoked "+w.app.AccessKeyID+" (deactivated and deleted)\n") {
		t.Fatalf("got:\n%s", out)
	}
	_, err := w.whoami(w.app)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidClientTokenId" {
		t.Fatalf("previous key: got %v, want InvalidClientTokenId", err)
	}
	again := w.mustRun("rotate", "/team/app", "--revoke-previous", "--reason", "INC-1")
	if !strings.Contains(again, "already revoked for this reason; nothing done") || w.fake.Calls("CreateAccessKey") != 1 {
		t.Fatalf("second run: %d keys created, output:\n%s", w.fake.Calls("CreateAccessKey"), again)
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/state"
)

// haWorld is a world whose state is in DynamoDB, with IAM users whose
// keys are long overdue, and any number of replicas, each with its own
// configuration directory (its file sinks are its own), control socket
// and log.
type haWorld struct {
	*world
	users     []string
	bootstrap map[string]string // user → its key before any rotation
	sockets   string
}

// newHAWorld seeds n users whose only key is 60 days old.
func newHAWorld(t *testing.T, n int) *haWorld {
	t.Helper()
	w := &haWorld{world: newWorld(t, secretOpts{dynamo: true}), bootstrap: map[string]string{}}
	sockets, err := os.MkdirTemp("", "ha")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockets) })
	w.sockets = sockets
	for i := range n {
		u := fmt.Sprintf("u%03d", i)
		k := w.fake.SeedUser(u, false)
		if err := w.fake.SetKeyCreateDate(k.AccessKeyID, time.Now().AddDate(0, 0, -60)); err != nil {
			t.Fatal(err)
		}
		w.users = append(w.users, u)
		w.bootstrap[u] = k.AccessKeyID
	}
	return w
}

// replicaConfig writes replica name's configuration: every user's secret,
// rotated every 30 days with catch_up: immediate, by the target's
// credentials, in immediate mode (the old key is deleted at the end), to a
// file sink in the replica's directory.
func (w *haWorld) replicaConfig(name string) string {
	w.t.Helper()
	dir := filepath.Join(w.dir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		w.t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `version: 1
state:
  backend: dynamodb
  table: rotatord
  target: prod
  lease_duration: 5s
  replica: %s
  protection_key_file: %s
workers: 4
listen: 127.0.0.1:0
control_socket: %s
shutdown_timeout: 5s
targets:
  - name: prod
    region: us-east-1
    endpoint: %s
    access_key_id: %s
    secret_access_key_file: %s
    rate_limit: 1000
secrets:
`, name, filepath.Join(w.dir, "protection.key"), filepath.Join(w.sockets, name+".sock"),
		w.url, w.admin.AccessKeyID, filepath.Join(w.dir, "admin.secret"))
	for _, u := range w.users {
		fmt.Fprintf(&b, `  - name: /ha/%s
    target: prod
    authentication_credentials: use-target-creds
    access_key_id: %s
    grace_rotation: false
    auto_rotate: true
    rotation_interval: 30
    catch_up: immediate
    verify_timeout: 10s
    sinks:
      - {type: file, path: %s.ini, profile: %s}
`, u, w.bootstrap[u], u, u)
	}
	path := filepath.Join(dir, "rotatord.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return path
}

// replica is one `rotatord run` process of an haWorld.
type replica struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	mu     sync.Mutex
	log    bytes.Buffer // standard output and error
	exited chan error
	listen string // its /metrics address, once it serves
}

// startReplica starts `rotatord run` as replica name, with extra
// environment (a failpoint), and returns once it serves, or once it
// reports the failpoint reached when one is armed.
func (w *haWorld) startReplica(name string, extraEnv ...string) *replica {
	w.t.Helper()
	cfg := w.replicaConfig(name)
	r := &replica{t: w.t, name: name, exited: make(chan error, 1)}
	r.cmd = exec.Command(binary, "-c", cfg, "--log-format", "json", "run")
	r.cmd.Env = env(extraEnv...)
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
		_ = r.cmd.Process.Kill()
	})
	up := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, pipe := range []io.Reader{stdout, stderr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(pipe)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				line := sc.Text()
				w.record(line)
				r.mu.Lock()
				r.log.WriteString(line + "\n")
				r.mu.Unlock()
				var m struct{ Msg, Listen string }
				if strings.HasPrefix(line, "failpoint ") {
					up <- struct{}{}
				} else if json.Unmarshal([]byte(line), &m) == nil && m.Msg == "rotatord is running" {
					r.mu.Lock()
					r.listen = m.Listen
					r.mu.Unlock()
					up <- struct{}{}
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		r.exited <- r.cmd.Wait()
	}()
	select {
	case <-up:
	case err := <-r.exited:
		w.t.Fatalf("replica %s exited at start: %v\n%s", name, err, r.logs())
	case <-time.After(time.Minute):
		w.t.Fatalf("replica %s did not start within a minute", name)
	}
	return r
}

func (r *replica) logs() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

// count counts the replica's log lines with that message.
func (r *replica) count(msg string) int {
	n := 0
	for _, line := range strings.Split(r.logs(), "\n") {
		var m struct{ Msg string }
		if json.Unmarshal([]byte(line), &m) == nil && m.Msg == msg {
			n++
		}
	}
	return n
}

// waitLog polls the replica's log until it holds s.
func (r *replica) waitLog(s string) {
	r.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(r.logs(), s) {
		if time.Now().After(deadline) {
			r.t.Fatalf("replica %s did not log %q within a minute:\n%s", r.name, s, r.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metric returns the value of one series on the replica's /metrics, 0 if
// absent.
func (r *replica) metric(series string) float64 {
	r.t.Helper()
	r.mu.Lock()
	listen := r.listen
	r.mu.Unlock()
	resp, err := http.Get("http://" + listen + "/metrics")
	if err != nil {
		r.t.Fatalf("scrape %s: %v", r.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

func (r *replica) signal(sig syscall.Signal) {
	r.t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Fatalf("signal %s to replica %s: %v", sig, r.name, err)
	}
}

// stop sends SIGTERM and waits for the exit.
func (r *replica) stop() {
	r.t.Helper()
	r.signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(time.Minute):
		r.t.Fatalf("replica %s did not stop within a minute of SIGTERM", r.name)
	}
}

// states reads every secret's state.
func (w *haWorld) states() map[string]*state.Secret {
	w.t.Helper()
	st := w.store()
	defer st.Close()
	all, err := st.List(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]*state.Secret{}
	for _, s := range all {
		out[s.Name] = s
	}
	return out
}

// waitRotated polls the store until every user's secret has a finished
// rotation: no open journal, a current key other than its first.
func (w *haWorld) waitRotated(within time.Duration) map[string]*state.Secret {
	w.t.Helper()
	deadline := time.Now().Add(within)
	for {
		all := w.states()
		pending := 0
		for _, u := range w.users {
			s := all["/ha/"+u]
			if s == nil || s.Journal != nil || s.Current() == nil || s.Current().AccessKeyID == w.bootstrap[u] {
				pending++
			}
		}
		if pending == 0 {
			return all
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%d of %d secrets not rotated within %s", pending, len(w.users), within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sinkKey reads replica name's sink file of user u as the AWS SDK does;
// the zero Credentials if it cannot.
func (w *haWorld) sinkKeyOf(name, u string) aws.Credentials {
	sc, err := awsconfig.LoadSharedConfigProfile(context.Background(), u, func(o *awsconfig.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{filepath.Join(w.dir, name, u+".ini")}
		o.ConfigFiles = []string{}
	})
	if err != nil {
		return aws.Credentials{}
	}
	return sc.Credentials
}

// waitSink polls replica name's sink of user u until it holds key id
// want, and returns what it holds.
func (w *haWorld) waitSink(name, u, want string) aws.Credentials {
	w.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		k := w.sinkKeyOf(name, u)
		if k.AccessKeyID == want {
			return k
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("replica %s's sink of %s holds %q, want the current key %s", name, u, k.AccessKeyID, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkIAM fails the test unless each user holds exactly its current key,
// active: no orphan, no old key left.
func (w *haWorld) checkIAM(all map[string]*state.Secret) {
	w.t.Helper()
	for _, u := range w.users {
		cur := all["/ha/"+u].Current()
		keys := w.fake.Keys(u)
		if len(keys) != 1 || keys[0].ID != cur.AccessKeyID || keys[0].Status != "Active" {
			w.t.Errorf("user %s holds %v in IAM, want only its current key %s", u, keys, cur.AccessKeyID)
		}
	}
}

// checkRawItems fails the test if any raw item of the table holds a
// secret access key in clear.
func (w *haWorld) checkRawItems(all map[string]*state.Secret) {
	w.t.Helper()
	tab, err := w.fake.Table("rotatord")
	if err != nil {
		w.t.Fatal(err)
	}
	raw := rawItems(tab)
	if !bytes.Contains(raw, []byte(w.bootstrap[w.users[0]])) {
		w.t.Fatal("the raw items lack a key id: the search would prove nothing")
	}
	for _, s := range all {
		for _, v := range s.Versions {
			if sec := v.Value.Reveal(); sec != "" && bytes.Contains(raw, []byte(sec)) {
				w.t.Errorf("a raw item holds the secret access key of %s version %d in clear", s.Name, v.N)
			}
		}
	}
}

// rawItems is every attribute of every item of a table as bytes: each
// item printed, and each binary attribute's bytes as they are stored.
func rawItems(table awsfake.Table) []byte {
	var raw []byte
	for _, item := range table.Items {
		raw = fmt.Append(raw, item)
		for _, v := range item {
			if m, ok := v.(map[string]any); ok {
				if b, ok := m["B"].([]byte); ok {
					raw = append(raw, b...)
				}
			}
		}
	}
	return raw
}

// TestReplicasRotateEachSecretOnce: three `rotatord run` processes share
// one table, and 100 secrets fall due at once. Each secret is rotated
// exactly once (100 CreateAccessKey calls, and every user has a new
// key), the work is shared, each replica's own file sinks end up with the
// current key, and no raw item holds a secret in clear.
func TestReplicasRotateEachSecretOnce(t *testing.T) {
	const n = 100
	w := newHAWorld(t, n)
	start := time.Now()
	var reps []*replica
	for _, name := range []string{"r0", "r1", "r2"} {
		reps = append(reps, w.startReplica(name))
	}
	all := w.waitRotated(2 * time.Minute)
	took := time.Since(start)

	if got := w.fake.Calls("CreateAccessKey"); got != n {
		t.Errorf("CreateAccessKey called %d times for %d secrets, want exactly one each", got, n)
	}
	w.checkIAM(all)
	total := 0
	for _, r := range reps {
		did := r.count("rotation finished")
		total += did
		if did == 0 {
			t.Errorf("replica %s rotated nothing: the work is not shared", r.name)
		}
		t.Logf("replica %s finished %d rotations", r.name, did)
	}
	if total != n {
		t.Errorf("the replicas finished %d rotations, want %d", total, n)
	}
	t.Logf("%d secrets rotated by 3 replicas in %s", n, took.Round(time.Millisecond))
	if d := os.Getenv("HA_DUMP"); d != "" {
		for _, r := range reps {
			_ = os.WriteFile(filepath.Join(d, r.name+".log"), []byte(r.logs()), 0o600)
		}
	}

	// The replicas that lost a secret's lease look again when it ends,
	// find it rotated, and write its key to their own sinks.
	for _, r := range reps {
		for _, u := range w.users {
			w.waitSink(r.name, u, all["/ha/"+u].Current().AccessKeyID)
		}
	}
	// A replica that finds a secret rotated by another counts it; one
	// that started after the rotation only refreshed its sinks.
	elsewhere := 0.0
	for _, r := range reps {
		got := r.metric(`rotatord_lease_outcomes_total{outcome="rotated_elsewhere"}`)
		if logged := r.count("another replica rotated this secret; skipped"); got != float64(logged) {
			t.Errorf("replica %s: rotated_elsewhere is %v, but it logged %d such skips", r.name, got, logged)
		}
		elsewhere += got
	}
	if elsewhere == 0 || elsewhere > 2*n {
		t.Errorf("rotated_elsewhere sums to %v over the replicas, want 1..%d", elsewhere, 2*n)
	}
	for _, r := range reps {
		r.stop()
	}
	if got := w.fake.Calls("CreateAccessKey"); got != n {
		t.Errorf("after the replicas looked again: CreateAccessKey called %d times, want %d", got, n)
	}
	w.checkRawItems(w.states())
}

// TestKilledHolderIsFinishedByAnother: the replica holding a secret's
// lease is SIGKILLed in the middle of its rotation; once the lease
// expires, another replica finishes (or undoes) that rotation. No orphan
// key is left, and the surviving replica's sink holds a working key.
func TestKilledHolderIsFinishedByAnother(t *testing.T) {
	for _, point := range []string{"creating", "created-unsaved", "verified", "promoted"} {
		t.Run(point, func(t *testing.T) {
			t.Parallel()
			w := newHAWorld(t, 1)
			holder := w.startReplica("r0", "ROTATORD_FAILPOINT="+point)
			holder.waitLog("failpoint " + point + " reached")
			other := w.startReplica("r1")
			if point == "verified" {
				w.askWhileHeld()
			}
			holder.signal(syscall.SIGKILL)
			<-holder.exited

			all := w.waitRotated(time.Minute)
			w.checkIAM(all)
			s := all["/ha/u000"]
			k := w.waitSink("r1", "u000", s.Current().AccessKeyID)
			if arn, err := w.whoami(k); err != nil || arn != w.fake.UserARN("u000") {
				t.Fatalf("r1's sink key does not work: %v %s", err, arn)
			}
			if other.count("resuming open rotation") != 1 {
				t.Errorf("r1 did not resume the open rotation:\n%s", other.logs())
			}
			other.stop()
		})
	}
}

// TestPausedHolderIsFenced: the lease holder is SIGSTOPped while its
// CreateAccessKey is on the wire, past its lease; another replica takes
// the secret over and finishes the rotation. SIGCONT: the paused replica
// gets its new key, but its record of it is refused (the fencing
// condition fails), so it deletes that key and says so in its log. The
// store holds the other replica's rotation only, and IAM only its key.
func TestPausedHolderIsFenced(t *testing.T) {
	w := newHAWorld(t, 1)
	hold := w.fake.Hold("CreateAccessKey")
	paused := w.startReplica("r0")
	select {
	case <-hold.Reached():
	case <-time.After(time.Minute):
		t.Fatal("r0 did not call CreateAccessKey within a minute")
	}
	paused.signal(syscall.SIGSTOP)
	other := w.startReplica("r1")
	all := w.waitRotated(time.Minute)
	winner := all["/ha/u000"]
	hold.Release()
	<-hold.Done() // r0's key now exists in IAM; r0 has not seen it yet

	before := w.events("/ha/u000")
	paused.signal(syscall.SIGCONT)
	paused.waitLog("the lease passed to another replica; the write was refused")
	deadline := time.Now().Add(time.Minute)
	for len(w.fake.Keys("u000")) != 1 { // r0 deletes the key it could not record
		if time.Now().After(deadline) {
			t.Fatalf("r0's key was not deleted: %v\n%s", w.fake.Keys("u000"), paused.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := paused.metric(`rotatord_lease_outcomes_total{outcome="lost"}`); got != 1 {
		t.Errorf("r0's rotatord_lease_outcomes_total{outcome=\"lost\"} is %v, want 1", got)
	}
	paused.stop()
	other.stop()

	after := w.states()["/ha/u000"]
	if after.Current().AccessKeyID != winner.Current().AccessKeyID || len(after.Versions) != len(winner.Versions) || after.Journal != nil {
		t.Errorf("the store changed after r0 resumed: current %s (was %s), %d versions (was %d), journal %v",
			after.Current().AccessKeyID, winner.Current().AccessKeyID, len(after.Versions), len(winner.Versions), after.Journal)
	}
	if got := w.events("/ha/u000"); len(got) != len(before) {
		t.Errorf("r0 wrote %d audit events after it was fenced", len(got)-len(before))
	}
	w.checkIAM(map[string]*state.Secret{"/ha/u000": after})
	if n := w.fake.Calls("CreateAccessKey"); n != 2 {
		t.Errorf("CreateAccessKey called %d times, want 2 (r0's, deleted, and r1's)", n)
	}
}

// askWhileHeld runs the CLI against r1 (through its control socket)
// while r0 holds /ha/u000's lease: status names the holder and the
// replicas, list shows who holds what, and a manual rotation is refused,
// naming the holder.
func (w *haWorld) askWhileHeld() {
	w.t.Helper()
	w.cfg = filepath.Join(w.dir, "r1", "rotatord.yaml")
	out := w.mustRun("status", "/ha/u000")
	if !regexp.MustCompile(`(?m)^lease: +r0#[0-9a-f]{8} until `).MatchString(out) || !regexp.MustCompile(`(?m)^replicas: +r0#[0-9a-f]{8}, r1#[0-9a-f]{8}$|^replicas: +r1#[0-9a-f]{8}, r0#[0-9a-f]{8}$`).MatchString(out) {
		w.t.Errorf("status does not show r0 holding the lease, and both replicas:\n%s", out)
	}
	w.t.Logf("rotatord status /ha/u000:\n%s", out)
	out = w.mustRun("list")
	if !regexp.MustCompile(`(?m)^/ha/u000\s.*\sr0#[0-9a-f]{8}\s*$`).MatchString(out) || !strings.Contains(out, "HELD BY") {
		w.t.Errorf("list does not show r0 holding /ha/u000:\n%s", out)
	}
	w.t.Logf("rotatord list:\n%s", out)
	_, errOut, code := w.run("rotate", "/ha/u000")
	if code != 1 || !strings.Contains(errOut, "another replica holds the lease: r0#") {
		w.t.Errorf("a manual rotation while r0 holds the lease: exit %d, want 1 naming r0:\n%s", code, errOut)
	}
	// Through another control socket: the running replicas' heartbeats
	// refuse a migration.
	w.cfg = filepath.Join(w.dir, "r2", "rotatord.yaml")
	w.replicaConfig("r2")
	dest := filepath.Join(w.dir, "copy.db")
	_, errOut, code = w.run("state", "migrate", "--to", "bbolt", "--path", dest)
	if code == 0 || !strings.Contains(errOut, "rotatord is running on table rotatord") || !strings.Contains(errOut, "r0#") || !strings.Contains(errOut, "r1#") {
		w.t.Errorf("state migrate while replicas run: exit %d, want a refusal naming r0 and r1:\n%s", code, errOut)
	}
	if _, err := os.Stat(dest); err == nil {
		w.t.Errorf("the refused migration left %s behind", dest)
	}
}

// events returns a secret's audit events.
func (w *haWorld) events(name string) []state.Event {
	w.t.Helper()
	st := w.store()
	defer st.Close()
	ev, err := st.History(context.Background(), name)
	if err != nil {
		w.t.Fatal(err)
	}
	return ev
}

// TestReplicasSpeedup measures what sharing the work buys: 100 secrets,
// due at once (their state says they were last rotated 60 days ago), with
// 50 ms of latency on every IAM and STS call, rotated by one replica and
// then, in a fresh world, by three. It is a measurement, not a CI check:
// it runs only with ROTATORD_HA_SPEEDUP=1, and reports the times.
//
//	ROTATORD_HA_SPEEDUP=1 go test ./cmd/rotatord -run TestReplicasSpeedup -v
func TestReplicasSpeedup(t *testing.T) {
	if os.Getenv("ROTATORD_HA_SPEEDUP") == "" {
		t.Skip("a measurement: set ROTATORD_HA_SPEEDUP=1 to run it")
	}
	const n = 100
	took := map[int]time.Duration{}
	for _, replicas := range []int{1, 3} {
		w := newHAWorld(t, n)
		w.dueNow()
		for _, a := range []string{"ListAccessKeys", "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "GetUser", "GetCallerIdentity"} {
			w.fake.SetLatency(a, 50*time.Millisecond)
		}
		start := time.Now()
		var reps []*replica
		for i := range replicas {
			reps = append(reps, w.startReplica(fmt.Sprintf("r%d", i)))
		}
		w.waitRotated(5 * time.Minute)
		took[replicas] = time.Since(start)
		if got := w.fake.Calls("CreateAccessKey"); got != n {
			t.Errorf("%d replicas: CreateAccessKey called %d times, want %d", replicas, got, n)
		}
		for _, r := range reps {
			t.Logf("%d replicas: %s finished %d rotations", replicas, r.name, r.count("rotation finished"))
			r.stop()
		}
		t.Logf("%d replicas: %d secrets rotated in %s", replicas, n, took[replicas].Round(time.Millisecond))
	}
	t.Logf("3 replicas took %.2f of the time one took", took[3].Seconds()/took[1].Seconds())
}

// dueNow records in the store that every secret was last rotated 60 days
// ago: they are all due at once, with no discovery first.
func (w *haWorld) dueNow() {
	w.t.Helper()
	st := w.store()
	defer st.Close()
	last := time.Now().AddDate(0, 0, -60).UTC()
	for _, u := range w.users {
		err := st.Update(context.Background(), "/ha/"+u, func(tx *state.Tx) error {
			tx.Secret.LastRotation = last
			return nil
		})
		if err != nil {
			w.t.Fatal(err)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

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
	// secret, if set, replaces the secrets' YAML after their access key
	// id (the default: strict, every 30 days, catch_up: immediate).
	secret func(u string) string
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
		if w.secret != nil {
			fmt.Fprintf(&b, "  - name: /ha/%s\n    target: prod\n    authentication_credentials: use-target-creds\n    access_key_id: %s\n%s    sinks:\n      - {type: file, path: %s.ini, profile: %s}\n",
				u, w.bootstrap[u], w.secret(u), u, u)
			continue
		}
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
	raw := tab.Raw()
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

package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/rotatord/rotatord/internal/state"
)

// useConfig makes the world's rotatord runs read the configuration file
// name of its directory, written with text unless text is empty.
func (w *world) useMigrateConfig(name, text string) {
	w.t.Helper()
	if text != "" {
		w.write(name, text)
	}
	w.cfg = filepath.Join(w.dir, name)
}

// migrateDynamo opens the world's DynamoDB state table as the test, with
// the admin's credentials.
func (w *world) migrateDynamo(table string) *state.Dynamo {
	w.t.Helper()
	key, err := state.ParseProtectionKey(w.keyB64)
	if err != nil {
		w.t.Fatal(err)
	}
	cfg := aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(w.url),
		Credentials: credentials.NewStaticCredentialsProvider(w.admin.AccessKeyID, w.admin.SecretAccessKey, ""),
	}
	d, err := state.OpenDynamo(context.Background(), cfg, table, key)
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

// migrateSnapshot is a whole store: every secret and its history.
type migrateSnapshot struct {
	Secrets []*state.Secret
	History map[string][]state.Event
}

func migrateSnap(t *testing.T, st testStore) migrateSnapshot {
	t.Helper()
	ctx := context.Background()
	all, err := st.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap := migrateSnapshot{Secrets: all, History: map[string][]state.Event{}}
	for _, s := range all {
		h, err := st.History(ctx, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		for i := range h {
			h[i].Time = h[i].Time.UTC()
		}
		snap.History[s.Name] = h
	}
	return snap
}

// TestStateMigrate: state migrate copies a bbolt store with real
// rotations (and a delivery left pending) into DynamoDB and back into a
// new bbolt file, unchanged: equal states and histories, the same status
// and history output; it refuses --to the configured backend, a missing
// --table or table, a destination holding state, and a running daemon
// (a replica's heartbeat on the table, source or destination); its
// output names the counts and the next step; no item of the table holds a
// secret in clear.
func TestStateMigrate(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, secretOpts{graceful: true})
	w.mustRun("rotate", "/team/app")
	w.mustRun("rotate", "/team/app")
	// A third rotation cannot deliver: its sink path is a directory. It
	// stays open, delivering, with the new key pending.
	if err := os.Remove(filepath.Join(w.dir, "credentials")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(w.dir, "credentials"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := w.run("rotate", "/team/app"); code != exitPending {
		t.Fatalf("a rotation whose sink fails exited %d, want %d:\n%s", code, exitPending, stderr)
	}
	bboltCfg := w.cfg
	statusBefore := w.mustRun("status", "/team/app")
	historyBefore := w.mustRun("history", "/team/app")
	src := w.openStore()
	before := migrateSnap(t, src)
	src.Close()
	if s := before.Secrets[0]; s.Journal == nil || s.Journal.Step != state.StepDelivering || s.Pending() == nil || len(s.Versions) < 4 {
		t.Fatalf("the world did not leave a delivery pending: %+v", s)
	}

	fail := func(code int, want string, args ...string) {
		t.Helper()
		_, stderr, got := w.run(append([]string{"state", "migrate"}, args...)...)
		if got != code || !strings.Contains(stderr, want) {
			t.Errorf("state migrate %v exited %d, want %d with %q:\n%s", args, got, code, want, stderr)
		}
	}
	fail(exitUsage, "--to is required")
	fail(exitUsage, "keeps its state in bbolt already", "--to", "bbolt", "--path", filepath.Join(w.dir, "x.db"))
	fail(exitUsage, "--to dynamodb needs --table", "--to", "dynamodb", "--target", "prod")
	fail(exitUsage, "--path only applies with --to bbolt", "--to", "dynamodb", "--table", "rotatord-state", "--path", "x.db")
	fail(exitFailed, "rotatord state init", "--to", "dynamodb", "--table", "rotatord-state", "--target", "prod")

	cfgText, err := os.ReadFile(bboltCfg)
	if err != nil {
		t.Fatal(err)
	}

	// A daemon on the bbolt file: its lock, or its control socket.
	key, err := state.ParseProtectionKey(w.keyB64)
	if err != nil {
		t.Fatal(err)
	}
	held, err := state.Open(filepath.Join(w.dir, "state.db"), key, state.WithHolder("rotatord run"))
	if err != nil {
		t.Fatal(err)
	}
	fail(exitFailed, fmt.Sprintf("is in use by pid %d (rotatord run)", os.Getpid()), "--to", "dynamodb", "--table", "rotatord-state", "--target", "prod")
	held.Close()
	sock := filepath.Join(w.dir, "ctl.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	w.useMigrateConfig("socket.yaml", strings.Replace(string(cfgText), "version: 1\n", "version: 1\ncontrol_socket: "+sock+"\n", 1))
	fail(exitFailed, "a daemon is running (control socket "+sock+"); stop it first", "--to", "dynamodb", "--table", "rotatord-state", "--target", "prod")
	ln.Close()

	// A configuration on DynamoDB, to create the table with.
	dynText := strings.Replace(string(cfgText), "  path: state.db\n", "  backend: dynamodb\n  table: rotatord-state\n  target: prod\n", 1)
	w.useMigrateConfig("dynamo.yaml", dynText)
	w.mustRun("state", "init")
	w.useMigrateConfig("rotatord.yaml", "")

	dyn := w.migrateDynamo("rotatord-state")
	if err := dyn.Heartbeat(ctx, "replica-a", time.Minute); err != nil {
		t.Fatal(err)
	}
	fail(exitFailed, "replica-a", "--to", "dynamodb", "--table", "rotatord-state", "--target", "prod")
	if err := dyn.Leave(ctx, "replica-a"); err != nil {
		t.Fatal(err)
	}

	out := w.mustRun("state", "migrate", "--to", "dynamodb", "--table", "rotatord-state", "--target", "prod")
	s := before.Secrets[0]
	events := len(before.History[s.Name])
	for _, want := range []string{
		fmt.Sprintf("copied 1 secret (%d versions, %d events) from bbolt file %s to DynamoDB table rotatord-state (us-east-1)", len(s.Versions), events, filepath.Join(w.dir, "state.db")),
		"next: in " + bboltCfg + " set state.backend: dynamodb, state.table: rotatord-state, state.region: us-east-1, state.target: prod, remove state.path",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("state migrate --to dynamodb printed:\n%s\nwant %q", out, want)
		}
	}
	if got := migrateSnap(t, dyn); !reflect.DeepEqual(got, before) {
		t.Errorf("the table holds\n%+v\nwant\n%+v", got, before)
	}
	fail(exitFailed, "already holds state (1 secret)", "--to", "dynamodb", "--table", "rotatord-state", "--target", "prod")

	table, err := w.fake.Table("rotatord-state")
	if err != nil {
		t.Fatal(err)
	}
	raw := table.Raw()
	if !bytes.Contains(raw, []byte(s.Current().AccessKeyID)) {
		t.Fatal("the table's items lack the current key id: the search proves nothing")
	}
	for _, v := range s.Versions {
		if v.Value.Reveal() != "" && bytes.Contains(raw, []byte(v.Value.Reveal())) {
			t.Errorf("an item of the table holds version %d's secret in clear", v.N)
		}
	}

	// Back: from the configuration on DynamoDB into a new bbolt file.
	w.useMigrateConfig("dynamo.yaml", "")
	back := filepath.Join(w.dir, "back", "state.db")
	fail(exitUsage, "keeps its state in dynamodb already", "--to", "dynamodb", "--table", "other")
	fail(exitUsage, "--table only applies with --to dynamodb", "--to", "bbolt", "--path", back, "--table", "x")
	if err := dyn.Heartbeat(ctx, "replica-b", time.Minute); err != nil {
		t.Fatal(err)
	}
	fail(exitFailed, "replica-b", "--to", "bbolt", "--path", back)
	if _, err := os.Stat(back); !os.IsNotExist(err) {
		t.Errorf("a refused migration left %s: %v", back, err)
	}
	if err := dyn.Leave(ctx, "replica-b"); err != nil {
		t.Fatal(err)
	}
	// The original file holds state: not a destination.
	fail(exitFailed, "migrate only into an empty store", "--to", "bbolt", "--path", filepath.Join(w.dir, "state.db"))

	out = w.mustRun("state", "migrate", "--to", "bbolt", "--path", back)
	for _, want := range []string{
		fmt.Sprintf("copied 1 secret (%d versions, %d events) from DynamoDB table rotatord-state (us-east-1) to bbolt file %s", len(s.Versions), events, back),
		"next: in " + w.cfg + " set state.backend: bbolt and state.path: " + back,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("state migrate --to bbolt printed:\n%s\nwant %q", out, want)
		}
	}
	copied, err := state.Open(back, key)
	if err != nil {
		t.Fatal(err)
	}
	got := migrateSnap(t, copied)
	copied.Close()
	if !reflect.DeepEqual(got, before) {
		t.Errorf("the new file holds\n%+v\nwant\n%+v", got, before)
	}

	// The commands show the copy as they showed the original.
	w.useMigrateConfig("back.yaml", strings.Replace(string(cfgText), "  path: state.db\n", "  path: back/state.db\n", 1))
	if got := w.mustRun("status", "/team/app"); got != statusBefore {
		t.Errorf("status of the copy:\n%s\nof the original:\n%s", got, statusBefore)
	}
	if got := w.mustRun("history", "/team/app"); got != historyBefore {
		t.Errorf("history of the copy:\n%s\nof the original:\n%s", got, historyBefore)
	}
	w.useMigrateConfig("rotatord.yaml", "")
}

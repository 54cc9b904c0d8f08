package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rotatord/rotatord/internal/state"
	"github.com/rotatord/rotatord/internal/testuid"
)

// TestHostileSinksLeaveOthersServing: three of four secrets write where an
// attacker has been (issue 11): a link to the protection key that uid 65534
// planted at a sink path in a sticky directory, a hard link to the
// protection key at a sink path (which validation, comparing paths, cannot
// see), and a FIFO at a sink path. Each of those rotations stays open with
// both keys valid and the refusal as its error; the protection key is
// untouched and no file the attacker can read holds a byte of it; the
// daemon does not hang, and the fourth secret rotates and delivers.
func TestHostileSinksLeaveOthersServing(t *testing.T) {
	testuid.RequireRoot(t)
	w := newWorld(t)
	key := filepath.Join(w.dir, "protection.key")
	keyBytes, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	tmp := testuid.TempDir(t)
	if err := os.Chmod(tmp, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	testuid.Sh(t, "ln -s "+key+" "+filepath.Join(tmp, "linked.ini"))
	if err := os.Link(key, filepath.Join(w.dir, "hard.ini")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(w.dir, "fifo.ini"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := w.header("")
	for _, u := range []string{"good", "linked", "hard", "fifo"} {
		w.user(u)
		y := w.secretYAML(u, "auto_rotate: true", `rotation_schedule: "@hourly"`)
		if u == "linked" {
			y = strings.Replace(y, "path: linked.ini", "path: "+filepath.Join(tmp, "linked.ini"), 1)
		}
		cfg += y
	}
	w.start(cfg)
	w.advance(t0.Add(time.Hour))

	good := w.state("/app/good")
	if good.Journal != nil || good.Current().N != 2 || good.LastError != "" {
		t.Fatalf("good: journal %v, current v%d, last error %q; want a finished rotation", good.Journal, good.Current().N, good.LastError)
	}
	if b, _ := os.ReadFile(filepath.Join(w.dir, "good.ini")); !bytes.Contains(b, []byte(good.Current().AccessKeyID)) {
		t.Fatalf("good.ini lacks the new key id %s:\n%s", good.Current().AccessKeyID, b)
	}
	for u, want := range map[string]string{
		"linked": "is a symbolic link",
		"hard":   "rotatord's own protection key",
		"fifo":   "not a regular file",
	} {
		st := w.state("/app/" + u)
		if st.Journal == nil || st.Journal.Step != state.StepDelivering {
			t.Errorf("%s: journal %+v, want an open rotation at %s", u, st.Journal, state.StepDelivering)
			continue
		}
		if !strings.Contains(st.LastError, want) {
			t.Errorf("%s: last error %q, want it to say %q", u, st.LastError, want)
		}
		if len(w.fake.Keys(u)) != 2 {
			t.Errorf("%s: %d keys in IAM, want the old and the new one", u, len(w.fake.Keys(u)))
		}
		if _, err := w.whoami(w.users[u]); err != nil {
			t.Errorf("%s: the old key no longer works while a sink lacks the new one: %v", u, err)
		}
	}
	if now, _ := os.ReadFile(key); !bytes.Equal(now, keyBytes) {
		t.Fatal("the protection key changed")
	}
	keyInfo, err := os.Stat(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{tmp, w.dir} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			if fi, err := os.Stat(p); err != nil || !e.Type().IsRegular() || os.SameFile(fi, keyInfo) {
				continue // the protection key itself, by any name
			}
			if b, _ := os.ReadFile(p); bytes.Contains(b, bytes.TrimSpace(keyBytes)) {
				t.Errorf("%s holds the protection key", p)
			}
		}
	}
	if strings.Contains(w.logs.String(), strings.TrimSpace(string(keyBytes))) {
		t.Error("the protection key appears in the log")
	}
	if fi, err := os.Lstat(filepath.Join(tmp, "linked.ini")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the planted link was replaced or followed: %v %v", fi, err)
	}
}

// TestReloadRefusesWhatOthersCanChange: a configuration that became
// writable by every user, and that another user then changed to add a
// command sink, is refused at reload with its path, and the command never
// runs; so is a valid file naming a command program others can write. The
// running configuration stays and keeps rotating.
func TestReloadRefusesWhatOthersCanChange(t *testing.T) {
	testuid.RequireRoot(t)
	w := newWorld(t)
	for _, d := range []string{filepath.Dir(w.dir), w.dir} {
		if err := os.Chmod(d, 0o755); err != nil { // the attacker may look in
			t.Fatal(err)
		}
	}
	w.user("app")
	base := w.header("") + w.secretYAML("app", "auto_rotate: true", `rotation_schedule: "@hourly"`)
	w.start(base)
	before := w.entryIDs()

	marker := filepath.Join(w.dir, "ran-as-root")
	if err := os.Chmod(w.cfg, 0o666); err != nil {
		t.Fatal(err)
	}
	testuid.Sh(t, `printf '      - {type: command, command: [/bin/sh, -c, "id -u > `+marker+`"]}\n' >> `+w.cfg)
	w.d.reload(t.Context(), "test")
	if !strings.Contains(w.logs.String(), w.cfg+": refused: the file is writable by every user (mode 0666)") {
		t.Fatalf("the log does not say why the file was refused:\n%s", w.logs.String())
	}
	if after := w.entryIDs(); !sameIDs(after, before) {
		t.Fatalf("a refused file changed the schedule: %v, was %v", after, before)
	}
	w.advance(t0.Add(time.Hour))
	if v := w.state("/app/app").Current(); v == nil || v.N != 2 {
		t.Fatal("the running configuration stopped rotating")
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the other user's command ran")
	}
	before = w.entryIDs()

	// A private file again, naming a program every user can write.
	prog := filepath.Join(w.dir, "hook")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(prog, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(w.cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	w.file("rotatord.yaml", base+"      - {type: command, command: ["+prog+"]}\n")
	logged := len(w.logs.String())
	w.d.reload(t.Context(), "test")
	msg := w.logs.String()[logged:]
	if !strings.Contains(msg, "rotatord.yaml:26:") || !strings.Contains(msg, "secrets[0].sinks[1].command[0]: program "+prog+" is writable by every user") {
		t.Fatalf("the log does not name the program and its line:\n%s", msg)
	}
	if after := w.entryIDs(); !sameIDs(after, before) {
		t.Fatalf("a refused file changed the schedule: %v, was %v", after, before)
	}
}

package main

import (
	"bytes"
	"context"
	encbin "encoding/binary"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/rotatord/rotatord/internal/state"
)

// TestUnusableStateFileIsRefused gives `rotatord run` and `rotatord list`
// state files that are empty, truncated, damaged, foreign or sealed with
// another protection key: each exits 1 with one sentence on standard
// error that names the file and what to do, never a panic or a fault, and
// the file keeps its bytes and its mtime.
func TestUnusableStateFileIsRefused(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: true})
	w.mustRun("rotate", "/team/app")
	path := filepath.Join(w.dir, "state.db")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.WriteFile(path, good, 0o600) }) // for the world's secret scan
	ps, hwm, root := boltLayout(t, good)
	flip := func(offs ...int) []byte {
		out := bytes.Clone(good)
		for _, off := range offs {
			out[off] ^= 0xff
		}
		return out
	}
	r := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 4*ps)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	const backup = `restore the state file from a backup (README, "Backups and restoring")`
	tests := []struct {
		name     string
		content  []byte
		wrongKey bool
		want     []string
	}{
		{"empty", []byte{}, false, []string{"is damaged (it is empty)", backup}},
		{"truncated to 1 byte", good[:1], false, []string{"is damaged (it is truncated to 1 byte)", backup}},
		{"truncated to half a page", good[:ps/2], false, []string{"is damaged (it is truncated", backup}},
		{"truncated to one page", good[:ps], false, []string{"is damaged (it is truncated", backup}},
		{"truncated just under the high-water mark", good[:hwm*ps-1], false, []string{"is damaged (it is truncated", backup}},
		{"meta page 0 flipped", flip(16 + 40), false, []string{"meta page 0: checksum mismatch", backup}},
		{"meta page 1 flipped", flip(ps + 16 + 40), false, []string{"meta page 1: checksum mismatch", backup}},
		{"both meta pages flipped", flip(16+40, ps+16+40), false, []string{"meta page 0: checksum mismatch", backup}},
		{"the page holding the secrets flipped", flip(root*ps + 11), false, []string{"counts", "elements, more than it holds", backup}},
		{"random bytes", random, false, []string{"is not a rotatord state file (not a bbolt database", "check state.path", backup}},
		{"an SQLite database", append([]byte("SQLite format 3\x00"), make([]byte, 4*ps)...), false, []string{"is not a rotatord state file (not a bbolt database", backup}},
		{"another program's bbolt file", foreignBolt(t), false, []string{`is not a rotatord state file (a bbolt database with bucket "widgets" but no "meta")`, backup}},
		{"another protection key", good, true, []string{"protection key does not match", "protection.key"}},
	}
	origKey, err := os.ReadFile(filepath.Join(w.dir, "protection.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wrongKey {
				other, err := state.NewProtectionKey()
				if err != nil {
					t.Fatal(err)
				}
				w.write("protection.key", other)
				defer w.write("protection.key", string(origKey))
			}
			old := time.Now().Add(-time.Hour).Truncate(time.Second)
			if err := os.WriteFile(path, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"run"}, {"list"}} {
				stdout, stderr, code := w.runBounded(t, args...)
				if code != exitFailed {
					t.Errorf("rotatord %s: exit %d, want %d; stderr:\n%s", args[0], code, exitFailed, stderr)
				}
				assertOneSentence(t, args[0], stdout, stderr, append([]string{path}, tt.want...))
				got, _ := os.ReadFile(path)
				fi, err := os.Stat(path)
				if err != nil || !bytes.Equal(got, tt.content) || !fi.ModTime().Equal(old) || fi.Mode() != 0o600 {
					t.Errorf("rotatord %s changed the state file (%d bytes before, %d after; mtime %v, want %v)", args[0], len(tt.content), len(got), fi.ModTime(), old)
				}
				if left, _ := filepath.Glob(filepath.Join(w.dir, ".state.db.*")); len(left) > 0 {
					t.Errorf("rotatord %s left %v", args[0], left)
				}
			}
		})
	}
}

// panicWords betray a crash rather than a refusal.
var panicWords = regexp.MustCompile(`panic|goroutine \d|SIGBUS|SIGSEGV|fatal error|unexpected fault`)

// assertOneSentence checks that stderr is one line, one sentence, saying
// every want, and that nothing betrays a crash.
func assertOneSentence(t *testing.T, cmd, stdout, stderr string, want []string) {
	t.Helper()
	if panicWords.MatchString(stdout + stderr) {
		t.Errorf("rotatord %s crashed:\n%s%s", cmd, stdout, stderr)
	}
	msg := strings.TrimSuffix(stderr, "\n")
	if strings.Contains(msg, "\n") || regexp.MustCompile(`[.!?]\s+[A-Z]`).MatchString(msg) {
		t.Errorf("rotatord %s: stderr is not one sentence:\n%s", cmd, stderr)
	}
	for _, s := range want {
		if !strings.Contains(msg, s) {
			t.Errorf("rotatord %s: stderr %q does not say %q", cmd, msg, s)
		}
	}
}

// runBounded runs rotatord like w.run, for subtest t, but gives up after 30 s: a daemon
// that accepted a bad file would otherwise run until the test times out.
func (w *world) runBounded(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"-c", w.cfg, "--log-format", "json"}, args...)...)
	cmd.Env = env()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	w.record(o.String(), e.String())
	if ctx.Err() != nil {
		t.Fatalf("rotatord %v was still running after 30 s: it accepted the state file", args)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("run rotatord %v: %v", args, err)
	}
	return o.String(), e.String(), 0
}

// boltLayout reads a bbolt file's page size, high-water mark and root page
// from its current meta page (go.etcd.io/bbolt internal/common/meta.go).
func boltLayout(t *testing.T, raw []byte) (ps, hwm, root int) {
	t.Helper()
	ne := encbin.NativeEndian
	meta := func(off int) (ps, root, hwm, txid uint64) {
		m := raw[off+16:]
		return uint64(ne.Uint32(m[8:])), ne.Uint64(m[16:]), ne.Uint64(m[40:]), ne.Uint64(m[48:])
	}
	ps0, root0, hwm0, tx0 := meta(0)
	_, root1, hwm1, tx1 := meta(int(ps0))
	if tx1 > tx0 {
		root0, hwm0 = root1, hwm1
	}
	if ps0 == 0 || hwm0*ps0 > uint64(len(raw)) {
		t.Fatalf("the state file does not look like a bbolt file: page size %d, %d pages, %d bytes", ps0, hwm0, len(raw))
	}
	return int(ps0), int(hwm0), int(root0)
}

// foreignBolt is a bbolt file of another program.
func foreignBolt(t *testing.T) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "other.db")
	db, err := bolt.Open(p, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("widgets"))
		if err != nil {
			return err
		}
		return b.Put([]byte("a"), []byte("b"))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

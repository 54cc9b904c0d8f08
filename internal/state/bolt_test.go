package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestRoundTripAfterReopen(t *testing.T) {
	at := func(d int) time.Time { return time.Date(2025, 3, d, 4, 5, 6, 789, time.UTC) }
	want := &Secret{
		Name: "/team-a/ci/deployer", UserName: "deployer",
		UserARN: "arn:aws:iam::123456789012:user/deployer",
		Versions: []Version{
			{N: 1, AccessKeyID: "AKIA1", Created: at(1), State: Retired, Imported: true,
				Delivered: map[string]time.Time{"file:/run/a.ini": at(1)},
				Replaced:  at(2), Retired: at(3)},
			{N: 2, AccessKeyID: "AKIA2", Created: at(2), State: Previous, Value: "value-two",
				Delivered: map[string]time.Time{"file:/run/a.ini": at(2), "ssm:/a": at(2)}, Committed: map[string]time.Time{"secretsmanager:prod/a": at(3)},
				Replaced: at(4)},
			{N: 3, AccessKeyID: "AKIA3", Created: at(4), State: Current, Value: "value-three",
				Delivered: map[string]time.Time{"file:/run/a.ini": at(4)}},
			{N: 4, AccessKeyID: "AKIA4", Created: at(5), State: Pending, Value: "value-four"},
		},
		LastRotation: at(4),
		Journal: &Journal{
			RotationID: "r-42", Started: at(5), Step: StepDelivering, Manual: true,
			CurrentKeyID: "AKIA3", KeysAtInspect: []string{"AKIA2", "AKIA3"},
			NewKeyID: "AKIA4", CreateAttempts: 2, DeliveryAttempts: 3, NextDelivery: at(6),
		},
		LastError: "deliver ssm:/a: throttled", LastErrorAt: at(5),
	}
	b, path := openTemp(t)
	put(t, b, want)
	put(t, b, &Secret{Name: "/other", Archived: true})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b, err := Open(path, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := b.Get(context.Background(), want.Name)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after reopen:\n got %#v\nwant %#v", *got, *want)
	}
	// The copy is the caller's: changing it changes nothing stored.
	got.Versions[2].Delivered["x"] = at(9)
	got.Journal.KeysAtInspect[0] = "changed"
	again, _ := b.Get(context.Background(), want.Name)
	if !reflect.DeepEqual(again, want) {
		t.Error("changing Get's result changed the store")
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "lib", "rotatord")
	path := filepath.Join(dir, "state.db")
	b, err := Open(path, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for name, want := range map[string]os.FileMode{
		dir: os.ModeDir | 0o700, path: 0o600, path + ".lock": 0o600,
	} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: got mode %v, want %v", name, fi.Mode(), want)
		}
	}
}

func TestOpenWrongKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := Open(path, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	put(t, b, &Secret{Name: "/a", Versions: []Version{{N: 1, AccessKeyID: "AKIA1", State: Current, Value: "v"}}})
	b.Close()

	_, err = Open(path, testKey(2))
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Open with another key: got %v, want an error wrapping ErrWrongKey", err)
	}
	for _, want := range []string{path, "use the protection key the state file was created with"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	// The failed Open left the file as it was and unlocked.
	b, err = Open(path, testKey(1))
	if err != nil {
		t.Fatalf("Open with the right key after a wrong one: %v", err)
	}
	defer b.Close()
	if s, err := b.Get(context.Background(), "/a"); err != nil || s.Current().Value != "v" {
		t.Fatalf("Get after reopen: %v", err)
	}
}

func TestOpenBadKey(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
		want string
	}{
		{"missing", nil, "protection key is missing"},
		{"short", make([]byte, 16), "protection key is 16 bytes, want 32"},
		{"long", make([]byte, 64), "protection key is 64 bytes, want 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			path := filepath.Join(dir, "state.db")
			_, err := Open(path, tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Open: got %v, want an error naming %s and saying %q", err, path, tt.want)
			}
			if errors.Is(err, ErrWrongKey) {
				t.Errorf("a malformed key wraps ErrWrongKey: %v", err)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Open with a bad key touched the disk: %v", err)
			}
		})
	}
}

func TestOpenRejectsForeignFiles(t *testing.T) {
	tests := []struct {
		name  string
		setup func(tx *bolt.Tx) error
		want  string
	}{
		{"future schema", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keySchema, []byte("7"))
		}, "schema version 7 is newer than this rotatord knows (1)"},
		{"garbage schema", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keySchema, []byte("x"))
		}, "not a rotatord state file"},
		{"no meta", func(tx *bolt.Tx) error {
			return tx.DeleteBucket(bucketMeta)
		}, "not a rotatord state file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, path := openTemp(t)
			b.Close()
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(tt.setup); err != nil {
				t.Fatal(err)
			}
			db.Close()
			_, err = Open(path, testKey(1))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open: got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMovedRecordDoesNotOpen(t *testing.T) {
	b, path := openTemp(t)
	put(t, b, &Secret{Name: "/a", Versions: []Version{{N: 1, AccessKeyID: "AKIA1", State: Current, Value: "value-a"}}})
	b.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		secrets := tx.Bucket(bucketSecrets)
		moved := strings.Replace(string(secrets.Get([]byte("/a"))), `"name":"/a"`, `"name":"/b"`, 1)
		return secrets.Put([]byte("/b"), []byte(moved))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	b, err = Open(path, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if s, err := b.Get(context.Background(), "/b"); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Get of a record copied to another name: got %v, %v; want ErrWrongKey", s, err)
	}
}

func TestOpenEmptyPath(t *testing.T) {
	if _, err := Open("", testKey(1)); err == nil || !strings.Contains(err.Error(), "empty path") {
		t.Fatalf("Open(\"\"): got %v, want an empty path error", err)
	}
}

func TestCloseTwice(t *testing.T) {
	b, _ := openTemp(t)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := b.Get(context.Background(), "/a"); err == nil {
		t.Fatal("Get after Close: got no error")
	}
}

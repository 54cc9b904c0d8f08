package state

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rotatord/rotatord/config"
)

// readCloser is what the tests keep an opened store as.
type readCloser interface {
	Reader
	io.Closer
}

// leaserCloser is what only a *Dynamo is.
type leaserCloser interface {
	Leaser
	io.Closer
}

// connectTo is a Connect that reaches cfg whatever the state block.
func connectTo(cfg aws.Config) Connect {
	return func(context.Context, *config.State) (aws.Config, error) { return cfg, nil }
}

// configKey is protection key testKey(b) as a configuration holds it.
func configKey(b byte) config.SecretValue { return config.SecretValue(testKey(b)) }

// TestOpenConfigured: the configured backend opens with the configured
// key; a wrong key names where it came from, a missing table says "open
// state" and wraps ErrNoTable; a store that is not what the caller asks
// for is an error and closed again.
func TestOpenConfigured(t *testing.T) {
	ctx := t.Context()
	_, awsCfg := dynamoWorld(t)
	o := ConfigOptions{Holder: "the test", Connect: connectTo(awsCfg)}
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := Open(path, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	put(t, b, &Secret{Name: "/a", UserName: "u"})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDynamo(ctx, awsCfg, "rotatord", testKey(1)); err != nil {
		t.Fatal(err)
	}
	bbolt := config.State{Backend: config.BackendBbolt, Path: path, ProtectionKey: configKey(1)}
	dynamo := config.State{Backend: config.BackendDynamoDB, Table: "rotatord", Region: "us-east-1", ProtectionKey: configKey(1)}
	with := func(st config.State, edit func(*config.State)) config.State { edit(&st); return st }

	tests := []struct {
		name   string
		st     config.State
		is     error  // nil: opens
		prefix string // of the error
		suffix string // of the error
		want   string // the store's type when it opens
	}{
		{name: "bbolt", st: bbolt, want: "*state.Bolt"},
		{name: "dynamodb", st: dynamo, want: "*state.Dynamo"},
		{name: "bbolt, wrong key from a file", is: ErrWrongKey, suffix: " (protection key from /etc/rotatord/key)",
			st: with(bbolt, func(s *config.State) { s.ProtectionKey, s.ProtectionKeyFile = configKey(2), "/etc/rotatord/key" })},
		{name: "dynamodb, wrong key from the environment", is: ErrWrongKey, prefix: "open state: ", suffix: " (protection key from $ROTATORD_KEY)",
			st: with(dynamo, func(s *config.State) {
				s.ProtectionKey, s.ProtectionKeyFile, s.ProtectionKeyEnv = configKey(2), "/etc/rotatord/key", "ROTATORD_KEY"
			})},
		{name: "no table", is: ErrNoTable, prefix: "open state: ",
			st: with(dynamo, func(s *config.State) { s.Table = "absent" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := OpenConfigured[readCloser](ctx, &tt.st, o)
			if tt.is == nil {
				if err != nil {
					t.Fatalf("got %v, want the store", err)
				}
				defer st.Close()
				if got := typeName(st); got != tt.want {
					t.Errorf("got a %s, want a %s", got, tt.want)
				}
				if _, err := st.Get(ctx, "/a"); tt.want == "*state.Bolt" && err != nil {
					t.Errorf("Get /a: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.is) {
				t.Fatalf("got %v, want an error wrapping %v", err, tt.is)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tt.prefix) || !strings.HasSuffix(msg, tt.suffix) {
				t.Errorf("got %q, want it to start with %q and end with %q", msg, tt.prefix, tt.suffix)
			}
		})
	}

	t.Run("not what the caller asks for", func(t *testing.T) {
		_, err := OpenConfigured[leaserCloser](ctx, &bbolt, o)
		if err == nil || !strings.Contains(err.Error(), "*state.Bolt lacks what its caller uses") {
			t.Fatalf("got %v, want the bbolt store refused as a Leaser", err)
		}
		again, err := Open(path, testKey(1)) // locked if not closed
		if err != nil {
			t.Fatalf("the refused store was left open: %v", err)
		}
		_ = again.Close()
	})
}

func typeName(v any) string {
	switch v.(type) {
	case *Bolt:
		return "*state.Bolt"
	case *Dynamo:
		return "*state.Dynamo"
	}
	return "another type"
}

// TestMigrateConfigured: Migrate refuses a missing source file, a missing
// table (saying how to create it), a table a replica heartbeats on, and a
// destination file that holds state (which it leaves in place); otherwise
// it copies a bbolt file into the table and the table into a new file.
func TestMigrateConfigured(t *testing.T) {
	ctx := t.Context()
	_, awsCfg := dynamoWorld(t)
	o := MigrateOptions{Holder: "the test", Connect: connectTo(awsCfg)}
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	b, err := Open(path, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"/a", "/b"} {
		err := b.Update(ctx, name, func(tx *Tx) error {
			tx.Secret.Versions = []Version{{N: 1, AccessKeyID: "AKIA" + name[1:], State: Current, Value: "value of " + config.SecretValue(name)}}
			tx.Audit("r1", "test.created", "AKIA"+name[1:], "")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	bbolt := config.State{Backend: config.BackendBbolt, Path: path, ProtectionKey: configKey(1)}
	table := config.State{Backend: config.BackendDynamoDB, Table: "rotatord", Region: "eu-west-1", ProtectionKey: configKey(1)}
	newFile := config.State{Backend: config.BackendBbolt, Path: filepath.Join(dir, "copy.db")}

	refused := func(what string, from, to config.State, want string) {
		t.Helper()
		if _, err := Migrate(ctx, &from, &to, o); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: got %v, want an error starting %q", what, err, want)
		}
	}
	missing := bbolt
	missing.Path = filepath.Join(dir, "missing.db")
	refused("missing source", missing, table, "state file "+missing.Path+" does not exist: there is no state to migrate")
	absent := table
	absent.Table = "absent"
	refused("missing table", bbolt, absent, "DynamoDB table absent does not exist in eu-west-1: create it first with rotatord state init")

	d, err := OpenDynamo(ctx, awsCfg, "rotatord", testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Heartbeat(ctx, "host-a", time.Minute); err != nil {
		t.Fatal(err)
	}
	refused("a replica runs", bbolt, table, "rotatord is running on table rotatord: host-a (heartbeat until ")
	if err := d.Leave(ctx, "host-a"); err != nil {
		t.Fatal(err)
	}

	want := MigrateStats{Secrets: 2, Versions: 2, Events: 2}
	if got, err := Migrate(ctx, &bbolt, &table, o); err != nil || got != want {
		t.Fatalf("bbolt into the table: got %+v, %v; want %+v", got, err, want)
	}
	if got, err := Migrate(ctx, &table, &newFile, o); err != nil || got != want {
		t.Fatalf("the table into a new file: got %+v, %v; want %+v", got, err, want)
	}
	copied, err := Open(newFile.Path, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	s, err := copied.Get(ctx, "/b")
	_ = copied.Close()
	if err != nil || s.Current() == nil || s.Current().Value != "value of /b" {
		t.Fatalf("the copy's /b: got %+v, %v; want its current version and value", s, err)
	}
	refused("a file that holds state", table, newFile, "state file "+newFile.Path+": the destination already holds state (2 secrets); migrate only into an empty store")
	if _, err := os.Stat(newFile.Path); err != nil {
		t.Errorf("a file that held state before was removed: %v", err)
	}
}

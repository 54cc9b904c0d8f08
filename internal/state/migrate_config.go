package state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/safefile"
)

// MigrateOptions says how Migrate reaches the stores.
type MigrateOptions struct {
	// Holder names this process in a bbolt file's lock.
	Holder string
	// Connect reaches a DynamoDB table.
	Connect Connect
}

// Migrate copies the store that from names into the other backend's, to:
// a bbolt file (from.Backend: bbolt) into the DynamoDB table to.Table, in
// to.Region, at to.Endpoint or through to.Target; a table into the bbolt
// file to.Path (an absolute path). Both are sealed with from's protection
// key. Every secret's state and history is copied unchanged, in name
// order.
//
// It refuses, writing nothing: a bbolt source that does not exist; a file
// another process holds (the error names it); a table that does not exist
// (saying how to create it); a table on which a replica keeps a heartbeat;
// a destination that holds state. The source is only read. A copy that
// fails midway leaves the secrets before it in the destination: a bbolt
// file Migrate created is removed again, and the error says so of a table
// (it must be created again).
func Migrate(ctx context.Context, from, to *config.State, o MigrateOptions) (MigrateStats, error) {
	key := []byte(from.ProtectionKey.Reveal())
	if from.Backend == config.BackendBbolt {
		return migrateToDynamo(ctx, from, to, o, key)
	}
	return migrateToBbolt(ctx, from, to, o, key)
}

// migrateToDynamo copies the bbolt file of from into the table of to.
func migrateToDynamo(ctx context.Context, from, to *config.State, o MigrateOptions, key []byte) (MigrateStats, error) {
	path := from.Path
	if _, err := safefile.Stat(path, safefile.Options{}); errors.Is(err, fs.ErrNotExist) {
		return MigrateStats{}, fmt.Errorf("state file %s does not exist: there is no state to migrate", path)
	}
	src, err := Open(path, key, WithHolder(o.Holder))
	if err != nil {
		return MigrateStats{}, migrateOpenError(from, path, err)
	}
	defer src.Close()

	awsCfg, err := o.Connect(ctx, to)
	if err != nil {
		return MigrateStats{}, err
	}
	dst, err := migrateOpenDynamo(ctx, awsCfg, to, key)
	if err != nil {
		return MigrateStats{}, err
	}
	defer dst.Close()
	if err := migrateNoReplicas(ctx, dst, to.Table); err != nil {
		return MigrateStats{}, err
	}
	stats, err := copyStore(ctx, src, dst)
	if err != nil {
		if stats.Secrets > 0 {
			return stats, fmt.Errorf("%w; table %s now holds part of the state (%d secrets): delete and recreate it (rotatord state init) before you try again", err, to.Table, stats.Secrets)
		}
		return stats, fmt.Errorf("table %s: %w", to.Table, err)
	}
	return stats, nil
}

// migrateToBbolt copies the table of from into the bbolt file of to.
func migrateToBbolt(ctx context.Context, from, to *config.State, o MigrateOptions, key []byte) (MigrateStats, error) {
	awsCfg, err := o.Connect(ctx, from)
	if err != nil {
		return MigrateStats{}, err
	}
	src, err := migrateOpenDynamo(ctx, awsCfg, from, key)
	if err != nil {
		return MigrateStats{}, err
	}
	defer src.Close()
	if err := migrateNoReplicas(ctx, src, from.Table); err != nil {
		return MigrateStats{}, err
	}
	path := to.Path
	_, statErr := safefile.Stat(path, safefile.Options{})
	created := errors.Is(statErr, fs.ErrNotExist)
	dst, err := Open(path, key, WithHolder(o.Holder))
	if err != nil {
		return MigrateStats{}, migrateOpenError(from, path, err)
	}
	stats, err := copyStore(ctx, src, dst)
	cerr := dst.Close()
	if err != nil {
		if created {
			// A file this migration created holds nothing else: remove
			// the partial copy, so that the next attempt starts afresh.
			_ = safefile.Remove(path)
		}
		return stats, fmt.Errorf("state file %s: %w", path, err)
	}
	if cerr != nil {
		return stats, cerr
	}
	return stats, nil
}

// migrateOpenDynamo opens the store on st's table, saying how to create a
// table that does not exist.
func migrateOpenDynamo(ctx context.Context, awsCfg aws.Config, st *config.State, key []byte) (*Dynamo, error) {
	d, err := OpenDynamo(ctx, awsCfg, st.Table, key)
	if errors.Is(err, ErrNoTable) {
		return nil, fmt.Errorf("DynamoDB table %s does not exist in %s: create it first with rotatord state init, in a configuration whose state has backend: dynamodb and table: %s", st.Table, st.Region, st.Table)
	}
	return d, err
}

// migrateNoReplicas refuses while daemons keep a heartbeat on the table.
func migrateNoReplicas(ctx context.Context, d *Dynamo, table string) error {
	rs, err := d.Replicas(ctx)
	if err != nil {
		return fmt.Errorf("table %s: %w", table, err)
	}
	if len(rs) == 0 {
		return nil
	}
	var names []string
	for _, r := range rs {
		names = append(names, fmt.Sprintf("%s (heartbeat until %s)", r.Name, r.Expires.UTC().Format(time.RFC3339)))
	}
	return fmt.Errorf("rotatord is running on table %s: %s; stop every replica first (one that died without stopping counts until its heartbeat expires)", table, strings.Join(names, ", "))
}

// migrateOpenError explains why a bbolt file did not open. A *LockedError
// names the process that holds the file already.
func migrateOpenError(st *config.State, path string, err error) error {
	switch {
	case errors.Is(err, ErrLocked):
		return err // a *LockedError names the file and its holder
	case errors.Is(err, ErrUnusable):
		return err // a *FileError names the file and what to do
	case errors.Is(err, ErrWrongKey):
		return fmt.Errorf("open state file %s with protection key %s: %w", path, keySource(st), err)
	}
	return fmt.Errorf("open state file %s: %w", path, err)
}

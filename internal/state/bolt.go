package state

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the version of the state file layout this package
// writes. Open refuses files of a later version.
const SchemaVersion = 1

// boltLockTimeout bounds bbolt's own flock on the state file, a second
// guard behind the lock file.
const boltLockTimeout = time.Second

// keyCheckPlain is sealed into every new state file; opening it proves the
// protection key is the one the file was created with.
const keyCheckPlain = "rotatord protection key check"

// The state file's layout. Buckets:
//
//	meta     schema → decimal SchemaVersion; key_check → sealed keyCheckPlain;
//	         created → RFC 3339 time
//	secrets  secret name → JSON secretRecord
//	events   secret name → bucket: 8-byte big-endian Seq → JSON eventRecord
//	         (Seq from the events bucket's sequence: increasing store-wide)
var (
	bucketMeta    = []byte("meta")
	bucketSecrets = []byte("secrets")
	bucketEvents  = []byte("events")
	keySchema     = []byte("schema")
	keyKeyCheck   = []byte("key_check")
	keyCreated    = []byte("created")
)

// Bolt is the Store kept in one bbolt file. It holds the file exclusively
// from Open to Close, and every Update is fsynced before it returns. It is
// safe for concurrent use.
type Bolt struct {
	path string
	db   *bolt.DB
	lock *lockFile
	seal *Sealer
	now  func() time.Time

	gc    *committer
	cache decoded

	closeOnce sync.Once
	closeErr  error
}

var _ Store = (*Bolt)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	now    func() time.Time
	holder string
}

// WithClock makes the store stamp audit events with now instead of
// time.Now. now must be safe for concurrent use.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithHolder sets how this process is described to another one that finds
// the state file in use, e.g. "rotatord run". The default is the command line.
func WithHolder(description string) Option {
	return func(o *options) { o.holder = description }
}

// Open opens the state file at path, creating it (0600) and its directory
// (0700) if missing, with key, the KeySize-byte protection key. It fails at
// once with a *LockedError (wrapping ErrLocked) if another Bolt, in this or
// another process, has the file open; and with an error wrapping ErrWrongKey
// if the file was created with another protection key.
func Open(path string, key []byte, opts ...Option) (*Bolt, error) {
	o := options{now: time.Now, holder: defaultHolder()}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" {
		return nil, errors.New("open state file: empty path")
	}
	sl, err := NewSealer(key)
	if err != nil {
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	lock, err := acquireLock(path, o.holder)
	if err != nil {
		if errors.Is(err, ErrLocked) {
			return nil, err // names the file already
		}
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: boltLockTimeout, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		_ = lock.release()
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, &LockedError{Path: path}
		}
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	b := &Bolt{path: path, db: db, lock: lock, seal: sl, now: o.now}
	if err := db.Update(b.initMeta); err != nil {
		_ = db.Close()
		_ = lock.release()
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	if created {
		syncDir(dir)
	}
	b.gc = newCommitter(b)
	return b, nil
}

// initMeta writes the meta bucket of a new file, or checks an existing
// one's schema version and key check.
func (b *Bolt) initMeta(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			return fmt.Errorf("not a rotatord state file: bucket %q but no %q", name, bucketMeta)
		})
		if err != nil {
			return err
		}
		return b.createMeta(tx)
	}
	raw := meta.Get(keySchema)
	v, err := strconv.Atoi(string(raw))
	switch {
	case err != nil || v < 1:
		return fmt.Errorf("not a rotatord state file: schema version %q", raw)
	case v > SchemaVersion:
		return fmt.Errorf("schema version %d is newer than this rotatord knows (%d): run the rotatord that wrote it, or a later one", v, SchemaVersion)
	}
	plain, err := b.seal.open(meta.Get(keyKeyCheck), []byte(adKeyCheck))
	if err != nil || !bytes.Equal(plain, []byte(keyCheckPlain)) {
		return fmt.Errorf("%w; use the protection key the state file was created with (state.protection_key_file)", ErrWrongKey)
	}
	for _, name := range [][]byte{bucketSecrets, bucketEvents} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("bucket %s: %w", name, err)
		}
	}
	return nil
}

func (b *Bolt) createMeta(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketSecrets, bucketEvents} {
		if _, err := tx.CreateBucket(name); err != nil {
			return fmt.Errorf("bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	for k, v := range map[string][]byte{
		string(keySchema):   []byte(strconv.Itoa(SchemaVersion)),
		string(keyKeyCheck): b.seal.seal([]byte(keyCheckPlain), []byte(adKeyCheck)),
		string(keyCreated):  []byte(b.now().UTC().Format(time.RFC3339)),
	} {
		if err := meta.Put([]byte(k), v); err != nil {
			return fmt.Errorf("meta %s: %w", k, err)
		}
	}
	return nil
}

// syncDir makes a new file's directory entry durable. It is best effort:
// the file itself is already synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// Path returns the state file's path.
func (b *Bolt) Path() string { return b.path }

// Close waits for running transactions, closes the file and releases the
// lock. Calls after the first return the first one's result; every other
// method fails once Close has begun.
func (b *Bolt) Close() error {
	b.closeOnce.Do(func() {
		b.gc.close()
		err := b.db.Close()
		if lerr := b.lock.release(); err == nil {
			err = lerr
		}
		if err != nil {
			b.closeErr = fmt.Errorf("close state file %s: %w", b.path, err)
		}
	})
	return b.closeErr
}

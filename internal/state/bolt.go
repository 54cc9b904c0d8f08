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

	"github.com/rotatord/rotatord/internal/safefile"
	"golang.org/x/sys/unix"
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
	db   *guardedDB
	lock *lockFile
	seal *Sealer
	now  func() time.Time

	gc    *committer
	cache decoded

	closeOnce sync.Once
	closeErr  error
}

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

// Open opens the state file at path with key, the KeySize-byte protection
// key. Only where no file exists does it create one (0600, in a directory
// it creates 0700 if missing), atomically: the new store appears complete
// or not at all. An existing file is checked before bbolt maps it, then
// opened read-only for the checks that need bbolt, and read-write only
// once it passed; a file that is empty, truncated, damaged, not a regular
// file or not a rotatord state file is refused with a *FileError (wrapping
// ErrUnusable) and left unchanged. Open fails at once with a *LockedError
// (wrapping ErrLocked) if another Bolt, in this or another process, has
// the file open; and with an error wrapping ErrWrongKey if the file was
// created with another protection key.
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
	// The directory, and every one above it, must be one that only root
	// (or rotatord's user) can write, with no link on the way: then the
	// state file, its lock and the new store's build file can be reached
	// by path below, and nobody else can swap one of them.
	dir, err := safefile.MkdirAll(filepath.Dir(path), 0o700)
	if err != nil {
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	dir.Close()
	lock, err := acquireLock(path, o.holder)
	if err != nil {
		if errors.Is(err, ErrLocked) {
			return nil, err // names the file already
		}
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	b := &Bolt{path: path, lock: lock, seal: sl, now: o.now}
	if b.db, err = b.openChecked(); err != nil {
		_ = lock.release()
		return nil, err
	}
	b.gc = newCommitter(b)
	return b, nil
}

// openChecked creates the state file if there is none, checks it, and
// opens it read-write. The caller holds the lock.
func (b *Bolt) openChecked() (*guardedDB, error) {
	// A crash between linking a new store into place and removing its
	// build file leaves a second name for the state file (which the
	// checks would refuse as a file with two names): drop it. Where the
	// state file is missing, createFile removes a build file left anyway.
	if _, err := os.Lstat(b.path); err == nil {
		_ = unix.Unlink(buildPath(b.path))
	}
	stamp, err := checkFile(b.path)
	if errors.Is(err, fs.ErrNotExist) {
		if err = createFile(b.path, b.seal, b.now); err == nil {
			stamp, err = checkFile(b.path)
		}
	}
	if err != nil {
		return nil, err
	}
	// createFile removed its build file; a crash right after the link
	// may have left it: drop that second name too.
	_ = unix.Unlink(buildPath(b.path))
	ro, err := openBolt(b.path, stamp, readOnly)
	if err != nil {
		return nil, err
	}
	var missing bool
	err = ro.View(func(tx *bolt.Tx) error {
		var err error
		missing, err = b.checkMeta(tx)
		return err
	})
	if cerr := ro.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("open state file %s: %w", b.path, cerr)
	}
	if err != nil {
		return nil, err
	}
	db, err := openBolt(b.path, stamp, readWrite)
	if err != nil {
		return nil, err
	}
	if missing {
		err = db.Update(func(tx *bolt.Tx) error {
			for _, name := range [][]byte{bucketSecrets, bucketEvents} {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return fmt.Errorf("bucket %s: %w", name, err)
				}
			}
			return nil
		})
		if err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("open state file %s: %w", b.path, err)
		}
	}
	return db, nil
}

// checkMeta checks an existing file's meta bucket: its schema version and
// key check. It reports whether the secrets or events bucket is missing.
func (b *Bolt) checkMeta(tx *bolt.Tx) (missing bool, err error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		var other []byte
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			other = bytes.Clone(name)
			return errors.New("stop")
		})
		if other == nil {
			return false, foreign(b.path, "an empty bbolt database, as a first start of an older rotatord cut short leaves; remove it if rotatord never ran with it")
		}
		return false, foreign(b.path, "a bbolt database with bucket %q but no %q", other, bucketMeta)
	}
	raw := meta.Get(keySchema)
	v, err := strconv.Atoi(string(raw))
	switch {
	case err != nil || v < 1:
		return false, foreign(b.path, "schema version %q", raw)
	case v > SchemaVersion:
		return false, fmt.Errorf("open state file %s: schema version %d is newer than this rotatord knows (%d): run the rotatord that wrote it, or a later one", b.path, v, SchemaVersion)
	}
	plain, err := b.seal.open(meta.Get(keyKeyCheck), []byte(adKeyCheck))
	if err != nil || !bytes.Equal(plain, []byte(keyCheckPlain)) {
		return false, fmt.Errorf("open state file %s: %w; use the protection key the state file was created with (state.protection_key_file)", b.path, ErrWrongKey)
	}
	return tx.Bucket(bucketSecrets) == nil || tx.Bucket(bucketEvents) == nil, nil
}

// createMeta writes the buckets of a new file and its meta: schema
// version, key check, creation time.
func createMeta(tx *bolt.Tx, sl *Sealer, now func() time.Time) error {
	for _, name := range [][]byte{bucketMeta, bucketSecrets, bucketEvents} {
		if _, err := tx.CreateBucket(name); err != nil {
			return fmt.Errorf("bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	for k, v := range map[string][]byte{
		string(keySchema):   []byte(strconv.Itoa(SchemaVersion)),
		string(keyKeyCheck): sl.seal([]byte(keyCheckPlain), []byte(adKeyCheck)),
		string(keyCreated):  []byte(now().UTC().Format(time.RFC3339)),
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
	d, err := os.Open(dir) // the state directory, checked by Open through safefile
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

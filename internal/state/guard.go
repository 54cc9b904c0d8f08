package state

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// guardedDB is the state file's bbolt database with every transaction
// guarded. bbolt trusts the pages it maps: a damaged page makes it panic
// ("assertion failed", an index out of range), and a file that shrinks
// under it faults (SIGBUS) when a page past its end is read, in bbolt or
// in the caller reading a value. View and Update refuse to start when the
// file is shorter than its pages, turn memory faults into panics
// (debug.SetPanicOnFault) and bbolt's panics into a *FileError. Once one
// happened, every later View and Update returns it at once: a store that
// met damage writes nothing more. Panics of the caller's own code are
// left alone.
type guardedDB struct {
	*bolt.DB
	path   string
	file   *os.File     // the descriptor bbolt maps
	end    atomic.Int64 // where the pages of the last transaction ended
	broken atomic.Pointer[FileError]
}

// View runs fn in a read transaction, guarded.
func (g *guardedDB) View(fn func(*bolt.Tx) error) (err error) {
	if err := g.usable(); err != nil {
		return err
	}
	defer g.record(&err)
	defer catch(g.path, &err, debug.SetPanicOnFault(true))
	return g.DB.View(g.sized(fn))
}

// Update runs fn in a write transaction and commits it, guarded.
func (g *guardedDB) Update(fn func(*bolt.Tx) error) (err error) {
	if err := g.usable(); err != nil {
		return err
	}
	defer g.record(&err)
	defer catch(g.path, &err, debug.SetPanicOnFault(true))
	return g.DB.Update(g.sized(fn))
}

// Close closes the database. After damage it only closes the descriptor
// (which drops bbolt's flock) and leaves the mapping: a panic inside bbolt
// can leave its locks held, and bbolt's Close would wait for them forever.
func (g *guardedDB) Close() error {
	if g.broken.Load() != nil {
		return g.file.Close()
	}
	return g.DB.Close()
}

// usable fails once the store met damage, or if the file is now shorter
// than the pages of the last transaction: beginning a transaction reads
// the meta pages under bbolt's locks, and a fault there would leave them
// held.
func (g *guardedDB) usable() error {
	if fe := g.broken.Load(); fe != nil {
		return fe
	}
	return g.checkSize(g.end.Load())
}

func (g *guardedDB) checkSize(end int64) error {
	fi, err := g.file.Stat()
	if err != nil {
		return fmt.Errorf("stat state file %s: %w", g.path, err)
	}
	if fi.Size() < end {
		fe := damaged(g.path, "it shrank to %s while rotatord had it open, but its pages end at byte %d", byteCount(fi.Size()), end)
		g.broken.CompareAndSwap(nil, fe)
		return g.broken.Load()
	}
	return nil
}

// sized runs fn only if the file still holds every page tx can reach. It
// returns an error rather than let bbolt fault: bbolt's panic path rolls a
// write transaction back by walking the file in a goroutine of its own,
// where a fault would end the process.
func (g *guardedDB) sized(fn func(*bolt.Tx) error) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		if err := g.checkSize(tx.Size()); err != nil {
			return err
		}
		g.end.Store(tx.Size())
		return fn(tx)
	}
}

// record keeps the first *FileError as the store's state.
func (g *guardedDB) record(err *error) {
	var fe *FileError
	if errors.As(*err, &fe) {
		g.broken.CompareAndSwap(nil, fe)
		*err = g.broken.Load()
	}
}

// catch turns a panic of bbolt's, or a memory fault, into a *FileError in
// *err, and restores the goroutine's panic-on-fault setting to old. It
// must be deferred directly: defer catch(path, &err,
// debug.SetPanicOnFault(true)). Any other panic goes on.
func catch(path string, err *error, old bool) {
	r := recover()
	debug.SetPanicOnFault(old)
	if r == nil {
		return
	}
	if !fromBolt(r) {
		panic(r)
	}
	if _, ok := r.(interface{ Addr() uintptr }); ok {
		*err = damaged(path, "reading it faulted: it was truncated or changed while rotatord had it open")
		return
	}
	msg := fmt.Sprint(r)
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	*err = damaged(path, "reading it failed: %s", msg)
}

// fromBolt reports whether a recovered panic is a memory fault at a real
// address (only the mapped file can fault so under SetPanicOnFault) or was
// raised in bbolt's code. It must be called from the deferred function
// that recovered, while the panicking frames are still on the stack.
func fromBolt(r any) bool {
	if f, ok := r.(interface{ Addr() uintptr }); ok && f.Addr() != 0 {
		return true
	}
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	panicking := false
	for {
		fr, more := frames.Next()
		switch {
		case fr.Function == "runtime.gopanic":
			panicking = true
		case panicking && !strings.HasPrefix(fr.Function, "runtime."):
			return strings.HasPrefix(fr.Function, "go.etcd.io/bbolt")
		}
		if !more {
			return false
		}
	}
}

// openBolt opens a checked state file with bbolt: read-only for the checks
// that need bbolt, read-write once they passed, or a new file (createNew).
// The file bbolt opens must be the one stamp describes, unchanged. bbolt's
// panics and faults while it opens are caught as in guardedDB.
func openBolt(path string, stamp fileStamp, mode openMode) (g *guardedDB, err error) {
	g = &guardedDB{path: path}
	opts := &bolt.Options{
		Timeout:        boltLockTimeout,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		ReadOnly:       mode == readOnly,
		OpenFile: func(name string, _ int, _ os.FileMode) (*os.File, error) {
			f, err := openStateFile(name, mode)
			if err != nil {
				return nil, err
			}
			if mode != createNew {
				if err := sameFile(path, f, stamp); err != nil {
					f.Close()
					return nil, err
				}
			}
			g.file = f
			return f, nil
		},
	}
	defer func() {
		if err != nil && g.DB == nil && g.file != nil {
			g.file.Close() // bbolt panicked before it could close it
		}
	}()
	defer catch(path, &err, debug.SetPanicOnFault(true))
	db, err := bolt.Open(path, 0o600, opts)
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, &LockedError{Path: path}
		}
		var fe *FileError
		if errors.As(err, &fe) {
			return nil, fe
		}
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	g.DB = db
	err = g.View(func(*bolt.Tx) error { return nil }) // sets g.end
	if err != nil {
		_ = g.Close()
		return nil, err
	}
	return g, nil
}

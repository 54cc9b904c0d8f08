package safefile

import (
	"errors"
	"io/fs"
	"sync"
)

// Reserved is a set of files, by identity (device and inode), that a sink
// must never read or replace: rotatord's own configuration, state file and
// lock, protection key, key files and control socket. Comparing identities
// catches what comparing paths cannot: a second spelling of a path, or a
// hard link. The zero value is empty and ready; a nil *Reserved holds
// nothing. It is safe for concurrent use.
type Reserved struct {
	mu  sync.RWMutex
	ids map[ID]string
}

// Add reserves the file at path, described by what ("protection key"),
// following the links a trusted user made (as Load reads the file). A path
// with no file (a control socket not made yet) reserves nothing; any other
// error, such as a path through an untrusted link, is returned.
func (r *Reserved) Add(path, what string) error {
	info, err := Stat(path, Options{FollowLinks: true})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	r.AddID(info.ID, what)
	return nil
}

// AddID reserves the file with identity id.
func (r *Reserved) AddID(id ID, what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids == nil {
		r.ids = map[ID]string{}
	}
	if _, ok := r.ids[id]; !ok {
		r.ids[id] = what
	}
}

// Lookup says whether id is reserved, and as what.
func (r *Reserved) Lookup(id ID) (what string, ok bool) {
	if r == nil {
		return "", false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	what, ok = r.ids[id]
	return what, ok
}

// Len returns how many files are reserved.
func (r *Reserved) Len() int {
	if r == nil {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.ids)
}

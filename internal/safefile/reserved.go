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
//
// An identity is only as good as the file still holding it: when a
// reserved file is replaced (an editor's rename, a ConfigMap update), its
// inode is freed and may be given to any new file, a sink's among them.
// So Lookup confirms a match by looking at the reserved path again, and
// forgets an identity the path no longer has; the daemon builds the set
// anew at every reload.
type Reserved struct {
	mu  sync.RWMutex
	ids map[ID]reservation
}

// reservation is what a reserved identity was taken from.
type reservation struct {
	what, path string
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
	r.AddID(info.ID, path, what)
	return nil
}

// AddID reserves the file with identity id, found at path a moment ago
// (by a Checker, say), as Add would: it saves Add's walk of the path.
func (r *Reserved) AddID(id ID, path, what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids == nil {
		r.ids = map[ID]reservation{}
	}
	if _, ok := r.ids[id]; !ok {
		r.ids[id] = reservation{what: what, path: path}
	}
}

// Lookup says whether id is reserved, and as what: whether a reserved
// path still leads to the file with that identity.
func (r *Reserved) Lookup(id ID) (what string, ok bool) {
	if r == nil {
		return "", false
	}
	r.mu.RLock()
	res, ok := r.ids[id]
	r.mu.RUnlock()
	if !ok {
		return "", false
	}
	if info, err := Stat(res.path, Options{FollowLinks: true}); err == nil && info.ID == id {
		return res.what, true
	}
	r.mu.Lock()
	if r.ids[id] == res {
		delete(r.ids, id) // the file was replaced: its inode is free for others
	}
	r.mu.Unlock()
	return "", false
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

package awsfake

import (
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Errors of the direct (non-wire) helpers.
var (
	// ErrNotFound means the user or key does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists means a user or role of that name exists.
	ErrExists = errors.New("already exists")
	// ErrKeyLimit means the user already has two access keys.
	ErrKeyLimit = errors.New("access key quota reached")
)

// Key describes an access key as the direct helpers report it.
type Key struct {
	ID         string
	UserName   string
	Status     string // "Active" or "Inactive"
	CreateDate time.Time
}

// AddUser creates a user with path "/". An admin user may manage every
// user's keys; any other user only its own. It fails with ErrExists if the
// user exists.
func (s *Server) AddUser(name string, admin bool) error {
	s.lock()
	defer s.mu.Unlock()
	if _, err := s.addUserLocked(name, "/", admin, s.nowLocked()); err != nil {
		if err.Code == "EntityAlreadyExists" {
			return fmt.Errorf("awsfake: add user %s: %w", name, ErrExists)
		}
		return fmt.Errorf("awsfake: add user %q: %s", name, err.Message)
	}
	return nil
}

// AddKey creates an active access key for the user and returns it. Unlike
// keys made through CreateAccessKey, it is valid at once whatever the key
// delay. It fails with ErrNotFound or ErrKeyLimit.
func (s *Server) AddKey(userName string) (aws.Credentials, error) {
	s.lock()
	defer s.mu.Unlock()
	u := s.users[userName]
	if u == nil {
		return aws.Credentials{}, fmt.Errorf("awsfake: add key for %s: user %w", userName, ErrNotFound)
	}
	k, err := s.addKeyLocked(u, false, s.nowLocked())
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("awsfake: add key for %s: %w", userName, ErrKeyLimit)
	}
	return aws.Credentials{AccessKeyID: k.id, SecretAccessKey: k.secret, Source: "awsfake"}, nil
}

// SeedUser creates a user and one access key for it and returns the key.
// It is AddUser and AddKey for tests and the demo, and panics if the user
// exists.
func (s *Server) SeedUser(name string, admin bool) aws.Credentials {
	if err := s.AddUser(name, admin); err != nil {
		panic(err)
	}
	c, err := s.AddKey(name)
	if err != nil {
		panic(err)
	}
	return c
}

// UserARN returns the ARN of a user of the server's account, whether or
// not it exists.
func (s *Server) UserARN(name string) string {
	s.lock()
	defer s.mu.Unlock()
	return userARN(s.account, &user{name: name, path: "/"})
}

// Keys returns the user's access keys, oldest first (nil for an unknown
// user).
func (s *Server) Keys(userName string) []Key {
	s.lock()
	defer s.mu.Unlock()
	var out []Key
	for _, k := range s.userKeysLocked(userName) {
		out = append(out, Key{ID: k.id, UserName: k.user, Status: k.status, CreateDate: k.created})
	}
	return out
}

// KeyOwner returns the name of the user that holds the access key.
func (s *Server) KeyOwner(id string) (string, bool) {
	s.lock()
	defer s.mu.Unlock()
	if k := s.keys[id]; k != nil {
		return k.user, true
	}
	return "", false
}

// SetKeyCreateDate changes an access key's creation date (truncated to the
// second), e.g. to make it old enough to rotate. The key delay counts from
// this date.
func (s *Server) SetKeyCreateDate(id string, t time.Time) error {
	return s.withKey(id, func(k *accessKey) error {
		k.created = t.UTC().Truncate(time.Second)
		return nil
	})
}

// SetKeyStatus sets an access key's status to "Active" or "Inactive".
func (s *Server) SetKeyStatus(id, status string) error {
	return s.withKey(id, func(k *accessKey) error {
		if status != statusActive && status != statusInactive {
			return fmt.Errorf("awsfake: set key %s status: invalid status %q", id, status)
		}
		k.status = status
		return nil
	})
}

// DeleteKey deletes an access key.
func (s *Server) DeleteKey(id string) error {
	return s.withKey(id, func(k *accessKey) error {
		s.dropKeyLocked(k)
		return nil
	})
}

// withKey runs f on the key with s.mu held, or fails with ErrNotFound.
func (s *Server) withKey(id string, f func(*accessKey) error) error {
	s.lock()
	defer s.mu.Unlock()
	k := s.keys[id]
	if k == nil {
		return fmt.Errorf("awsfake: access key %s: %w", id, ErrNotFound)
	}
	return f(k)
}

// SetKeyDelay makes access keys created through CreateAccessKey valid only
// d after their creation date; until then requests signed with them get
// InvalidClientTokenId, as from IAM shortly after CreateAccessKey. A
// negative d makes them never valid; 0 (the default) valid at once. It
// applies to existing keys too. Keys from AddKey and SeedUser are exempt.
func (s *Server) SetKeyDelay(d time.Duration) {
	s.lock()
	defer s.mu.Unlock()
	s.keyDelay = d
}

package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/rotatord/rotatord/internal/safefile"
)

// KeyFile is a secret access key held in a file that Load checked but did
// not read: a secret's secret_access_key_file. Load makes sure the file is
// there, reached safely, a regular file that only root or rotatord's user
// can change, and readable; the key itself is needed only when the state
// store first takes it in (the secret's first rotation or discovery), so
// it is read then, by Read. The zero value and nil hold no file.
type KeyFile struct {
	path string
	id   safefile.ID
}

// CheckKeyFile checks the key file at path as Load checks a secret's
// secret_access_key_file, without reading it, and returns it as a
// KeyFile. Its error says what is wrong and never holds the file's
// contents.
func CheckKeyFile(path string) (*KeyFile, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	ck := safefile.NewChecker(keyFileOptions)
	defer ck.Close()
	info, err := ck.Check(abs)
	if err == nil {
		err = sizeProblem(info)
	}
	if err != nil {
		return nil, errors.New(fileProblem(abs, "key", "write the secret access key into it, or fix the path", maxSecretFile, err))
	}
	return &KeyFile{path: abs, id: info.ID}, nil
}

// keyFileOptions are how key files are checked and read: strictly,
// through trusted links only.
var keyFileOptions = safefile.Options{Limit: maxSecretFile, Strict: true, FollowLinks: true}

// sizeProblem is errEmpty or ErrTooLarge for a key file of info's size.
func sizeProblem(info safefile.Info) error {
	switch {
	case info.Size == 0:
		return errEmpty
	case info.Size > maxSecretFile:
		return fmt.Errorf("%w", safefile.ErrTooLarge)
	}
	return nil
}

// Path returns the file's path, absolute.
func (f *KeyFile) Path() string {
	if f == nil {
		return ""
	}
	return f.path
}

// ID returns the file's identity (device and inode) when Load checked it.
func (f *KeyFile) ID() safefile.ID {
	if f == nil {
		return safefile.ID{}
	}
	return f.id
}

// Read reads the key, through safefile with every check Load made, and
// refuses a file that is not the one Load checked (replaced since: reload
// to check the new one), an empty one, or one that holds more than one
// line. Its errors name the file, never what it holds.
func (f *KeyFile) Read() (SecretValue, error) {
	if f == nil || f.path == "" {
		return "", nil
	}
	data, info, err := safefile.ReadFile(f.path, keyFileOptions)
	if err != nil {
		return "", fmt.Errorf("read the secret access key file: %s", pathErr(err, f.path))
	}
	if info.ID != f.id {
		return "", fmt.Errorf("the secret access key file %s was replaced since rotatord checked it; reload rotatord (SIGHUP) to check the new file", shownPath(f.path))
	}
	v := strings.TrimRight(string(data), " \t\r\n")
	switch {
	case strings.TrimSpace(v) == "":
		return "", fmt.Errorf("the secret access key file %s is empty; write the key into it", shownPath(f.path))
	case strings.ContainsAny(v, "\r\n"):
		return "", fmt.Errorf("the secret access key file %s holds more than one line; it must hold only the secret access key", shownPath(f.path))
	}
	return SecretValue(v), nil
}

// BootstrapKey returns the secret access key the configuration gives for
// the secret, which the state store takes in as its first version: the
// inline value or the variable's (resolved by Load), or the KeyFile's,
// read now. It is "" when the configuration gives none.
func (s *RotatedSecret) BootstrapKey() (SecretValue, error) {
	if s.SecretAccessKey != "" || s.KeyFile == nil {
		return s.SecretAccessKey, nil
	}
	return s.KeyFile.Read()
}

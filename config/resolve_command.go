package config

import (
	"errors"
	"path/filepath"

	"github.com/rotatord/rotatord/internal/safefile"
)

// program refuses a command sink's program that someone other than root
// (or rotatord's user) could change: the file, a directory on the way to
// it, or a symbolic link on the way. rotatord runs it as its own user with
// the new key in its environment, so whoever can change it gets the key
// and, as a rule, root. A program that does not exist here is left alone:
// the file may be checked on another machine than the one that runs it.
func (r *resolver) program(path string, argv []string) {
	if len(argv) == 0 || !filepath.IsAbs(argv[0]) || r.failed(path) {
		return
	}
	_, err := safefile.CheckProgram(argv[0])
	var unsafe *safefile.Error
	if errors.As(err, &unsafe) {
		r.errorf(path, "%s", unsafe.Msg) // it names the program or the part of its path at fault
	}
}

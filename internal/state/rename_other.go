//go:build !linux

package state

import "errors"

// renameNoReplace is Linux's renameat2(RENAME_NOREPLACE), missing here.
func renameNoReplace(from, to string) error {
	return errors.New("a rename that does not replace is not available on this system")
}

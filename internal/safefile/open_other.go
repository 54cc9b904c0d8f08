//go:build unix && !linux

package safefile

import "golang.org/x/sys/unix"

// oPath: without O_PATH, directories are opened for reading.
const oPath = unix.O_RDONLY

// openMode opens name, one path component, in the directory dfd, never
// following a symbolic link (mode is for O_CREAT).
func openMode(dfd int, name string, flags int, mode uint32) (int, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = unix.Openat(dfd, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
		return err
	})
	return fd, err
}

// readOnlyMount is false: the read-only mounts that matter are those of
// Kubernetes volumes, on Linux.
func readOnlyMount(int) bool { return false }

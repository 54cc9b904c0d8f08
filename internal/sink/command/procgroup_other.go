//go:build !unix

package command

import "os/exec"

// killGroupOnCancel keeps exec.CommandContext's default: the end of the
// context kills the program itself. Without process groups its children
// may outlive it.
func killGroupOnCancel(cmd *exec.Cmd) {}

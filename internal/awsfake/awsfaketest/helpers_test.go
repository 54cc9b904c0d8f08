package awsfaketest

import "github.com/rotatord/rotatord/internal/awsfake"

func after(f awsfake.Fault) awsfake.Fault {
	f.After = true
	return f
}

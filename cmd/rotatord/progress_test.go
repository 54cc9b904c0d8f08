package main

import (
	"bytes"
	"testing"
)

// TestProgressOnlyOnTerminal: on a buffer (a pipe, a file) progress
// writes nothing.
func TestProgressOnlyOnTerminal(t *testing.T) {
	var b bytes.Buffer
	for i := range 4 {
		progress(&b, i, 3)
	}
	if b.Len() != 0 {
		t.Fatalf("progress wrote %q to a non-terminal", b.String())
	}
}

package main

import (
	"fmt"
	"io"
	"strings"
)

// progress draws a one-line progress bar of done out of total on w when w
// is a terminal, and nothing otherwise (a pipe, a file, a test's buffer).
// The line ends once done reaches total.
//
// A minimal bar, kept behind this one function: the lead switches it to
// github.com/schollz/progressbar/v3 at the merge, once go.mod has it
// (added on the discover branch).
func progress(w io.Writer, done, total int) {
	if total <= 0 || !isTerminal(w) {
		return
	}
	const width = 30
	filled := width * done / total
	fmt.Fprintf(w, "\rrotating [%s%s] %d/%d", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, total)
	if done >= total {
		fmt.Fprintln(w)
	}
}

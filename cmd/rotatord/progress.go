package main

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressBar draws a command's progress on a terminal
// (schollz/progressbar: a count, a rate and the time left, redrawn at
// most ten times a second, cleared when done) and nothing elsewhere: a
// pipe, a file, a test's buffer. discover and a bulk rotate use it on
// stderr. It is not safe for concurrent use; callers serialise set.
type progressBar struct {
	w    io.Writer
	on   bool
	what string
	bar  *progressbar.ProgressBar
}

// newProgress returns a bar described by what ("rotating") that draws on
// w only when terminal is true.
func newProgress(w io.Writer, terminal bool, what string) *progressBar {
	return &progressBar{w: w, on: terminal, what: what}
}

// set shows done of total.
func (p *progressBar) set(done, total int) {
	if !p.on || total <= 0 {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(p.what), progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(30))
	}
	p.bar.ChangeMax(total)
	_ = p.bar.Set(done) // a terminal write error only loses the bar
}

// close clears the bar, if one was drawn.
func (p *progressBar) close() {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
}

// Package command is the sink that runs a program for each new key: a
// script that reloads a service, pushes the key somewhere rotatord has no
// sink for, or restarts a container.
//
// The program is run directly (argv, no shell) with an empty stdin and "/"
// as its working directory, so that it depends on neither the daemon's
// directory nor keeps a mount busy. Its environment is minimal: PATH,
// HOME, USER, LOGNAME, LANG, LC_ALL, TZ and TMPDIR from the daemon, when
// set, then the new key in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY and
// the rotated secret's name and version number in ROTATORD_SECRET and
// ROTATORD_VERSION. Nothing else of the daemon's environment reaches it:
// not its own AWS_* credentials, nor the variables that other secrets are
// read from. The key is never in argv, where any local user could read it
// (ps, /proc). Exit status 0 means the program has the key; anything else,
// or running past the timeout, is an error that quotes the end of its
// output: at most 10 lines, every line that holds 8 or more characters of
// the secret access key, plain or encoded, withheld. The output itself is
// never logged or stored.
//
// The program may run more than once for one version: after a failed
// attempt, after a restart of the daemon in the middle of a delivery, or
// when a rollback redelivers an older key. It must be idempotent.
//
// The program is trusted configuration: it runs as the daemon's user and
// can read whatever the daemon can. The minimal environment keeps the
// daemon's own credentials from being used by accident, not from a program
// that goes looking for them.
//
// Config is its configuration (type: command): fields, defaults, rules,
// and the sink it builds.
package command

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rotatord/rotatord/internal/sink"
)

var _ sink.Sink = (*Command)(nil)

// outputGrace is how long Put keeps reading the program's output after it
// exited: a background process it started may hold the output open for
// good, and Put must not wait for that.
const outputGrace = 2 * time.Second

// Command is a sink that runs one program. It is safe for concurrent use;
// its Puts run one at a time, in the order they acquire it, so an older key
// is never delivered after a newer one by the same Command.
type Command struct {
	argv    []string
	timeout time.Duration
	log     *slog.Logger
	turn    chan struct{} // a mutex that ctx can abandon
}

// New returns the sink that c describes. c.Command is argv: an absolute
// path to the program, then its arguments. c.Timeout bounds each run; zero
// means DefaultTimeout (30s). The program is not looked up
// now: one installed after the daemon started is found by Put. log may be
// nil.
func New(c Config, log *slog.Logger) (*Command, error) {
	if len(c.Command) == 0 {
		return nil, errors.New("command sink: command is empty")
	}
	prog := c.Command[0]
	if !filepath.IsAbs(prog) {
		return nil, fmt.Errorf("command sink %q: want an absolute path to the program", prog)
	}
	for i, a := range c.Command {
		if strings.ContainsRune(a, 0) {
			return nil, fmt.Errorf("command sink %s: command[%d] holds a NUL byte", prog, i)
		}
	}
	timeout := c.Timeout.D()
	switch {
	case timeout == 0:
		timeout = DefaultTimeout
	case timeout < 0:
		return nil, fmt.Errorf("command sink %s: timeout %s is negative", prog, timeout)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Command{
		argv:    slices.Clone(c.Command),
		timeout: timeout,
		log:     log.With("sink", c.SinkID()),
		turn:    make(chan struct{}, 1),
	}, nil
}

// Put runs the program with c in its environment and returns nil once it
// exited with status 0. On timeout its whole process group is killed. Put
// does not start if ctx is done, and waits for an earlier Put of the same
// Command to finish first. Errors name the program, never its arguments,
// and quote an excerpt of the end of its output (see tail.excerpt) in
// which no line holds a piece of the secret access key.
func (s *Command) Put(ctx context.Context, c sink.Credential) error {
	if err := checkCredential(c); err != nil {
		return s.errorf("%w", err)
	}
	select {
	case s.turn <- struct{}{}:
		defer func() { <-s.turn }()
	case <-ctx.Done():
		return s.errorf("%w", ctx.Err())
	}
	if err := ctx.Err(); err != nil {
		return s.errorf("%w", err)
	}

	runCtx, cancel := context.WithTimeoutCause(ctx, s.timeout, timeoutError{s.timeout})
	defer cancel()
	out := new(tail)
	cmd := exec.CommandContext(runCtx, s.argv[0], s.argv[1:]...)
	cmd.Env = environ(c)
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = out, out // one pipe: the two streams interleave as written
	cmd.WaitDelay = outputGrace
	killGroupOnCancel(cmd)

	start := time.Now()
	err := cmd.Run()
	took := time.Since(start).Round(time.Millisecond)
	output := func() string { return out.excerpt(newScrubber(c.SecretAccessKey.Reveal())) }
	switch {
	case err != nil && runCtx.Err() != nil:
		// Ended by our timeout or the caller's context, whatever the
		// program's exit status says (it was killed).
		cause := context.Cause(runCtx)
		var te timeoutError
		if !errors.As(cause, &te) {
			cause = fmt.Errorf("stopped: %w", cause)
		} else {
			cause = fmt.Errorf("%w, killed its process group", cause)
		}
		return s.errorf("%w%s", cause, quoted(output()))
	case errors.Is(err, exec.ErrWaitDelay):
		s.log.Warn("command exited 0 but left processes holding its output open; no longer reading it",
			"program", s.argv[0], "credential", c, "took", took)
	case err != nil:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return s.errorf("%w%s", err, quoted(output()))
		}
		return s.errorf("run: %w", err)
	}
	s.log.Debug("command delivered the key", "program", s.argv[0], "credential", c, "took", took)
	return nil
}

// checkCredential makes sure c can be put in an environment. Its errors
// never contain the values.
func checkCredential(c sink.Credential) error {
	switch {
	case c.AccessKeyID == "":
		return errors.New("access key id is empty")
	case c.SecretAccessKey.IsZero():
		return errors.New("secret access key is empty")
	case strings.ContainsRune(c.AccessKeyID, 0), strings.ContainsRune(c.SecretAccessKey.Reveal(), 0),
		strings.ContainsRune(c.Secret, 0):
		return errors.New("credential holds a NUL byte")
	}
	return nil
}

// quoted formats a program's output for an error: empty, or "; output: "
// and the output as a Go string (one line, control characters escaped).
func quoted(out string) string {
	if out == "" {
		return "; no output"
	}
	return fmt.Sprintf("; output: %q", out)
}

// errorf returns an error prefixed with "command sink PROGRAM: ". Only the
// program is named: an argument might hold a token.
func (s *Command) errorf(format string, args ...any) error {
	return fmt.Errorf("command sink %s: "+format, append([]any{s.argv[0]}, args...)...)
}

// timeoutError is the cause of the context of a run that took too long.
// It matches context.DeadlineExceeded for errors.Is.
type timeoutError struct{ d time.Duration }

func (e timeoutError) Error() string { return "timed out after " + e.d.String() }

func (timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

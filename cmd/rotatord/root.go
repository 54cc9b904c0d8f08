package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/iamrotate"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // the command failed
	exitUsage   = 2 // bad flags or an invalid configuration
	exitPending = 3 // a rotation is left open: its delivery is pending
)

// errUsage marks errors that exit with exitUsage.
type errUsage struct{ error }

func (e errUsage) Unwrap() error { return e.error }

// cli holds what every command shares: flags, streams, the logger.
type cli struct {
	ctx        context.Context
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	configPath string
	logFormat  string
	logLevel   string
	log        *slog.Logger
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	root := c.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	switch {
	case errors.Is(err, errReported):
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "rotatord: interrupted (%v); an open rotation continues with `rotatord rotate NAME` or `rotatord recover`\n", err)
	default:
		fmt.Fprintf(stderr, "rotatord: %v\n", err)
	}
	var ue errUsage
	var ce config.Errors
	switch {
	case errors.As(err, &ue), errors.As(err, &ce):
		return exitUsage
	case errors.Is(err, iamrotate.ErrDeliveryPending):
		return exitPending
	default:
		return exitFailed
	}
}

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "rotatord",
		Short: "Rotate AWS IAM access keys and deliver the new keys",
		Long: `rotatord rotates the AWS IAM access keys declared in one YAML file, verifies
each new key, and writes it to the places applications read it (sinks).

Exit status: 0 success, 1 failure, 2 bad usage or invalid configuration,
3 a rotation is left open because a sink still lacks the new key (both
keys stay valid; run the same command again to retry the delivery),
130 or 143 ended by a second SIGINT or SIGTERM.

Signals: the first SIGINT (Ctrl-C) or SIGTERM stops at the next safe step;
a second one exits at once with 130 (SIGINT) or 143 (SIGTERM). Every step
of a rotation is stored before the next, so the next run resumes it.

Core dumps: every rotatord process makes itself non-dumpable and sets its
core file size limit to 0 before it reads a key, so that no core file, and
no other process of the same user (ptrace, /proc/PID/mem), can read the
protection key or the access keys in its memory.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       build().String(),
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			l, err := newLogger(c.stderr, c.logFormat, c.logLevel)
			if err != nil {
				return errUsage{err}
			}
			c.log = l
			return nil
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return errUsage{err} })
	pf := root.PersistentFlags()
	pf.StringVarP(&c.configPath, "config", "c", "/etc/rotatord/rotatord.yaml", "configuration `file`")
	pf.StringVar(&c.logFormat, "log-format", "auto", "log format: auto (text on a terminal, JSON otherwise), text or json")
	pf.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.AddCommand(
		c.validateCommand(),
		c.runCommand(),
		c.rotateCommand(),
		c.rollbackCommand(),
		c.statusCommand(),
		c.secretCommand(),
		c.targetCommand(),
		c.recoverCommand(),
		c.listCommand(),
		c.planCommand(),
		c.getCommand(),
		c.historyCommand(),
		c.keygenCommand(),
		c.discoverCommand(),
		c.adoptCommand(),
		c.stateCommand(),
		c.demoCommand(),
		c.versionCommand(),
		c.healthCommand(),
		c.commandsCommand(),
	)
	return root
}

// loadConfig loads and validates the configuration, logging its warnings.
func (c *cli) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(c.configPath)
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		c.log.Warn("configuration", "warning", w.Error())
	}
	return cfg, nil
}

// oneName accepts exactly one argument, the secret's name.
func oneName(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return errUsage{fmt.Errorf("%s needs one secret name, got %d arguments (see %s --help)", cmd.Name(), len(args), cmd.CommandPath())}
	}
	return nil
}

// noArgs accepts no argument.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) != 0 {
		return errUsage{fmt.Errorf("%s takes no arguments, got %q (see %s --help)", cmd.Name(), args, cmd.CommandPath())}
	}
	return nil
}

package command

import (
	"strings"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

// Type is the sink type of a command sink: type: command.
const Type = "command"

// DefaultTimeout bounds one run of the program unless the configuration
// says otherwise.
const DefaultTimeout = 30 * time.Second

var (
	_ config.SinkSpec         = (*Config)(nil)
	_ config.SinkResolver     = (*Config)(nil)
	_ config.SinkDestinations = (*Config)(nil)
	_ sink.Spec               = (*Config)(nil)
)

// Config is a command sink's configuration. Command is argv (the program,
// absolute, then its arguments); the new key reaches it only through its
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never argv.
// Timeout bounds one run.
type Config struct {
	Command []string        `yaml:"command"`
	Timeout config.Duration `yaml:"timeout"`
}

// NewConfig returns an empty Config, for config.RegisterSink.
func NewConfig() config.SinkSpec { return new(Config) }

// SinkDefaults implements config.SinkSpec: timeout 30s.
func (c *Config) SinkDefaults(d *config.SinkChecker) {
	if !d.Given("timeout") {
		c.Timeout = config.Duration(DefaultTimeout)
	}
}

// CheckSink implements config.SinkSpec: an argv whose program is an
// absolute path (the daemon runs it without a shell and without PATH).
func (c *Config) CheckSink(k *config.SinkChecker) {
	if len(c.Command) == 0 {
		if !k.Failed("command") {
			k.Errorf("command", "required; give the program and its arguments as a list, such as [/usr/bin/systemctl, reload, app]")
		}
	} else {
		for i, a := range c.Command {
			if ip := config.IndexPath("command", i); a == "" && !k.Failed(ip) {
				k.Errorf(ip, "is empty; remove it, or write the argument")
			}
		}
		k.Program("command[0]", c.Command[0])
	}
	k.DurationRange("timeout", c.Timeout, time.Second, time.Hour, "1s..1h")
}

// ResolveSink implements config.SinkResolver: the program must be one
// that nobody but root can change.
func (c *Config) ResolveSink(r *config.SinkRefs) { r.Program("command[0]", c.Command) }

// Destinations implements config.SinkDestinations: a command may serve
// several secrets, but not one secret twice.
func (c *Config) Destinations() []config.Destination {
	if len(c.Command) == 0 {
		return nil
	}
	return []config.Destination{{Key: strings.Join(c.Command, "\x00"), Field: "command", What: "runs this command"}}
}

// SinkID implements sink.Spec: "command:" + the first 16 hex digits of the
// SHA-256 of argv. Arguments should hold no secret, but one might (a token
// for curl), and the whole argv would make a long ID: only its hash is
// shown.
func (c *Config) SinkID() string { return "command:" + sink.HashStrings(c.Command) }

// Build implements sink.Spec: New.
func (c *Config) Build(d sink.Deps) (sink.Sink, error) { return New(*c, d.Log) }

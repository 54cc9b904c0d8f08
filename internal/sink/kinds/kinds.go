// Package kinds registers rotatord's sink types with config, in the order
// messages list them. Import it (for its side effect) wherever a
// configuration with sinks is parsed: the daemon and the commands do. A
// new sink type is a package under internal/sink and one line here.
package kinds

import (
	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink/command"
	"github.com/rotatord/rotatord/internal/sink/file"
	"github.com/rotatord/rotatord/internal/sink/secretsmanager"
	"github.com/rotatord/rotatord/internal/sink/ssm"
	"github.com/rotatord/rotatord/internal/sink/webhook"
)

func init() {
	config.RegisterSink(file.Type, file.NewConfig)
	config.RegisterSink(secretsmanager.Type, secretsmanager.NewConfig)
	config.RegisterSink(ssm.Type, ssm.NewConfig)
	config.RegisterSink(webhook.Type, webhook.NewConfig)
	config.RegisterSink(command.Type, command.NewConfig)
}

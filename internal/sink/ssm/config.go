package ssm

import (
	"strconv"
	"strings"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

// Type is the sink type of a Parameter Store sink: type: ssm.
const Type = "ssm"

// The tiers of a parameter.
const (
	TierStandard           = "Standard"
	TierAdvanced           = "Advanced"
	TierIntelligentTiering = "Intelligent-Tiering"
)

// maxParameterName is the longest SSM parameter name.
const maxParameterName = 2048

var (
	_ config.SinkSpec         = (*Config)(nil)
	_ config.SinkDestinations = (*Config)(nil)
	_ sink.Spec               = (*Config)(nil)
)

// Config is a Parameter Store sink's configuration: Name (one SecureString
// parameter holding JSON) or IDParameter and SecretParameter (two
// parameters); Target (whose credentials and region write it; default: the
// secret's target); KeyID (the SecureString's KMS key; empty: the
// account's default alias/aws/ssm); Tier (Standard, Advanced,
// Intelligent-Tiering).
type Config struct {
	Name            string `yaml:"name"`
	IDParameter     string `yaml:"id_parameter"`
	SecretParameter string `yaml:"secret_parameter"`
	Target          string `yaml:"target"`
	KeyID           string `yaml:"key_id"`
	Tier            string `yaml:"tier"`
}

// NewConfig returns an empty Config, for config.RegisterSink.
func NewConfig() config.SinkSpec { return new(Config) }

// SinkDefaults implements config.SinkSpec: the secret's target, tier
// Standard, where the file gives none (an empty one stays).
func (c *Config) SinkDefaults(d *config.SinkChecker) {
	if !d.Given("target") {
		c.Target = d.SecretTarget()
	}
	if !d.Given("tier") {
		c.Tier = TierStandard
	}
}

// CheckSink implements config.SinkSpec.
func (c *Config) CheckSink(k *config.SinkChecker) {
	idSet := c.IDParameter != "" || k.Failed("id_parameter")
	secretSet := c.SecretParameter != "" || k.Failed("secret_parameter")
	nameSet := c.Name != "" || k.Failed("name")
	switch {
	case nameSet && (idSet || secretSet):
		for _, f := range []struct {
			name string
			on   bool
		}{{"id_parameter", idSet}, {"secret_parameter", secretSet}} {
			if f.on {
				k.Errorf(f.name, "set either name (one parameter that holds both values as JSON) or id_parameter and secret_parameter (two parameters), not both")
			}
		}
	case !nameSet && !idSet && !secretSet:
		k.Errorf("name", "required; name the parameter, such as /team-a/deployer, or set id_parameter and secret_parameter to write two")
	case !nameSet && !idSet:
		k.Errorf("id_parameter", "required with secret_parameter; name the parameter that receives the access key id")
	case !nameSet && !secretSet:
		k.Errorf("secret_parameter", "required with id_parameter; name the parameter that receives the secret access key")
	case !nameSet && c.IDParameter == c.SecretParameter:
		k.Errorf("secret_parameter", "is the same parameter as id_parameter; name two parameters")
	}
	for _, f := range c.parameters() {
		if p := parameterProblem(f.v); p != "" {
			k.Errorf(f.name, "%s %s", config.Quote(f.v), p)
		}
	}
	k.Target("target", c.Target)
	k.Enum("tier", c.Tier, TierStandard, TierAdvanced, TierIntelligentTiering)
}

// parameter is a field that names a parameter.
type parameter struct{ name, v string }

// parameters lists the fields that name a parameter and are set.
func (c *Config) parameters() []parameter {
	var ps []parameter
	for _, p := range []parameter{{"name", c.Name}, {"id_parameter", c.IDParameter}, {"secret_parameter", c.SecretParameter}} {
		if p.v != "" {
			ps = append(ps, p)
		}
	}
	return ps
}

// parameterProblem says what is wrong with an SSM parameter name, or "".
func parameterProblem(name string) string {
	switch {
	case len(name) > maxParameterName || !parameterChars(name):
		return "is not a parameter name: 1 to 2048 letters, digits and _.-/"
	case strings.Contains(name, "/") && !strings.HasPrefix(name, "/"):
		return "has a / but does not start with one; a parameter in a hierarchy starts with /, such as /team-a/deployer"
	case strings.HasSuffix(name, "/") || strings.Contains(name, "//"):
		return "has an empty level; write it as /team-a/deployer"
	case strings.Count(name, "/") > 15:
		return "is " + strconv.Itoa(strings.Count(name, "/")) + " levels deep; SSM allows at most 15"
	case !strings.Contains(name, "/") && (hasFold(name, "aws") || hasFold(name, "ssm")):
		return "starts with aws or ssm, which AWS reserves; choose another name"
	}
	return ""
}

// parameterChars reports whether name is letters, digits and _.-/, at
// least one.
func parameterChars(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch b := name[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '_', b == '.', b == '-', b == '/':
		default:
			return false
		}
	}
	return true
}

// hasFold reports whether s starts with prefix, ignoring case.
func hasFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// Destinations implements config.SinkDestinations: a parameter holds one
// value, so no two sinks may write it.
func (c *Config) Destinations() []config.Destination {
	var ds []config.Destination
	for _, p := range c.parameters() {
		ds = append(ds, config.Destination{Key: c.Target + "\x00" + p.v, Field: p.name,
			What: "writes parameter " + config.Quote(p.v) + " of target " + c.Target, Global: true})
	}
	return ds
}

// SinkID implements sink.Spec: "ssm:" + target + "/" + name, such as
// "ssm:prod//team-a/deployer" (the name's own leading slash kept), or with
// two parameters "ssm:" + target + "/" + id_parameter + "+" +
// secret_parameter. An empty target, in a Config built otherwise than by
// Load, stays empty.
func (c *Config) SinkID() string {
	where := "ssm:" + sink.TargetEscaper.Replace(c.Target) + "/"
	if c.Name != "" {
		return where + sink.ParamEscaper.Replace(c.Name)
	}
	return where + sink.ParamEscaper.Replace(c.IDParameter) + "+" + sink.ParamEscaper.Replace(c.SecretParameter)
}

// Build implements sink.Spec: New, with the target's AWS configuration.
func (c *Config) Build(d sink.Deps) (sink.Sink, error) {
	cfg, err := d.AWS(c.Target)
	if err != nil {
		return nil, err
	}
	return New(*c, cfg)
}

// The JSON keys of a single parameter's value.
const (
	keyIDField  = "AccessKeyId"
	secretField = "SecretAccessKey"
)

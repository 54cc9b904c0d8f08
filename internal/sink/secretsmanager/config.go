package secretsmanager

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

// Type is the sink type of a Secrets Manager sink: type: secretsmanager.
const Type = "secretsmanager"

// The JSON keys of the secret's value, unless the configuration names
// others.
const (
	DefaultKeyIDField  = "AccessKeyId"
	DefaultSecretField = "SecretAccessKey"
)

// AWS's limits on the tags of a secret.
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

var (
	nameRe = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	arnRe  = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`)
	tagRe  = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

var (
	_ config.SinkSpec         = (*Config)(nil)
	_ config.SinkDestinations = (*Config)(nil)
	_ sink.Spec               = (*Config)(nil)
)

// Config is a Secrets Manager sink's configuration: SecretID (name or
// ARN), Target (whose credentials and region write it; default: the
// secret's target), Create (create the secret if missing, with KMSKeyID
// and Tags), and the JSON key names.
type Config struct {
	SecretID    string            `yaml:"secret_id"`
	Target      string            `yaml:"target"`
	Create      bool              `yaml:"create"`
	KMSKeyID    string            `yaml:"kms_key_id"`
	Tags        map[string]string `yaml:"tags"`
	KeyIDField  string            `yaml:"key_id_field"`
	SecretField string            `yaml:"secret_field"`
}

// NewConfig returns an empty Config, for config.RegisterSink.
func NewConfig() config.SinkSpec { return new(Config) }

// SinkDefaults implements config.SinkSpec: the secret's target and the
// default JSON keys, where the file gives none (an empty one stays).
func (c *Config) SinkDefaults(d *config.SinkChecker) {
	def := func(field string, p *string, v string) {
		if !d.Given(field) {
			*p = v
		}
	}
	def("target", &c.Target, d.SecretTarget())
	def("key_id_field", &c.KeyIDField, DefaultKeyIDField)
	def("secret_field", &c.SecretField, DefaultSecretField)
}

// CheckSink implements config.SinkSpec.
func (c *Config) CheckSink(k *config.SinkChecker) {
	id := c.SecretID
	switch {
	case id == "":
		k.Errorf("secret_id", "required; name the secret to write, such as team-a/deployer, or give its ARN")
	case strings.HasPrefix(id, "arn:"):
		if !arnRe.MatchString(id) {
			k.Errorf("secret_id", "%s is not a Secrets Manager secret ARN such as arn:aws:secretsmanager:us-east-1:123456789012:secret:team-a/deployer-AbCdEf", config.Quote(id))
		}
	case !nameRe.MatchString(id):
		k.Errorf("secret_id", "%s is not a secret name: 1 to 512 letters, digits and /_+=.@-", config.Quote(id))
	}
	k.Target("target", c.Target)
	if !c.Create {
		for _, f := range []string{"kms_key_id", "tags"} {
			if k.Given(f) {
				k.Errorf(f, "only applies with create: true, when rotatord creates the secret (an existing secret keeps its own); set create: true, or remove %s", f)
			}
		}
	}
	checkTags(k, "tags", c.Tags)
	switch {
	case c.KeyIDField == "":
		k.Errorf("key_id_field", "is empty; name the JSON key of the access key id, such as %s", DefaultKeyIDField)
	case c.SecretField == "":
		k.Errorf("secret_field", "is empty; name the JSON key of the secret access key, such as %s", DefaultSecretField)
	case c.KeyIDField == c.SecretField:
		k.Errorf("secret_field", "is the same as key_id_field (%s); the two values need different JSON keys", config.Quote(c.KeyIDField))
	}
}

// checkTags checks the tags of a secret that rotatord creates, as AWS
// limits them.
func checkTags(k *config.SinkChecker, field string, tags map[string]string) {
	if len(tags) > maxTags {
		k.Errorf(field, "holds %d tags; AWS allows at most %d", len(tags), maxTags)
	}
	keys := make([]string, 0, len(tags))
	for key := range tags {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		p, v := config.KeyPath(field, key), tags[key]
		switch {
		case key == "" || utf8.RuneCountInString(key) > maxTagKeyLen:
			k.Errorf(p, "a tag's name must be 1 to %d characters long", maxTagKeyLen)
		case strings.HasPrefix(strings.ToLower(key), "aws:"):
			k.Errorf(p, "tag names starting with aws: are reserved by AWS; choose another name")
		case !tagRe.MatchString(key):
			k.Errorf(p, "the tag's name may only hold letters, digits, spaces and _.:/=+-@")
		case utf8.RuneCountInString(v) > maxTagValueLen:
			k.Errorf(p, "is %d characters long; a tag's value is at most %d", utf8.RuneCountInString(v), maxTagValueLen)
		case !tagRe.MatchString(v):
			k.Errorf(p, "%s: a tag's value may only hold letters, digits, spaces and _.:/=+-@", config.Quote(v))
		}
	}
}

// Destinations implements config.SinkDestinations: a secret holds one
// value, so no two sinks may write it.
func (c *Config) Destinations() []config.Destination {
	if c.SecretID == "" {
		return nil
	}
	return []config.Destination{{Key: c.Target + "\x00" + c.SecretID, Field: "secret_id",
		What: "writes secret " + config.Quote(c.SecretID) + " of target " + c.Target, Global: true}}
}

// SinkID implements sink.Spec: "secretsmanager:" + target + "/" +
// secret_id, such as "secretsmanager:prod/team-a/deployer". Load sets the
// target to the secret's when the file names none; an empty one, in a
// Config built otherwise, stays empty: "secretsmanager:/team-a/deployer".
func (c *Config) SinkID() string {
	return "secretsmanager:" + sink.TargetEscaper.Replace(c.Target) + "/" + c.SecretID
}

// Build implements sink.Spec: New, with the target's AWS configuration.
func (c *Config) Build(d sink.Deps) (sink.Sink, error) {
	cfg, err := d.AWS(c.Target)
	if err != nil {
		return nil, err
	}
	return New(*c, cfg)
}

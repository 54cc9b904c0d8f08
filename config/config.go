// Package config owns rotatord's file format: decoding YAML with positions,
// defaults, validation and secret references. A sink's fields belong to its
// kind's package, which registers a type for them (RegisterSink); config
// decodes a sink's block into it, and runs its defaults and rules through
// SinkChecker and its references through SinkRefs. The running program
// only ever sees a *Config that Load or Parse returned without error;
// config/edit, which changes the file in place, also uses the node-level
// helpers of format.go (ReadDocument, Keys, the name checks). Large files
// are parsed by config/internal/fastyaml, small ones by yaml.v3 alone.
package config

import "time"

// Values of the enumerated fields.
const (
	UseUserCreds   = "use-user-creds"
	UseTargetCreds = "use-target-creds"

	RotatorAPIKey = "api-key"
	RotatorTarget = "target"

	CredentialsStatic  = "static"
	CredentialsDefault = "default"

	CatchUpNextHour  = "next-hour"
	CatchUpImmediate = "immediate"

	GraceTimingAfter  = "after"
	GraceTimingBefore = "before"

	RetireDelete     = "delete"
	RetireDeactivate = "deactivate"

	RetireWhenAlways = "always"
	RetireWhenUnused = "unused"

	RetireOnTimeoutRetire = "retire"
	RetireOnTimeoutKeep   = "keep"

	NotifyJSON  = "json"
	NotifySlack = "slack"
)

// State backends.
const (
	BackendBbolt    = "bbolt"
	BackendDynamoDB = "dynamodb"
)

// Defaults applied to fields the file leaves out. `rotatord validate --print`
// shows them.
const (
	DefaultStatePath              = "/var/lib/rotatord/state.db"
	DefaultLeaseDuration          = 30 * time.Second
	DefaultProtectionKeyFile      = "/etc/rotatord/protection.key"
	DefaultWorkers                = 8
	DefaultListen                 = "127.0.0.1:9464"
	DefaultControlSocket          = "/run/rotatord/rotatord.sock"
	DefaultShutdownTimeout        = 30 * time.Second
	DefaultRegion                 = "us-east-1"
	DefaultRateLimit         Rate = 5
	DefaultRateLimitMax           = 1000.0
	DefaultRoleSessionName        = "rotatord"
	DefaultVerifyTimeout          = 60 * time.Second
	DefaultMaxVersions            = 10
	DefaultWebhookTimeout         = 10 * time.Second
	// DefaultRetireMaxWait bounds how long retire_when: unused holds a
	// replaced key's retirement while a consumer still uses it.
	DefaultRetireMaxWait = 14 * 24 * time.Hour
	// MaxRetireMaxWait is the longest retire_max_wait.
	MaxRetireMaxWait = 365 * 24 * time.Hour
)

// Config is a whole rotatord configuration file.
type Config struct {
	// File is the path the configuration was read from. Relative paths in
	// the file have been resolved against its directory.
	File string `yaml:"-"`

	Version       int    `yaml:"version"`
	State         State  `yaml:"state"`
	Workers       int    `yaml:"workers"`
	Listen        string `yaml:"listen"`
	ControlSocket string `yaml:"control_socket"`
	// ShutdownTimeout bounds how long SIGTERM waits for running rotations
	// to finish before stopping them at their next step.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// RotationTimezone is the secrets' rotation_timezone where they give
	// none: an IANA time zone name such as Europe/Berlin; default UTC.
	RotationTimezone string          `yaml:"rotation_timezone"`
	Targets          []Target        `yaml:"targets"`
	Secrets          []RotatedSecret `yaml:"secrets"`
	// Notify are the webhooks that receive rotatord's events.
	Notify []Notify `yaml:"notify"`

	// Warnings are problems that do not stop the daemon, such as an inline
	// secret in a file that others can read. Each names its position.
	Warnings []*Error `yaml:"-"`

	// secretIndex maps a secret's name to its index in Secrets, built by
	// Parse (a daemon looks secrets up by name many times per rotation, in
	// configurations of 100,000 secrets). A Config built otherwise has none
	// and is searched.
	secretIndex map[string]int
	// items, when the secrets were decoded in chunks, lets a reload of the
	// same file reuse the secrets whose text did not change (reuse.go).
	items *itemSigs
}

// State configures the state store.
type State struct {
	// Backend is "bbolt" (one file, one machine; the default) or
	// "dynamodb" (a table shared by several replicas).
	Backend           string `yaml:"backend"`
	Path              string `yaml:"path"`
	ProtectionKeyFile string `yaml:"protection_key_file"`
	ProtectionKeyEnv  string `yaml:"protection_key_env"`

	// backend: dynamodb — the table (rotatord state init creates it), its
	// region and endpoint, or Target, a target whose connection
	// (credentials, role, region, endpoint) reaches it; without one, the
	// SDK's default chain. Each replica takes a secret's lease for
	// LeaseDuration (renewed while it works) under the name Replica
	// (default: host name and process id).
	Table    string `yaml:"table"`
	Region   string `yaml:"region"`
	Endpoint string `yaml:"endpoint"`
	// AllowInsecureEndpoint lets Endpoint be plain http:// to a host that
	// is not this machine (localhost, 127.0.0.0/8, ::1). Without it such
	// an endpoint is an error: the state's items, sealed values and
	// leases, and the request signatures would cross the network
	// unencrypted.
	AllowInsecureEndpoint bool     `yaml:"allow_insecure_endpoint"`
	Target                string   `yaml:"target"`
	LeaseDuration         Duration `yaml:"lease_duration"`
	Replica               string   `yaml:"replica"`

	// ProtectionKey is the decoded 32-byte AES-256 key, resolved by Load
	// from ProtectionKeyFile or ProtectionKeyEnv.
	ProtectionKey SecretValue `yaml:"-"`

	Pos Pos `yaml:"-"`
}

// Target is an AWS account connection with the credentials of a privileged
// IAM user (or role) allowed to manage other users' access keys.
type Target struct {
	Name   string `yaml:"name"`
	Region string `yaml:"region"`
	// Endpoint, when set, replaces AWS's endpoints for IAM, STS and the
	// target's sinks (a test endpoint such as LocalStack). It must be
	// https://, or http:// to this machine (localhost, 127.0.0.0/8, ::1):
	// CreateAccessKey answers carry new secret access keys.
	Endpoint string `yaml:"endpoint"`
	// AllowInsecureEndpoint accepts a plain http:// Endpoint to another
	// host (a LocalStack container on a private network), whose traffic,
	// new keys included, is then unencrypted.
	AllowInsecureEndpoint bool `yaml:"allow_insecure_endpoint"`

	// Credentials is "static" (AccessKeyID and a secret access key) or
	// "default" (the SDK's default chain: environment, profile, web
	// identity, instance role).
	Credentials         string      `yaml:"credentials"`
	AccessKeyID         string      `yaml:"access_key_id"`
	SecretAccessKey     SecretValue `yaml:"secret_access_key"`
	SecretAccessKeyFile string      `yaml:"secret_access_key_file"`
	SecretAccessKeyEnv  string      `yaml:"secret_access_key_env"`

	// RoleARN, when set, is assumed on top of the credentials above.
	RoleARN         string `yaml:"role_arn"`
	ExternalID      string `yaml:"external_id"`
	RoleSessionName string `yaml:"role_session_name"`

	// RateLimit is the most IAM calls per second rotatord makes for this
	// target, or AutoRate (written `auto`): rotatord finds the rate the
	// account allows, up to RateLimitMax (see internal/pace).
	RateLimit Rate `yaml:"rate_limit"`
	// RateLimitMax bounds an automatic rate_limit (default
	// DefaultRateLimitMax); only with rate_limit: auto.
	RateLimitMax float64 `yaml:"rate_limit_max"`

	Pos Pos `yaml:"-"`
}

// RotatedSecret is one IAM user's access key pair that rotatord owns. Its
// fields carry the reference product's options with the same meaning.
type RotatedSecret struct {
	// Name is a path such as /team-a/ci/deployer; folders are implicit.
	Name   string `yaml:"name"`
	Target string `yaml:"target"`

	// AuthenticationCredentials is "use-user-creds" (the secret's own key
	// signs the rotation) or "use-target-creds" (the target's credentials
	// do, on the user's behalf).
	AuthenticationCredentials string `yaml:"authentication_credentials"`
	// RotatorType is "api-key" (rotate this secret's key) or "target"
	// (rotate the target's own key).
	RotatorType string `yaml:"rotator_type"`

	// AccessKeyID and the secret access key are the bootstrap value; once
	// the state store holds a version, the store wins. A key has one
	// owner: no two secrets may name the same AccessKeyID, nor a secret a
	// target's own key (rotator_type: target rotates that one). At run
	// time, of two secrets on one IAM user the later one in the file is
	// refused, and no rotation deletes a key another secret or a target
	// holds, adopt_unknown_keys or not.
	AccessKeyID         string      `yaml:"access_key_id"`
	SecretAccessKey     SecretValue `yaml:"secret_access_key"`
	SecretAccessKeyFile string      `yaml:"secret_access_key_file"`
	SecretAccessKeyEnv  string      `yaml:"secret_access_key_env"`
	// KeyFile is the file SecretAccessKeyFile names, as Load checked it;
	// Load does not read it, so SecretAccessKey stays empty: BootstrapKey
	// reads it when needed. Nil without the field, and after Parse.
	KeyFile *KeyFile `yaml:"-" json:"-"`
	// UserName optionally names the IAM user; otherwise it is looked up
	// from the access key. Two secrets of one target may not name the
	// same user.
	UserName string `yaml:"user_name"`

	GraceRotation    bool   `yaml:"grace_rotation"`
	AutoRotate       bool   `yaml:"auto_rotate"`
	RotationInterval int    `yaml:"rotation_interval"` // days, 1..365
	RotationHour     int    `yaml:"rotation_hour"`     // 0..23, wall clock of RotationTimezone
	RotationSchedule string `yaml:"rotation_schedule"` // cron expression; replaces interval+hour
	// RotationTimezone is the IANA time zone (Europe/Berlin) whose wall
	// clock and calendar days rotation_hour, rotation_interval,
	// rotation_schedule, grace_period and notify_before count in; the
	// top-level rotation_timezone when not given, UTC by default.
	// Location returns it loaded.
	RotationTimezone string `yaml:"rotation_timezone"`
	CatchUp          string `yaml:"catch_up"`
	DeleteProtection bool   `yaml:"delete_protection"`

	AdoptUnknownKeys bool     `yaml:"adopt_unknown_keys"`
	VerifyTimeout    Duration `yaml:"verify_timeout"`
	GracePeriod      int      `yaml:"grace_period"` // days; 0: until the next rotation
	GraceTiming      string   `yaml:"grace_timing"`
	Retire           string   `yaml:"retire"`
	// RetireWhen is "always" (a replaced key is retired on schedule) or
	// "unused" (IAM's last use of the key is asked first, and its
	// retirement is held while a consumer still uses it after the new key
	// reached every sink). RetireMaxWait bounds the hold (only with
	// unused); after it the key is retired anyway, unless RetireOnTimeout
	// is "keep".
	RetireWhen      string   `yaml:"retire_when"`
	RetireMaxWait   Duration `yaml:"retire_max_wait"`
	RetireOnTimeout string   `yaml:"retire_on_timeout"`
	MaxVersions     int      `yaml:"max_versions"`

	// NotifyBefore are the days before a due rotation at which a
	// rotation.upcoming event is sent (the reference's "rotation event in").
	NotifyBefore []int `yaml:"notify_before"`

	Sinks []Sink `yaml:"sinks"`

	Pos Pos `yaml:"-"`
}

// Graceful reports whether rotations keep two valid keys.
func (s *RotatedSecret) Graceful() bool { return s.GraceRotation }

// Notify is a webhook that receives rotatord's events (rotation.succeeded,
// rotation.failed, delivery.failed, drift.detected, rotation.upcoming).
type Notify struct {
	URL            SecretValue `yaml:"url"`
	URLFile        string      `yaml:"url_file"`
	URLEnv         string      `yaml:"url_env"`
	HMACSecret     SecretValue `yaml:"hmac_secret"`
	HMACSecretFile string      `yaml:"hmac_secret_file"`
	HMACSecretEnv  string      `yaml:"hmac_secret_env"`
	// Events to send; empty: all.
	Events []string `yaml:"events"`
	// Format is "json" (rotatord's event) or "slack" (a Slack-compatible
	// {"text": ...} body).
	Format  string   `yaml:"format"`
	Timeout Duration `yaml:"timeout"`

	Pos Pos `yaml:"-"`
}

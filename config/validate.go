package config

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxSocketPath is the most bytes a unix socket path may have (sun_path
// holds 108 with the terminating NUL).
const maxSocketPath = 107

// checker runs the semantic rules over a decoded, defaulted configuration.
// Each rule reports at the position of the value it is about.
type checker struct {
	*collector
	c *Config
	// sc is what sink hands each sink's CheckSink, reused.
	sc SinkChecker
}

// validate checks every rule and reports every problem.
func validate(c *Config, col *collector) {
	k := &checker{collector: col, c: c}
	k.outside()
	for i := range c.Secrets {
		k.secret(i)
	}
	k.across()
}

// outside checks what lies outside the secrets: the top-level fields, the
// state and the targets.
func (k *checker) outside() {
	k.top()
	k.state()
	names := map[string]int{}
	for i := range k.c.Targets {
		if !k.failed(indexPath("targets", i)) {
			k.target(i, names)
		}
	}
}

// across checks the rules that span several secrets, and the notify
// webhooks, once each secret has been checked on its own.
func (k *checker) across() {
	k.secretsAcross()
	k.owners()
	k.notify()
	k.sinkPaths()
	k.destinations()
}

func (k *checker) top() {
	c := k.c
	switch {
	case !k.given("version"):
		k.errorf("version", "required; start the file with version: 1")
	case c.Version != 1:
		k.errorf("version", "%d is not supported; this rotatord reads version 1", c.Version)
	}
	k.intRange("workers", c.Workers, 1, 1024, "")
	if t := c.ShutdownTimeout.D(); t < time.Second || t > time.Hour {
		k.errorf("shutdown_timeout", "%s is out of range 1s..1h", t)
	}
	k.timezone("rotation_timezone", c.RotationTimezone)
	k.listen(c.Listen)
	if k.path("control_socket", c.ControlSocket) && len(c.ControlSocket) > maxSocketPath {
		k.errorf("control_socket", "is %d bytes long; a unix socket path must be at most %d bytes", len(c.ControlSocket), maxSocketPath)
	}
	if !k.given("secrets") {
		k.warnf("", "no secrets are configured; rotatord has nothing to rotate")
	}
}

func (k *checker) state() {
	s := k.c.State
	if k.given("state.protection_key_file") && k.given("state.protection_key_env") {
		k.errorf("state.protection_key_env", "set either protection_key_file or protection_key_env, not both")
	}
	k.path("state.path", s.Path)
	k.path("state.protection_key_file", s.ProtectionKeyFile)
	k.envName("state.protection_key_env", s.ProtectionKeyEnv)
	if !k.enum("state.backend", s.Backend, BackendBbolt, BackendDynamoDB) {
		return
	}
	dynamoOnly := []string{"table", "region", "endpoint", "allow_insecure_endpoint", "target", "lease_duration", "replica"}
	if s.Backend == BackendBbolt {
		for _, f := range dynamoOnly {
			if k.given("state." + f) {
				k.errorf("state."+f, "only applies with backend: dynamodb; set backend: dynamodb or remove %s", f)
			}
		}
		return
	}
	k.dynamoState(s)
}

// dynamoState checks the fields of the DynamoDB backend.
func (k *checker) dynamoState(s State) {
	if k.given("state.path") {
		k.errorf("state.path", "is the bbolt file; backend: dynamodb keeps the state in state.table, so remove path")
	}
	switch {
	case s.Table == "":
		k.errorf("state.table", "required with backend: dynamodb; name the table, such as rotatord-state (rotatord state init creates it)")
	case !dynamoTableRe.MatchString(s.Table):
		k.errorf("state.table", "%s is not a DynamoDB table name (3 to 255 letters, digits and _.-)", quote(s.Table))
	}
	if (s.Region != "" || k.given("state.region")) && !regionRe.MatchString(s.Region) {
		k.errorf("state.region", "%s is not an AWS region such as us-east-1", quote(s.Region))
	}
	k.endpoint("state", s.Endpoint, s.AllowInsecureEndpoint)
	if s.Target != "" {
		k.targetRef("state.target", s.Target, k.knownTargets())
		if s.Endpoint != "" {
			k.errorf("state.endpoint", "the state reaches DynamoDB through target %s, with its endpoint; remove endpoint, or target", quote(s.Target))
		}
	}
	k.durationRange("state.lease_duration", s.LeaseDuration, 5*time.Second, 10*time.Minute, "5s..10m")
	if s.Replica != "" && !replicaRe.MatchString(s.Replica) {
		k.errorf("state.replica", "%s is not a replica name (1 to 128 letters, digits and _.:@-)", quote(s.Replica))
	}
}

func (k *checker) listen(l string) {
	host, port, err := net.SplitHostPort(l)
	if err != nil || strings.ContainsAny(host, " /") {
		k.errorf("listen", "%s is not host:port; write it as 127.0.0.1:9464, or :9464 for every interface", quote(l))
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		k.errorf("listen", "port %s is not a number from 0 to 65535", quote(port))
	}
}

// intRange reports v outside lo..hi. unit, when set, follows the range.
func (k *checker) intRange(path string, v, lo, hi int, unit string) bool {
	if v >= lo && v <= hi {
		return true
	}
	msg := strconv.Itoa(v) + " is out of range " + strconv.Itoa(lo) + ".." + strconv.Itoa(hi)
	if unit != "" {
		msg += " " + unit
	}
	k.errorf(path, "%s", msg)
	return false
}

// enum reports v when it is not one of allowed.
func (k *checker) enum(path, v string, allowed ...string) bool {
	if slices.Contains(allowed, v) {
		return true
	}
	k.errorf(path, "%s is not one of %s", quote(v), strings.Join(allowed, ", "))
	return false
}

// path checks a file path value, when given; it reports whether the path is
// usable. A path given as "" is reported as empty, not taken for one left
// out.
func (k *checker) path(path, p string) bool {
	if p == "" {
		if k.given(path) {
			k.errorf(path, "is empty; name a file, or remove the field")
		}
		return false
	}
	if hasControl(p) {
		k.errorf(path, "holds a control character (a newline?); write the path on one line")
		return false
	}
	if strings.HasSuffix(p, "/") {
		k.errorf(path, "names a directory; name the file itself")
		return false
	}
	return true
}

// envName checks the name of an environment variable, when given. It never
// shows a malformed name: it may be the secret itself.
func (k *checker) envName(path, name string) bool {
	if name == "" {
		return false
	}
	if !envNameRe.MatchString(name) {
		k.errorf(path, "is not the name of an environment variable (letters, digits and _, not starting with a digit)")
		return false
	}
	return true
}

// secretRef checks a secret access key given inline, as a file or as an
// environment variable under path, and returns which of the three fields
// are set.
func (k *checker) secretRef(path string, inline SecretValue, file, env string) []string {
	return k.refSet(path, "secret_access_key", inline, file, env)
}

// atMostOneSecret reports every secret access key field after the first
// one set.
func (k *checker) atMostOneSecret(path string, set []string) {
	k.atMostOne(path, "secret_access_key", set)
}

// refSet checks a secret under path given inline (name), as a file
// (name_file) or as an environment variable (name_env), and returns which
// of the three fields are set, a field that failed to decode included.
func (k *checker) refSet(path, name string, inline SecretValue, file, env string) []string {
	k.path(joinPath(path, name+"_file"), file)
	k.envName(joinPath(path, name+"_env"), env)
	var set []string
	for _, f := range []struct {
		name string
		on   bool
	}{{name, inline != ""}, {name + "_file", file != ""}, {name + "_env", env != ""}} {
		if f.on || k.failed(joinPath(path, f.name)) {
			set = append(set, f.name)
		}
	}
	return set
}

// atMostOne reports every field of set after the first one, for the
// secret called name.
func (k *checker) atMostOne(path, name string, set []string) {
	for _, f := range set[min(1, len(set)):] {
		k.errorf(joinPath(path, f), "set only one of %s_file, %s_env and %s (%s is set too)", name, name, name, set[0])
	}
}

// durationRange reports d outside lo..hi, which span writes as text such
// as "1s..5m".
func (k *checker) durationRange(path string, d Duration, lo, hi time.Duration, span string) {
	if t := d.D(); t < lo || t > hi {
		k.errorf(path, "%s is out of range %s", t, span)
	}
}

// fieldLine names another entity with its line, for messages about pairs.
func (k *checker) fieldLine(path string) string {
	return path + " (line " + strconv.Itoa(k.at(path).Line) + ")"
}

package webhook

import (
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"strings"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

// Type is the sink type of a webhook sink: type: webhook.
const Type = "webhook"

var (
	_ config.SinkSpec         = (*Config)(nil)
	_ config.SinkResolver     = (*Config)(nil)
	_ config.SinkFiler        = (*Config)(nil)
	_ config.SinkDestinations = (*Config)(nil)
	_ sink.Spec               = (*Config)(nil)
)

// Config is a webhook sink's configuration: URL (a secret: it may carry a
// token), the HMAC secret of X-Rotatord-Signature, a bearer token (each
// inline, _file or _env; Load reads the file or variable into the inline
// field), a custom CA and client certificate, IncludeValue (send the
// secret access key itself), Timeout per attempt.
type Config struct {
	URL             config.SecretValue `yaml:"url"`
	URLFile         string             `yaml:"url_file"`
	URLEnv          string             `yaml:"url_env"`
	HMACSecret      config.SecretValue `yaml:"hmac_secret"`
	HMACSecretFile  string             `yaml:"hmac_secret_file"`
	HMACSecretEnv   string             `yaml:"hmac_secret_env"`
	BearerToken     config.SecretValue `yaml:"bearer_token"`
	BearerTokenFile string             `yaml:"bearer_token_file"`
	BearerTokenEnv  string             `yaml:"bearer_token_env"`
	CAFile          string             `yaml:"ca_file"`
	CertFile        string             `yaml:"cert_file"`
	KeyFile         string             `yaml:"key_file"`
	IncludeValue    bool               `yaml:"include_value"`
	Timeout         config.Duration    `yaml:"timeout"`
}

// NewConfig returns an empty Config, for config.RegisterSink.
func NewConfig() config.SinkSpec { return new(Config) }

// SinkDefaults implements config.SinkSpec: timeout 10s.
func (c *Config) SinkDefaults(d *config.SinkChecker) {
	if !d.Given("timeout") {
		c.Timeout = config.Duration(config.DefaultWebhookTimeout)
	}
}

// CheckSink implements config.SinkSpec.
func (c *Config) CheckSink(k *config.SinkChecker) {
	k.URL(c.URL, c.URLFile, c.URLEnv)
	k.SecretRef("hmac_secret", c.HMACSecret, c.HMACSecretFile, c.HMACSecretEnv)
	k.SecretRef("bearer_token", c.BearerToken, c.BearerTokenFile, c.BearerTokenEnv)
	k.Path("ca_file", c.CAFile)
	k.Path("cert_file", c.CertFile)
	k.Path("key_file", c.KeyFile)
	cert := c.CertFile != "" || k.Failed("cert_file")
	key := c.KeyFile != "" || k.Failed("key_file")
	switch {
	case cert && !key:
		k.Errorf("cert_file", "needs key_file, the client certificate's private key; set both or neither")
	case key && !cert:
		k.Errorf("key_file", "needs cert_file, the client certificate; set both or neither")
	}
	k.DurationRange("timeout", c.Timeout, time.Second, 5*time.Minute, "1s..5m")
}

// SinkFiles implements config.SinkFiler.
func (c *Config) SinkFiles() []config.NamedFile {
	return []config.NamedFile{
		{Field: "url_file", Path: &c.URLFile, Reads: "a webhook URL file"},
		{Field: "hmac_secret_file", Path: &c.HMACSecretFile, Reads: "an HMAC secret file"},
		{Field: "bearer_token_file", Path: &c.BearerTokenFile, Reads: "a bearer token file"},
		{Field: "ca_file", Path: &c.CAFile, Reads: "a CA certificate file"},
		{Field: "cert_file", Path: &c.CertFile, Reads: "a client certificate file"},
		{Field: "key_file", Path: &c.KeyFile, Reads: "a client key file"},
	}
}

// ResolveSink implements config.SinkResolver: the URL, HMAC secret and
// bearer token from their files or variables, and the TLS files.
func (c *Config) ResolveSink(r *config.SinkRefs) {
	r.URL(&c.URL, c.URLFile, c.URLEnv)
	r.Secret("hmac_secret", "the HMAC secret", "secret", &c.HMACSecret, c.HMACSecretFile, c.HMACSecretEnv)
	r.Secret("bearer_token", "the bearer token", "token", &c.BearerToken, c.BearerTokenFile, c.BearerTokenEnv)
	c.resolveTLS(r)
}

// resolveTLS checks the CA file and client certificate: readable, PEM, and
// a certificate that matches its key. The key file is kept as private as
// a secret file.
func (c *Config) resolveTLS(r *config.SinkRefs) {
	if c.CAFile != "" && !r.Failed("ca_file") {
		pem, ok := r.Read("ca_file", c.CAFile, "certificate", "fix the path, or remove ca_file to trust the system's CAs", false)
		if ok && !x509.NewCertPool().AppendCertsFromPEM([]byte(pem)) {
			r.Errorf("ca_file", "%s holds no PEM certificate (-----BEGIN CERTIFICATE-----); name the file of the CA's certificate", config.ShownPath(c.CAFile))
		}
	}
	if c.CertFile == "" || c.KeyFile == "" || r.Failed("cert_file") || r.Failed("key_file") {
		return
	}
	cert, certOK := r.Read("cert_file", c.CertFile, "certificate", "fix the path", false)
	key, keyOK := r.Read("key_file", c.KeyFile, "key", "fix the path", true)
	if certOK && !x509.NewCertPool().AppendCertsFromPEM([]byte(cert)) {
		r.Errorf("cert_file", "%s holds no PEM certificate (-----BEGIN CERTIFICATE-----); name the file of the client certificate", config.ShownPath(c.CertFile))
		return
	}
	if !certOK || !keyOK {
		return
	}
	if _, err := tls.X509KeyPair([]byte(cert), []byte(key)); err != nil {
		msg := strings.TrimPrefix(config.SafeErr(err), ": tls: ")
		if msg == "" {
			msg = "they do not parse"
		}
		r.Errorf("key_file", "is not the private key of cert_file (%s); name the key that goes with the certificate", msg)
	}
}

// Destinations implements config.SinkDestinations: a webhook may serve
// several secrets, but not one secret twice.
func (c *Config) Destinations() []config.Destination {
	switch {
	case c.URL != "":
		return []config.Destination{{Key: "url\x00" + c.URL.Reveal(), Field: "url", What: "delivers to this url"}}
	case c.URLFile != "":
		return []config.Destination{{Key: "url_file\x00" + filepath.Clean(c.URLFile), Field: "url_file", What: "delivers to the url in this file"}}
	case c.URLEnv != "":
		return []config.Destination{{Key: "url_env\x00" + c.URLEnv, Field: "url_env", What: "delivers to the url in this variable"}}
	}
	return nil
}

// SinkID implements sink.Spec: "webhook:" + the first 16 hex digits of the
// SHA-256 of the URL, which is secret (it may carry a token). A URL not yet
// read from url_file or url_env gives "", for sink.ID's digest.
func (c *Config) SinkID() string {
	if c.URL.IsZero() {
		return ""
	}
	return "webhook:" + sink.HashStrings([]string{c.URL.Reveal()})
}

// Build implements sink.Spec: NewWithOptions, with the Retry among the
// daemon's options, if any.
func (c *Config) Build(d sink.Deps) (sink.Sink, error) {
	var opts Options
	for _, o := range d.Options {
		if r, ok := o.(Retry); ok {
			opts.Retry = r
		}
	}
	return NewWithOptions(*c, d.Log, opts)
}

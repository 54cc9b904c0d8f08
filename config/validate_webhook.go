package config

import (
	"net"
	"net/url"
	"strings"
	"time"
)

// Bounds of a webhook's timeout per attempt (sinks and notify).
const (
	minWebhookTimeout = time.Second
	maxWebhookTimeout = 5 * time.Minute
)

// webhookSink checks a sink of type webhook.
func (k *checker) webhookSink(s *Sink, path string) {
	k.webhookURL(path, s.URL, s.URLFile, s.URLEnv)
	k.atMostOne(path, "hmac_secret", k.refSet(path, "hmac_secret", s.HMACSecret, s.HMACSecretFile, s.HMACSecretEnv))
	k.atMostOne(path, "bearer_token", k.refSet(path, "bearer_token", s.BearerToken, s.BearerTokenFile, s.BearerTokenEnv))
	k.path(path+".ca_file", s.CAFile)
	k.path(path+".cert_file", s.CertFile)
	k.path(path+".key_file", s.KeyFile)
	cert := s.CertFile != "" || k.failed(path+".cert_file")
	key := s.KeyFile != "" || k.failed(path+".key_file")
	switch {
	case cert && !key:
		k.errorf(path+".cert_file", "needs key_file, the client certificate's private key; set both or neither")
	case key && !cert:
		k.errorf(path+".key_file", "needs cert_file, the client certificate; set both or neither")
	}
	k.durationRange(path+".timeout", s.Timeout, minWebhookTimeout, maxWebhookTimeout, "1s..5m")
}

// webhookURL checks that exactly one of url, url_file and url_env is set,
// and an inline url's scheme and host. Load checks a URL read from a file
// or variable the same way.
func (k *checker) webhookURL(path string, u Secret, file, env string) {
	set := k.refSet(path, "url", u, file, env)
	if len(set) == 0 {
		k.errorf(path+".url", "required; set url_file to a file that holds the URL (a URL may carry a token), or url_env, or url")
		return
	}
	k.atMostOne(path, "url", set)
	if u != "" && u != Redacted && !k.failed(path+".url") {
		if p := urlProblem(u.Reveal()); p != "" {
			k.errorf(path+".url", "%s", p)
		}
	}
}

// urlProblem says what is wrong with a webhook URL, or "". It never shows
// the URL, nor any part of it: a URL may carry a token in its path, its
// query or its user name.
func urlProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Opaque != "" || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return "is not an absolute https URL such as https://hooks.example.com/rotated"
	case hasControl(raw):
		return "holds a control character (a newline?); write the URL on one line"
	case u.Scheme == "http" && !loopback(u.Hostname()):
		return "is not https; use https (plain http is allowed only to this machine: localhost, 127.0.0.0/8, ::1)"
	}
	return ""
}

// loopback reports whether host names this machine: localhost, an address
// in 127.0.0.0/8, or ::1.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

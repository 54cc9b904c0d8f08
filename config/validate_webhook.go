package config

import (
	"net"
	"net/url"
	"strings"
	"time"
)

// Bounds of a notify webhook's timeout per attempt.
const (
	minWebhookTimeout = time.Second
	maxWebhookTimeout = 5 * time.Minute
)

// webhookURL checks that exactly one of url, url_file and url_env is set,
// and an inline url's scheme and host. Load checks a URL read from a file
// or variable the same way.
func (k *checker) webhookURL(path string, u SecretValue, file, env string) {
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

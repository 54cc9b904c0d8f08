package config

import "net/url"

// endpoint checks the optional custom endpoint of parent (a target, or
// state) and its allow_insecure_endpoint. The URL is never shown: it may
// carry a password.
//
// A plain http:// endpoint is refused unless its host is this machine
// (localhost, 127.0.0.0/8, ::1) or allowInsecure is set: the answers to
// CreateAccessKey carry new secret access keys, and every request carries
// a signature an eavesdropper could replay within its few minutes.
func (k *checker) endpoint(parent, e string, allowInsecure bool) {
	path, allowPath := joinPath(parent, "endpoint"), joinPath(parent, "allow_insecure_endpoint")
	carries := "new secret access keys"
	if parent == "state" {
		carries = "the state's items and leases"
	}
	if e == "" {
		if allowInsecure {
			k.errorf(allowPath, "only applies with endpoint; remove it")
		}
		return
	}
	u, err := url.Parse(e)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		k.errorf(path, "is not an absolute http or https URL such as https://iam.example.com or http://localhost:4566")
	case u.User != nil:
		k.errorf(path, "holds a user name or password; credentials belong in access_key_id and secret_access_key_file")
	case u.RawQuery != "" || u.Fragment != "":
		k.errorf(path, "must not hold a query or fragment")
	case u.Scheme == "http" && !loopback(u.Hostname()) && !allowInsecure:
		k.errorf(path, "is plain http to a host that is not this machine, so %s would cross the network unencrypted; use https, or set allow_insecure_endpoint: true if the network between is trusted (plain http is always allowed to localhost, 127.0.0.0/8 and ::1)", carries)
	}
}

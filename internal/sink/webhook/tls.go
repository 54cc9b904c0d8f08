package webhook

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/rotatord/rotatord/internal/safefile"
)

// tlsConfig returns the client TLS configuration of a webhook sink: TLS 1.2
// or later; with caFile, the server must chain to a certificate in that
// file and to nothing else (the system roots are not consulted, as with
// curl --cacert: a private CA pins the receiver); with certFile and keyFile,
// the client presents that certificate. Files are read once, here: a
// configuration reload picks up renewed files. Errors name the files, which
// are not secret.
func tlsConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, _, err := safefile.ReadFile(caFile, safefile.Options{Strict: true, FollowLinks: true})
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", caFile)
		}
		tc.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("cert_file and key_file: give both or neither")
	}
	if certFile != "" {
		certPEM, _, err := safefile.ReadFile(certFile, safefile.Options{Strict: true, FollowLinks: true})
		if err != nil {
			return nil, fmt.Errorf("cert_file: %w", err)
		}
		keyPEM, _, err := safefile.ReadFile(keyFile, safefile.Options{Strict: true, FollowLinks: true})
		if err != nil {
			return nil, fmt.Errorf("key_file: %w", err)
		}
		// The error of X509KeyPair never quotes key material.
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("cert_file %s, key_file %s: %w", certFile, keyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

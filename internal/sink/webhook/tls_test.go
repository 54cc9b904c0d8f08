package webhook

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	stdlog "log"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// issuer is a test certificate authority.
type issuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T, name string) *issuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &issuer{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a leaf certificate for a server (127.0.0.1) or a client,
// as a tls.Certificate and as PEM files.
func (ca *issuer) issue(t *testing.T, name string, usage x509.ExtKeyUsage) (tls.Certificate, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return pair, certPEM, keyPEM
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	serverCA, clientCA, otherCA := newCA(t, "server CA"), newCA(t, "client CA"), newCA(t, "other CA")
	serverCert, _, _ := serverCA.issue(t, "receiver", x509.ExtKeyUsageServerAuth)
	_, clientPEM, clientKey := clientCA.issue(t, "rotatord", x509.ExtKeyUsageClientAuth)
	_, strangerPEM, strangerKey := otherCA.issue(t, "stranger", x509.ExtKeyUsageClientAuth)
	caFile := writeFile(t, dir, "ca.pem", serverCA.pem)
	otherCAFile := writeFile(t, dir, "other-ca.pem", otherCA.pem)
	certFile := writeFile(t, dir, "client.pem", clientPEM)
	keyFile := writeFile(t, dir, "client.key", clientKey)
	strangerCert := writeFile(t, dir, "stranger.pem", strangerPEM)
	strangerKeyFile := writeFile(t, dir, "stranger.key", strangerKey)

	rv := &receiver{}
	srv := httptest.NewUnstartedServer(rv)
	clientPool := x509.NewCertPool()
	clientPool.AddCert(clientCA.cert)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientPool,
		MinVersion:   tls.VersionTLS12,
	}
	srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // expected handshake failures
	srv.StartTLS()
	t.Cleanup(srv.Close)
	url := hookURL(srv.URL)

	tests := []struct {
		name          string
		ca, cert, key string
		wantErr       string // "" for success
	}{
		{"custom CA and client certificate", caFile, certFile, keyFile, ""},
		{"system roots do not know the CA", "", certFile, keyFile, "x509: certificate signed by unknown authority after 1 attempt"},
		{"the CA file replaces the system roots", otherCAFile, certFile, keyFile, "x509: certificate signed by unknown authority after 1 attempt"},
		{"no client certificate", caFile, "", "", "tls: certificate required"},
		// Go's client offers only a certificate that the server's list of
		// acceptable CAs admits, so a stranger's certificate stays home.
		{"unknown client certificate", caFile, strangerCert, strangerKeyFile, "tls: certificate required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sinkConfig(url)
			c.CAFile, c.CertFile, c.KeyFile = tt.ca, tt.cert, tt.key
			log, buf := newLogger()
			err := newSink(t, c, log).Put(t.Context(), credential())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want %q in it", err, tt.wantErr)
			}
			assertNoLeak(t, "error", err.Error(), url, srv.URL)
			assertNoLeak(t, "log", buf.String(), url, srv.URL)
		})
	}
	if got := len(rv.requests()); got != 1 {
		t.Errorf("the receiver got %d requests, want 1 (only from the trusted client)", got)
	}
}

func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	tc, err := tlsConfig("", "", "")
	if err != nil || tc.MinVersion != tls.VersionTLS12 || tc.RootCAs != nil {
		t.Errorf("no files: got %+v, %v; want TLS 1.2+ and system roots", tc, err)
	}
	notPEM := writeFile(t, dir, "notpem", []byte("hello"))
	if _, err := tlsConfig(notPEM, "", ""); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("ca_file without PEM: got %v", err)
	}
	if _, err := tlsConfig("", notPEM, notPEM); err == nil || !strings.Contains(err.Error(), "cert_file") {
		t.Errorf("bad key pair: got %v", err)
	}
}

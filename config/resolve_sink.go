package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
)

// maxTextFile is the largest template or certificate file Load reads.
const maxTextFile = 1 << 20

// sinks resolves the references of every sink: a webhook's URL, HMAC
// secret, bearer token and TLS files, a file sink's template_file.
func (r *resolver) sinks() {
	for i := range r.c.Secrets {
		for j := range r.c.Secrets[i].Sinks {
			k, path := &r.c.Secrets[i].Sinks[j], fmt.Sprintf("secrets[%d].sinks[%d]", i, j)
			switch k.Type {
			case SinkWebhook:
				r.url(path, &k.URL, k.URLFile, k.URLEnv)
				r.ref(path, hmacRef, &k.HMACSecret, k.HMACSecretFile, k.HMACSecretEnv)
				r.ref(path, bearerRef, &k.BearerToken, k.BearerTokenFile, k.BearerTokenEnv)
				r.tlsFiles(path, k)
			case SinkFile:
				if k.Format == FormatTemplate && k.TemplateFile != "" {
					r.templateFile(path+".template_file", k)
				}
			case SinkCommand:
				r.program(path+".command[0]", k.Command)
			}
		}
	}
}

// notify resolves the URL and HMAC secret of every notify webhook.
func (r *resolver) notify() {
	for i := range r.c.Notify {
		n, path := &r.c.Notify[i], indexPath("notify", i)
		r.url(path, &n.URL, n.URLFile, n.URLEnv)
		r.ref(path, hmacRef, &n.HMACSecret, n.HMACSecretFile, n.HMACSecretEnv)
	}
}

// url resolves a webhook URL from its file or variable and checks it as
// validation checks an inline one, never showing it.
func (r *resolver) url(path string, dst *Secret, file, env string) {
	if !r.ref(path, urlRef, dst, file, env) {
		return
	}
	p, where := path+".url_file", "the file"
	if file == "" {
		p, where = path+".url_env", "environment variable "+env
	}
	if problem := urlProblem(dst.Reveal()); problem != "" && !r.failed(p) {
		r.errorf(p, "the URL in %s %s", where, problem)
	}
}

// templateFile reads a file sink's template_file into Template and checks
// it as an inline template is checked (checkTemplateText). The template
// holds placeholders, not secrets: it is not kept private.
func (r *resolver) templateFile(path string, k *Sink) {
	if r.failed(path) {
		return
	}
	text, _, ok := r.read(path, k.TemplateFile, "template", "create it with the template, or fix the path", maxTextFile)
	if !ok {
		return
	}
	if msg := checkTemplateText(text); msg != "" {
		r.errorf(path, "%s %s", shownPath(k.TemplateFile), msg)
		return
	}
	k.Template = text
}

// tlsFiles checks a webhook's CA file and client certificate: readable,
// PEM, and a certificate that matches its key. The key file is kept as
// private as a secret file.
func (r *resolver) tlsFiles(path string, k *Sink) {
	if p := path + ".ca_file"; k.CAFile != "" && !r.failed(p) {
		pem, _, ok := r.read(p, k.CAFile, "certificate", "fix the path, or remove ca_file to trust the system's CAs", maxTextFile)
		if ok && !x509.NewCertPool().AppendCertsFromPEM([]byte(pem)) {
			r.errorf(p, "%s holds no PEM certificate (-----BEGIN CERTIFICATE-----); name the file of the CA's certificate", shownPath(k.CAFile))
		}
	}
	cp, kp := path+".cert_file", path+".key_file"
	if k.CertFile == "" || k.KeyFile == "" || r.failed(cp) || r.failed(kp) {
		return
	}
	cert, _, certOK := r.read(cp, k.CertFile, "certificate", "fix the path", maxTextFile)
	key, info, keyOK := r.read(kp, k.KeyFile, "key", "fix the path", maxTextFile)
	if keyOK {
		r.private(kp, k.KeyFile, info)
	}
	if certOK && !x509.NewCertPool().AppendCertsFromPEM([]byte(cert)) {
		r.errorf(cp, "%s holds no PEM certificate (-----BEGIN CERTIFICATE-----); name the file of the client certificate", shownPath(k.CertFile))
		return
	}
	if !certOK || !keyOK {
		return
	}
	if _, err := tls.X509KeyPair([]byte(cert), []byte(key)); err != nil {
		msg := strings.TrimPrefix(safeErr(err), ": tls: ")
		if msg == "" {
			msg = "they do not parse"
		}
		r.errorf(kp, "is not the private key of cert_file (%s); name the key that goes with the certificate", msg)
	}
}

package file

import (
	"errors"
	"fmt"

	"github.com/rotatord/rotatord/internal/sink"
)

// render returns the new contents of the file for c, given its current
// contents (nil if it does not exist). Only aws-credentials reads them.
func (f *File) render(old []byte, c sink.Credential) ([]byte, error) {
	id, secret := c.AccessKeyID, c.SecretAccessKey.Reveal()
	switch f.format {
	case FormatAWSCredentials:
		return updateCredentials(old, f.profile, id, secret), nil
	case FormatEnv:
		return []byte("AWS_ACCESS_KEY_ID=" + id + "\nAWS_SECRET_ACCESS_KEY=" + secret + "\n"), nil
	case FormatJSON:
		// The credential_process format. The values are checked by
		// checkValue, so they need no JSON escaping.
		return []byte(`{"Version":1,"AccessKeyId":"` + id + `","SecretAccessKey":"` + secret + `"}` + "\n"), nil
	case FormatTemplate:
		return renderTemplate(f.tmpl, c)
	}
	return nil, fmt.Errorf("unknown format %q", f.format)
}

// errEmptyValue and errBadValue say what is wrong with a credential value
// without showing it.
var (
	errEmptyValue = errors.New("is empty")
	errBadValue   = errors.New("holds a character other than A-Z a-z 0-9 + / = - _ .")
)

// checkValue makes sure v can be written unquoted into every format: an INI
// value, a shell and systemd assignment, a JSON string. AWS access keys use
// only [A-Za-z0-9+/]; the few extra characters allowed here are as safe.
// The error never contains v.
func checkValue(v string) error {
	if v == "" {
		return errEmptyValue
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '+', c == '/', c == '=', c == '-', c == '_', c == '.':
		default:
			return errBadValue
		}
	}
	return nil
}

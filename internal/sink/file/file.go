// Package file is the sink that writes credentials to a local file, in one
// of four formats: the AWS shared credentials file (one profile of it), an
// environment file, the JSON that an AWS credential_process prints, or the
// output of a Go text/template (see TemplateData).
//
// Every write replaces the file atomically (a temporary file in the same
// directory, renamed over it), so readers see the old or the new content,
// never a mix. The path is reached and the file read and written through
// internal/safefile: a symbolic link anywhere in the path, a directory on
// the way that others can write, anything at the path but a regular file
// (a FIFO, a device), a file with another name (a hard link) or one of
// rotatord's own files is refused, and the sink's other writes go on.
//
// Config is its configuration (type: file): fields, defaults, rules, the
// template_file it reads, and the sink it builds.
package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/rotatord/rotatord/internal/safefile"
	"github.com/rotatord/rotatord/internal/sink"
)

var _ sink.Sink = (*File)(nil)

// File is a sink that writes a credential to one file. It is safe for
// concurrent use; Puts of the same path, from any File in the process, are
// serialized.
type File struct {
	path    string // absolute and cleaned
	format  string
	profile string // for aws-credentials only
	mode    os.FileMode
	owner   *owner             // nil: the daemon's user and group
	tmpl    *template.Template // for template only
	// reserved are rotatord's own files, which the sink never reads or
	// replaces (nil: none).
	reserved *safefile.Reserved
}

// Option changes what New makes.
type Option func(*File)

// WithReserved makes the sink refuse to read or replace the files r holds
// (rotatord's own: configuration, state file, keys, control socket), by
// device and inode, whatever path leads to them.
func WithReserved(r *safefile.Reserved) Option { return func(f *File) { f.reserved = r } }

// New returns the sink that c describes. c has passed config validation,
// so c.Path is set; New still applies the defaults for
// an empty Format (aws-credentials), Profile (default) and Mode (0600), and
// resolves c.Owner ("user", "user:group", ":group", numeric "uid:gid")
// against the account database now, so an unknown user fails at load time.
// Without an Owner the file belongs to the daemon's user. With format
// template, c.Template (which Load read from c.TemplateFile) is parsed and
// rendered once with sample data now, so a template that cannot render
// fails here too.
func New(c Config, opts ...Option) (*File, error) {
	f := &File{
		format:  c.Format,
		profile: c.Profile,
		mode:    os.FileMode(c.Mode),
	}
	for _, opt := range opts {
		opt(f)
	}
	if c.Path == "" {
		return nil, fmt.Errorf("file sink: path is empty")
	}
	abs, err := filepath.Abs(c.Path)
	if err != nil {
		return nil, fmt.Errorf("file sink %s: %w", c.Path, err)
	}
	f.path = abs
	if f.format == "" {
		f.format = FormatAWSCredentials
	}
	if f.mode == 0 {
		f.mode = DefaultMode
	}
	switch f.format {
	case FormatAWSCredentials:
		if f.profile == "" {
			f.profile = DefaultProfile
		}
		if !validProfile(f.profile) {
			return nil, fmt.Errorf("file sink %s: profile %q: want a name without spaces, brackets, '#' or ';'", f.path, f.profile)
		}
	case FormatEnv, FormatJSON:
		f.profile = ""
	case FormatTemplate:
		f.profile = ""
		if f.tmpl, err = parseTemplate(c.Template, c.TemplateFile); err != nil {
			return nil, fmt.Errorf("file sink %s: %w", f.path, err)
		}
	default:
		return nil, fmt.Errorf("file sink %s: unknown format %q", f.path, f.format)
	}
	if f.tmpl == nil && c.Template != "" {
		return nil, fmt.Errorf("file sink %s: a template only applies with format: template", f.path)
	}
	if f.mode&^os.ModePerm != 0 {
		return nil, fmt.Errorf("file sink %s: mode %#o: want permission bits only", f.path, uint32(c.Mode))
	}
	if c.Owner != "" {
		o, err := parseOwner(c.Owner)
		if err != nil {
			return nil, fmt.Errorf("file sink %s: %w", f.path, err)
		}
		f.owner = &o
	}
	return f, nil
}

// validProfile reports whether name can be written as an INI section header
// that the AWS SDK reads back as name.
func validProfile(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("[]#;", r) {
			return false
		}
	}
	return true
}

// Put writes c's access key id and secret access key to the file and
// returns once the new file is durable (file and directory synced). For
// aws-credentials it changes only its profile's section and keeps the rest
// of the file byte for byte. Put does not start if ctx is already done.
// Errors name the path and the failing step, never the secret access key
// or the file's contents.
func (f *File) Put(ctx context.Context, c sink.Credential) error {
	if err := ctx.Err(); err != nil {
		return f.errorf("%w", err)
	}
	if err := checkValue(c.AccessKeyID); err != nil {
		return f.errorf("access key id %w", err)
	}
	if err := checkValue(c.SecretAccessKey.Reveal()); err != nil {
		return f.errorf("secret access key %w", err)
	}
	unlock, err := lockPath(ctx, f.path)
	if err != nil {
		return f.errorf("%w", err)
	}
	defer unlock()

	d, err := f.openDir()
	if err != nil {
		return f.errorf("%w", err)
	}
	defer d.Close()
	var old []byte
	if f.format == FormatAWSCredentials {
		if old, err = f.readExisting(d); err != nil {
			return f.errorf("read: %w", err)
		}
	} else if err := f.checkExisting(d); err != nil {
		return f.errorf("%w", err)
	}
	data, err := f.render(old, c)
	if err != nil {
		return f.errorf("%w", err)
	}
	if err := f.write(d, data); err != nil {
		return f.errorf("write: %w", err)
	}
	return nil
}

// errorf returns an error prefixed with "file sink PATH: ". A refusal of
// safefile about PATH itself loses its own "PATH: " (see shortRefusal).
func (f *File) errorf(format string, args ...any) error {
	for i, a := range args {
		var ue *safefile.Error
		if err, ok := a.(error); ok && errors.As(err, &ue) && ue.Path == f.path && err == error(ue) {
			args[i] = shortRefusal{ue}
		}
	}
	return fmt.Errorf("file sink %s: "+format, append([]any{f.path}, args...)...)
}

// shortRefusal is a safefile refusal printed without its path, which the
// sink's own prefix already names; errors.Is and As still see it.
type shortRefusal struct{ e *safefile.Error }

func (r shortRefusal) Error() string { return r.e.Msg }
func (r shortRefusal) Unwrap() error { return r.e }

package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/config/edit"
	"github.com/rotatord/rotatord/internal/sink/file"
)

// adoptFlags are `rotatord adopt`'s flags: discover's target and filters,
// the folder, the sink templates and the secret options it shares with
// `rotatord secret create aws`.
type adoptFlags struct {
	discoverFlags
	folder string
	dryRun bool
	secret secretFlags
}

// adoptSecretFlags are the flags of `secret create aws` that adopt
// takes, with the same definitions.
var adoptSecretFlags = []string{"grace-rotation", "auto-rotate", "rotation-interval", "rotation-hour", "rotation-timezone", "catch-up", "delete-protection", "sink"}

func (c *cli) adoptCommand() *cobra.Command {
	var f adoptFlags
	cmd := &cobra.Command{
		Use:   "adopt --target NAME [--folder /prod/] [--path-prefix /x/] [--older-than 90d] [--unmanaged] [--sink TEMPLATE ...] [options] [--dry-run]",
		Short: "Add a rotated secret for each IAM user discover finds",
		Long: `adopt runs discover on a target (the same --target, --source and filters)
and adds one rotated secret per IAM user it finds to the configuration
file, in one edit: FOLDER + the user's name (--folder /prod/ makes
/prod/alice), target, user_name, authentication_credentials:
use-target-creds, rotator_type: api-key and the access_key_id of the user's
key. No secret access key is needed: the secret's first rotation creates a
new key with the target's credentials, verifies it and delivers it to the
sinks; the key that was adopted is then retired as any previous key is
(kept until the next rotation with --grace-rotation true).

A user is selected when one of its keys passes the filters. It is adopted
only when it has exactly one access key, active, that no secret holds;
otherwise it is listed under "not adopted" on standard error with the
reason, and nothing is guessed:
  - two access keys (delete or deactivate the one no longer used first),
  - its only key is inactive,
  - a key is already managed (a secret's access_key_id, or a key in the
    state store), or the user is already a secret's user_name, on this or
    another target,
  - a secret of that name is already in the file,
  - the user's name cannot be a secret name (IAM allows a comma; a secret
    name's segments hold only letters, digits and _.+=@-).

--sink takes a template: {user} becomes the IAM user's name, as in
  --sink 'file:/run/rotatord/{user}.ini,profile={user}'
Any other {placeholder} is refused. --grace-rotation, --auto-rotate,
--rotation-interval, --rotation-hour, --rotation-timezone, --catch-up and
--delete-protection are written to every new secret when given, as by
rotatord secret create aws. Adopted keys are often long overdue: with
--catch-up immediate their first rotation runs as soon as the daemon has
read the new file, not at the next rotation hour.

--dry-run prints the YAML entries it would add to secrets: on standard
output and changes nothing.

Exit status: 0 when the command ran, whether or not every selected user
was adopted (the "not adopted" list says why); 1 when discovery or the
edit failed; 2 for bad usage or when the edit would make the file invalid
(nothing is then changed).
` + editNote,
		Example: `  rotatord adopt --target prod --folder /prod/ --path-prefix /prod/ --older-than 90d \
    --sink 'file:/run/rotatord/{user}.ini,profile={user}' --grace-rotation true --dry-run`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.adopt(cmd, &f) },
	}
	fl := cmd.Flags()
	f.discoverFlags.register(fl)
	fl.Lookup("target").Usage = "the `target` whose users are adopted (default: the only target)"
	fl.StringVar(&f.folder, "folder", "/", "the `folder` the new secrets go in: FOLDER + the user's name")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the YAML that would be added and change nothing")
	shared := &cobra.Command{}
	f.secret.register(shared)
	for _, name := range adoptSecretFlags {
		fl.AddFlag(shared.Flags().Lookup(name))
	}
	fl.Lookup("sink").Usage = "deliver each new key to `TEMPLATE`, a file sink as in secret create aws, where {user} is the IAM user's name: file:/run/rotatord/{user}.ini,profile={user}; repeat for more"
	return cmd
}

func (c *cli) adopt(cmd *cobra.Command, f *adoptFlags) error {
	opts, err := f.options()
	if err != nil {
		return errUsage{err}
	}
	folder, err := config.CanonicalFolder(f.folder)
	if err != nil {
		return errUsage{fmt.Errorf("--folder: %w", err)}
	}
	for _, t := range f.secret.sinks {
		if _, bad, err := expandSink(t, "user"); err != nil {
			return err
		} else if bad != "" {
			return errUsage{fmt.Errorf("--sink %q: profile %q may only hold letters, digits and ._-", t, bad)}
		}
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	// Every key of the users under the path is read, so that a user's
	// second key is seen even when only one passes the filters.
	sel := selection{olderThan: opts.OlderThan, unmanaged: opts.Unmanaged, now: time.Now().UTC()}
	opts.OlderThan, opts.Unmanaged = 0, false
	opts.Now = func() time.Time { return sel.now }
	keys, err := c.discoverKeys(cfg, "adopt", &f.target, &opts)
	if err != nil {
		return err
	}
	p := plan(cfg, f.target, folder, keys, sel)
	var entries []adoptEntry
	adopted := p.adopt[:0]
	for _, a := range p.adopt {
		e, reason, err := f.entry(cmd, a)
		switch {
		case err != nil:
			return err
		case reason != "":
			p.skipped = append(p.skipped, skipped{a.user, reason})
			continue
		}
		entries, adopted = append(entries, e), append(adopted, a)
	}
	p.adopt = adopted
	if f.dryRun {
		err = writeAdoptYAML(c.stdout, entries)
	} else if len(entries) > 0 {
		_, err = c.editConfig(func(d *edit.Document) error {
			for _, e := range entries {
				if err := e.add(d); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	c.reportAdopt(p, entries, f.dryRun)
	return nil
}

// entry makes the fields of the secret that adopts a, in the order the
// editor writes them (config.RotatedSecret's), so that --dry-run prints
// what the file gets.
// A user whose name the sinks cannot take gets a reason instead.
func (f *adoptFlags) entry(cmd *cobra.Command, a adoptee) (e adoptEntry, reason string, err error) {
	e = adoptEntry{name: a.name, fields: edit.Fields{
		{Key: "target", Value: a.target},
		{Key: "authentication_credentials", Value: config.UseTargetCreds},
		{Key: "rotator_type", Value: config.RotatorAPIKey},
		{Key: "access_key_id", Value: a.keyID},
		{Key: "user_name", Value: a.user},
	}}
	u := f.secret
	u.sinks = nil
	for _, t := range f.secret.sinks {
		s, bad, err := expandSink(t, a.user)
		if err != nil {
			return e, "", err
		}
		if bad != "" {
			return e, fmt.Sprintf("--sink %q would give it the profile %q, but a profile may only hold letters, digits and ._-; adopt it with another --sink", t, bad), nil
		}
		u.sinks = append(u.sinks, s)
	}
	for _, m := range secretFields {
		if !cmd.Flags().Changed(m.flag) {
			continue
		}
		v, err := u.value(m.field)
		if err != nil {
			return e, "", err
		}
		e.fields = append(e.fields, edit.Field{Key: m.field, Value: v})
	}
	return e, "", nil
}

// expandSink replaces {user} in a --sink template with user and checks
// the result as secret create aws's --sink. Any other placeholder is a
// usage error. badProfile is the result's profile when it is not one a
// file sink may have (a user name may hold +=,.@).
func expandSink(tmpl, user string) (sink, badProfile string, err error) {
	var b strings.Builder
	rest := tmpl
	for {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		if rest[i] == '}' {
			return "", "", errUsage{fmt.Errorf("--sink %q: a } without its {; the only placeholder is {user}", tmpl)}
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", "", errUsage{fmt.Errorf("--sink %q: a { without its }; the only placeholder is {user}", tmpl)}
		}
		if ph := rest[i : i+j+1]; ph != "{user}" {
			return "", "", errUsage{fmt.Errorf("--sink %q: unknown placeholder %s; the only placeholder is {user}", tmpl, ph)}
		}
		b.WriteString(rest[:i])
		b.WriteString(user)
		rest = rest[i+j+1:]
	}
	s := b.String()
	fs, err := parseSink(s)
	if err != nil {
		return "", "", err
	}
	for _, fl := range fs {
		if p, _ := fl.Value.(string); fl.Key == "profile" && !file.ProfileName(p) {
			return s, p, nil
		}
	}
	return s, "", nil
}

// adoptEntry is one secret adopt adds: its name and fields in order.
type adoptEntry struct {
	name   string
	fields edit.Fields
}

// add appends the secret to d.
func (e adoptEntry) add(d *edit.Document) error {
	en, err := d.AddSecret(e.name)
	if err != nil {
		return errUsage{err}
	}
	for _, fl := range e.fields {
		if err := en.Set(fl.Key, fl.Value); err != nil {
			return err
		}
	}
	return nil
}

// reportAdopt prints what was (or would be) adopted on stdout, unless it
// printed YAML there, and what was not, with the reason, on stderr.
func (c *cli) reportAdopt(p adoptPlan, entries []adoptEntry, dryRun bool) {
	if !dryRun {
		for _, a := range p.adopt {
			fmt.Fprintf(c.stdout, "adopted %s: user %s, key %s\n", a.name, a.user, a.keyID)
		}
		if len(entries) > 0 {
			fmt.Fprintf(c.stdout, "added %d secrets to %s; each one's first rotation creates and delivers its new key; %s\n", len(entries), c.configPath, reloadNote)
		}
	}
	if len(p.skipped) > 0 {
		fmt.Fprintf(c.stderr, "not adopted (%d):\n", len(p.skipped))
		for _, s := range p.skipped {
			fmt.Fprintf(c.stderr, "  %s: %s\n", s.user, s.reason)
		}
	}
	if len(p.adopt) == 0 {
		fmt.Fprintln(c.stderr, "rotatord: no user was adopted")
	}
}

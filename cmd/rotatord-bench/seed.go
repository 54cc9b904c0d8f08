package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rotatord/rotatord/internal/state"
)

// seed creates the IAM users and keys, the configuration and the state of
// secrets last rotated 40 days ago on a 30-day interval: all due now, with
// catch_up: immediate.
func (w *world) seed(ctx context.Context) error {
	o := w.o
	for t := range o.Targets {
		w.admins = append(w.admins, w.fake.SeedUser(fmt.Sprintf("%sadmin-%d", w.prefix, t), true))
	}
	w.users = make([]aws.Credentials, o.Secrets)
	for i := range o.Secrets {
		w.users[i] = w.fake.SeedUser(w.userName(i), false)
	}
	key, err := state.NewProtectionKey()
	if err != nil {
		return err
	}
	files := map[string]string{"protection.key": key}
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\nworkers: %d\nlisten: 127.0.0.1:0\ncontrol_socket: %s\nstate:\n  path: state.db\n  protection_key_file: protection.key\ntargets:\n",
		o.Workers, filepath.Join(w.dir, "c.sock"))
	rate := fmt.Sprintf("%g", o.RateLimit)
	if o.RateAuto {
		rate = fmt.Sprintf("auto\n    rate_limit_max: %g", o.RateLimit)
	}
	for t, a := range w.admins {
		files[fmt.Sprintf("t%d.secret", t)] = a.SecretAccessKey
		fmt.Fprintf(&b, "  - name: t%d\n    endpoint: %s\n    access_key_id: %s\n    secret_access_key_file: t%d.secret\n    rate_limit: %s\n",
			t, w.endpoint, a.AccessKeyID, t, rate)
	}
	b.WriteString("secrets:\n")
	for i, u := range w.users {
		fmt.Fprintf(&b, "  - name: /bench/s%06d\n    target: t%d\n    authentication_credentials: use-target-creds\n    access_key_id: %s\n    user_name: %s\n",
			i, i%o.Targets, u.AccessKeyID, w.userName(i))
		if o.KeyFiles != 0 {
			fmt.Fprintf(&b, "    secret_access_key_file: keys/s%06d.secret\n", i)
		}
		fmt.Fprintf(&b, "    auto_rotate: true\n    rotation_interval: 30\n    rotation_hour: 3\n    catch_up: immediate\n    sinks:\n      - {type: file, path: %s/%06d.ini, profile: p}\n",
			w.sinkDir, i)
	}
	if err := w.writeKeyFiles(); err != nil {
		return err
	}
	files["rotatord.yaml"] = b.String()
	// w.dir is the benchmark's own work directory (0700): not configured
	// paths, but the files it makes for the daemon it measures.
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(w.dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	return w.seedState(ctx, key)
}

// writeKeyFiles writes each secret's key file, with -key-files.
func (w *world) writeKeyFiles() error {
	if w.o.KeyFiles == 0 {
		return nil
	}
	dir := filepath.Join(w.dir, "keys")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	for i, u := range w.users {
		p := filepath.Join(dir, fmt.Sprintf("s%06d.secret", i))
		if err := os.WriteFile(p, []byte(u.SecretAccessKey+"\n"), w.o.KeyFiles); err != nil {
			return err
		}
		if err := os.Chmod(p, w.o.KeyFiles); err != nil { // past the umask
			return err
		}
	}
	return nil
}

// seedState records every secret as last rotated 40 days ago (with
// Reload, a day ago), its user known, as a daemon restarted after a long
// stop would find it.
func (w *world) seedState(ctx context.Context, key string) error {
	raw, err := state.ParseProtectionKey(key)
	if err != nil {
		return err
	}
	st, err := state.Open(filepath.Join(w.dir, "state.db"), raw)
	if err != nil {
		return err
	}
	defer st.Close()
	last := time.Now().AddDate(0, 0, -40)
	if w.o.Reload {
		last = time.Now().AddDate(0, 0, -1)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	next := make(chan int)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				u := w.users[i]
				err := st.Update(ctx, fmt.Sprintf("/bench/s%06d", i), func(tx *state.Tx) error {
					s := tx.Secret
					s.UserName, s.UserARN, s.LastRotation = w.userName(i), w.fake.UserARN(w.userName(i)), last
					s.Versions = []state.Version{{N: 1, AccessKeyID: u.AccessKeyID, Created: last, State: state.Current, Imported: true}}
					return nil
				})
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range w.users {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// userName is the IAM user of secret i.
func (w *world) userName(i int) string { return fmt.Sprintf("%su%06d", w.prefix, i) }

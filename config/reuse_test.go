package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// reuseFile is a configuration of n secrets over three chunks, with the
// references Load resolves: secret files, webhook URL files and
// variables, template files.
func reuseFile(n int) (head string, items []string) {
	head = "version: 1\nstate: {protection_key_env: ROTATORD_KEY}\ntargets:\n" +
		"  - {name: prod, access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key_env: PROD_SECRET}\nsecrets:\n"
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "  - name: /app/s%04d\n    target: prod\n    access_key_id: AKIA%016d\n", i, i)
		switch i % 4 {
		case 0:
			b.WriteString("    secret_access_key_file: user.secret\n")
		case 1:
			b.WriteString("    authentication_credentials: use-target-creds\n    auto_rotate: true\n    rotation_interval: 30\n")
		case 2:
			b.WriteString("    secret_access_key_env: USER_SECRET\n    grace_period: 3\n")
		case 3:
			b.WriteString("    authentication_credentials: use-target-creds\n    auto_rotate: true\n    rotation_schedule: \"0 3 * * MON\"\n")
			if i == 3 { // a warning: secrets[3] is decoded again each time
				b.WriteString("    notify_before: [7, 1]\n")
			}
		}
		fmt.Fprintf(&b, "    sinks:\n      - {type: file, path: /run/s/%04d.ini, profile: p}\n", i)
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "      - {type: webhook, url_file: hook.url, hmac_secret_env: HOOK_HMAC, bearer_token: tok%d}\n", i)
		case 1:
			fmt.Fprintf(&b, "      - {type: file, path: /run/s/%04d.conf, format: template, template_file: t.tmpl}\n", i)
		}
		items = append(items, b.String())
	}
	return head, items
}

// TestReuseMatchesFullLoad loads a file, changes it in the ways a reload
// meets, and checks that loading it with the previous Config gives exactly
// what a full load gives, positions and resolved secrets included, and
// that unchanged secrets were indeed reused.
func TestReuseMatchesFullLoad(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"user.secret": "user-secret-1", "hook.url": "https://hooks.example/1", "t.tmpl": "id={{.AccessKeyID}}"}
	for name, data := range files {
		writeFile(t, dir, name, data, 0o600)
	}
	env := lookupIn(map[string]string{"ROTATORD_KEY": testKey, "PROD_SECRET": "prod-secret", "USER_SECRET": "user-env-secret", "HOOK_HMAC": "hmac"})
	head, items := reuseFile(3 * chunkSize)
	path := filepath.Join(dir, "rotatord.yaml")
	write := func(head string, items []string) {
		writeFile(t, dir, "rotatord.yaml", head+strings.Join(items, ""), 0o600)
	}
	write(head, items)
	prev, err := LoadWith(path, LoadOptions{LookupEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	if prev.items == nil {
		t.Fatal("the file was not decoded in chunks")
	}
	edit := func(f func(items []string) []string) []string { return f(append([]string(nil), items...)) }
	for _, c := range []struct {
		name      string
		head      string
		items     []string
		files     map[string]string
		minReused int // of 1536
		wantErr   string
	}{
		{name: "unchanged", head: head, items: items, minReused: 1535},
		{name: "1% rescheduled", head: head, items: edit(func(it []string) []string {
			for i := 1; i < len(it); i += 100 {
				it[i] = strings.Replace(it[i], "rotation_interval: 30", "rotation_interval: 7", 1)
			}
			return it
		}), minReused: 1499},
		{name: "one inserted first", head: head, items: append([]string{"  - {name: /app/new, target: prod, access_key_id: AKIANEWNEWNEWNEW0000, authentication_credentials: use-target-creds}\n"}, items...), minReused: 1535},
		{name: "one removed, two swapped", head: head, items: edit(func(it []string) []string {
			it[10], it[11] = it[11], it[10]
			return append(it[:100], it[101:]...)
		}), minReused: 1534},
		{name: "a file's content changed", head: head, items: items, files: map[string]string{"user.secret": "user-secret-2", "hook.url": "https://hooks.example/2"}, minReused: 1535},
		{name: "a duplicate name", head: head, items: append(edit(func(it []string) []string { return it }), strings.Replace(items[5], "s0005.ini", "dup.ini", 1)), wantErr: "is already the name of secrets[5]"},
		{name: "an error in one", head: head, items: edit(func(it []string) []string {
			it[700] = strings.Replace(it[700], "target: prod", "target: nope", 1)
			return it
		}), wantErr: `unknown target "nope"`},
		{name: "outside changed", head: strings.Replace(head, "targets:\n", "workers: 4\ntargets:\n", 1), items: items},
	} {
		t.Run(c.name, func(t *testing.T) {
			for name, data := range files {
				writeFile(t, dir, name, data, 0o600)
			}
			for name, data := range c.files {
				writeFile(t, dir, name, data, 0o600)
			}
			write(c.head, c.items)
			got, gerr := LoadWith(path, LoadOptions{LookupEnv: env, Previous: prev})
			want, werr := LoadWith(path, LoadOptions{LookupEnv: env})
			if fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Fatalf("with reuse:\n%v\nfull load:\n%v", gerr, werr)
			}
			if c.wantErr != "" {
				var es Errors
				if !errors.As(gerr, &es) || !strings.Contains(gerr.Error(), c.wantErr) {
					t.Fatalf("error %v, want one saying %q", gerr, c.wantErr)
				}
				return
			}
			if gerr != nil {
				t.Fatal(gerr)
			}
			if !reflect.DeepEqual(got.Secrets, want.Secrets) {
				for i := range got.Secrets {
					if !reflect.DeepEqual(got.Secrets[i], want.Secrets[i]) {
						t.Fatalf("secrets[%d] differs:\nreused %+v\nfull   %+v", i, got.Secrets[i], want.Secrets[i])
					}
				}
				t.Fatal("secrets differ")
			}
			if fmt.Sprint(got.Warnings) != fmt.Sprint(want.Warnings) {
				t.Errorf("warnings differ:\n%v\n%v", got.Warnings, want.Warnings)
			}
			if got.items.reused < c.minReused {
				t.Errorf("%d secrets reused, want at least %d", got.items.reused, c.minReused)
			}
			if c.minReused == 0 && got.items.reused != 0 {
				t.Errorf("%d secrets reused though the text around them changed", got.items.reused)
			}
		})
	}
}

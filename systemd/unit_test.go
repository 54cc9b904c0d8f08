// Package systemd holds rotatord's systemd unit, sysusers.d and tmpfiles.d
// files. Its tests check the unit's essentials and its sandbox with
// systemd-analyze.
package systemd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	unitFile     = "rotatord.service"
	sysusersFile = "rotatord.sysusers"
	tmpfilesFile = "rotatord.tmpfiles"

	// maxExposure is the highest overall exposure level that
	// `systemd-analyze security` may report for the unit.
	maxExposure = 1.5
	// defaultShutdownTimeout is config.DefaultShutdownTimeout: TimeoutStopSec
	// must leave rotatord that long to stop cleanly.
	defaultShutdownTimeout = 30 * time.Second
)

// unit is a parsed unit file: section -> key -> values in file order.
type unit map[string]map[string][]string

// parseUnit reads a systemd unit file: [Section] headers, Key=Value lines,
// comments starting with # or ;, and lines continued with a trailing
// backslash.
func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u := unit{}
	section := ""
	var cont strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cont.Len() == 0 && (line == "" || line[0] == '#' || line[0] == ';') {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cont.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		if cont.Len() > 0 {
			line = cont.String() + line
			cont.Reset()
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			t.Fatalf("%s:%d: not a [Section] or Key=Value line: %q", path, n, line)
		}
		k = strings.TrimSpace(k)
		u[section][k] = append(u[section][k], strings.TrimSpace(v))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// last returns the effective (last) value of section's key and whether the
// key is set at all.
func (u unit) last(section, key string) (string, bool) {
	vs := u[section][key]
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// parseTimespan parses the systemd time spans the unit uses: "45s",
// "5min", "1min 30s", "10min", or a bare number of seconds.
func parseTimespan(s string) (time.Duration, error) {
	units := []struct {
		suffix string
		d      time.Duration
	}{{"min", time.Minute}, {"ms", time.Millisecond}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}}
	var total time.Duration
	for _, f := range strings.Fields(s) {
		d := time.Second
		for _, u := range units {
			if strings.HasSuffix(f, u.suffix) {
				f, d = strings.TrimSuffix(f, u.suffix), u.d
				break
			}
		}
		n, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return 0, errors.New("not a time span: " + s)
		}
		total += time.Duration(n * float64(d))
	}
	return total, nil
}

func TestUnitEssentials(t *testing.T) {
	u := parseUnit(t, unitFile)
	want := map[string]string{
		"Type":                       "notify",
		"NotifyAccess":               "main",
		"ExecStart":                  "/usr/bin/rotatord run -c /etc/rotatord/rotatord.yaml --log-format json",
		"ExecReload":                 "/bin/kill -HUP $MAINPID",
		"Restart":                    "on-failure",
		"User":                       "rotatord",
		"Group":                      "rotatord",
		"StateDirectory":             "rotatord",
		"StateDirectoryMode":         "0700",
		"RuntimeDirectory":           "rotatord",
		"RuntimeDirectoryMode":       "0750",
		"ConfigurationDirectory":     "rotatord",
		"ConfigurationDirectoryMode": "0750",
		"UMask":                      "0077",
		"CapabilityBoundingSet":      "",
		"AmbientCapabilities":        "",
		"NoNewPrivileges":            "yes",
		"ProtectSystem":              "strict",
		"RestrictAddressFamilies":    "AF_UNIX AF_INET AF_INET6",
		// No core file may hold the keys in rotatord's memory.
		"LimitCORE": "0",
	}
	for k, v := range want {
		got, ok := u.last("Service", k)
		switch {
		case !ok:
			t.Errorf("[Service] %s= is missing; want %s=%s", k, k, v)
		case got != v:
			t.Errorf("[Service] %s=%s; want %s=%s", k, got, k, v)
		}
	}
	if v, _ := u.last("Service", "DynamicUser"); v != "" && v != "no" && v != "false" {
		t.Errorf("DynamicUser=%s: the state and configuration need a stable owner (User=rotatord)", v)
	}

	// The watchdog must be on, and systemd must wait longer than rotatord's
	// own shutdown_timeout before it sends SIGKILL.
	if v, ok := u.last("Service", "WatchdogSec"); !ok {
		t.Error("WatchdogSec= is missing")
	} else if d, err := parseTimespan(v); err != nil || d <= 0 {
		t.Errorf("WatchdogSec=%s: want a positive time span (%v)", v, err)
	}
	if v, ok := u.last("Service", "TimeoutStopSec"); !ok {
		t.Error("TimeoutStopSec= is missing")
	} else if d, err := parseTimespan(v); err != nil || d <= defaultShutdownTimeout {
		t.Errorf("TimeoutStopSec=%s: want more than the default shutdown_timeout %v (%v)", v, defaultShutdownTimeout, err)
	}

	// Both filter lines must be there: the allow list and what it removes.
	filters := strings.Join(u["Service"]["SystemCallFilter"], "\n")
	for _, f := range []string{"@system-service", "~@privileged @resources"} {
		if !strings.Contains(filters, f) {
			t.Errorf("SystemCallFilter= lacks %q (have %q)", f, filters)
		}
	}
	if v, _ := u.last("Install", "WantedBy"); v != "multi-user.target" {
		t.Errorf("[Install] WantedBy=%s; want multi-user.target", v)
	}
}

// TestSysusersAndTmpfiles checks that the user the unit runs as is the one
// sysusers.d creates, and that tmpfiles.d gives it /etc/rotatord.
func TestSysusersAndTmpfiles(t *testing.T) {
	u := parseUnit(t, unitFile)
	user, _ := u.last("Service", "User")

	lines := func(path string) [][]string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && l[0] != '#' {
				out = append(out, splitQuoted(l))
			}
		}
		return out
	}

	su := lines(sysusersFile)
	if len(su) != 1 {
		t.Fatalf("%s: want one line, have %d", sysusersFile, len(su))
	}
	if want := []string{"u", user, "-", "rotatord key rotation", "/var/lib/rotatord"}; strings.Join(su[0], "|") != strings.Join(want, "|") {
		t.Errorf("%s: %q; want %q", sysusersFile, su[0], want)
	}

	tf := lines(tmpfilesFile)
	found := false
	for _, f := range tf {
		if len(f) >= 5 && f[0] == "d" && f[1] == "/etc/rotatord" {
			found = true
			if f[2] != "0750" || f[3] != "root" || f[4] != user {
				t.Errorf("%s: %q; want d /etc/rotatord 0750 root %s", tmpfilesFile, f, user)
			}
		}
	}
	if !found {
		t.Errorf("%s: no line for /etc/rotatord", tmpfilesFile)
	}
}

// splitQuoted splits a sysusers.d/tmpfiles.d line into fields; a field in
// double quotes may hold spaces.
func splitQuoted(l string) []string {
	var out []string
	l = strings.ReplaceAll(l, "\t", " ")
	for l = strings.TrimSpace(l); l != ""; l = strings.TrimSpace(l) {
		if l[0] == '"' {
			if end := strings.IndexByte(l[1:], '"'); end >= 0 {
				out = append(out, l[1:end+1])
				l = l[end+2:]
				continue
			}
		}
		f, rest, _ := strings.Cut(l, " ")
		out = append(out, f)
		l = rest
	}
	return out
}

// systemdAnalyze returns the path of systemd-analyze, or skips the test.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	return p
}

// run runs systemd-analyze with plain, non-interactive output.
func run(t *testing.T, bin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(),
		"SYSTEMD_COLORS=0", // no ANSI colors ...
		"SYSTEMD_URLIFY=0", // ... and no file:// hyperlinks around the unit name
		"SYSTEMD_PAGER=",
		"PAGER=cat",
	)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

var (
	// escapes matches ANSI CSI sequences and OSC sequences (hyperlinks), in
	// case a systemd version ignores SYSTEMD_COLORS.
	escapes = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)`)
	// overall matches the summary line, `→ Overall exposure level for
	// rotatord.service: 1.1 OK 🙂` (or with "->" and ":-)" in a non-UTF-8
	// locale).
	overall = regexp.MustCompile(`Overall exposure level for [^\n]*?:\s*([0-9]+(?:\.[0-9]+)?)\b`)
)

// parseExposure returns the overall exposure level in systemd-analyze
// security's output.
func parseExposure(out string) (float64, bool) {
	m := overall.FindAllStringSubmatch(escapes.ReplaceAllString(out, ""), -1)
	if len(m) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[len(m)-1][1], 64)
	return v, err == nil
}

func TestParseExposure(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want float64
		ok   bool
	}{
		{"  NAME  DESCRIPTION  EXPOSURE\n✗ PrivateNetwork=  Service has access to the host's network  0.5\n\n→ Overall exposure level for rotatord.service: 1.1 OK 🙂\n", 1.1, true},
		{"-> Overall exposure level for rotatord.service: 9.6 UNSAFE :-{\n", 9.6, true},
		{"\u2192 \x1b[0;1;39mOverall exposure level for \x1b]8;;file:///x/rotatord.service\arotatord.service\x1b]8;;\a\x1b[0m: \x1b[0;1;32m1.5 OK\x1b[0m 🙂\n", 1.5, true},
		{"→ Overall exposure level for a:b.service: 10.0 UNSAFE 😨\n", 10, true},
		{"Unit rotatord.service not found.\n", 0, false},
	} {
		got, ok := parseExposure(tc.out)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseExposure(%q) = %v, %v; want %v, %v", tc.out, got, ok, tc.want, tc.ok)
		}
	}
}

// TestExposure runs `systemd-analyze security --offline=true` on the unit
// and fails if the overall exposure level is above maxExposure.
//
// The unit is copied into an empty root and analyzed by name with --root:
// given a path, systemd-analyze would also apply drop-ins from the host's
// /etc/systemd/system/rotatord.service.d/ (and from rotatord.service.d/ next
// to the file), and measure the combination instead of this file.
func TestExposure(t *testing.T) {
	bin := systemdAnalyze(t)
	root := t.TempDir()
	dir := filepath.Join(root, "etc", "systemd", "system")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, unitFile), data, 0o644); err != nil {
		t.Fatal(err)
	}

	threshold := strconv.Itoa(int(maxExposure * 10)) // --threshold is in tenths
	stdout, stderr, err := run(t, bin, "security", "--no-pager", "--offline=true", "--threshold="+threshold, "--root="+root, unitFile)
	if strings.Contains(stderr, "unrecognized option") || strings.Contains(stderr, "Unknown command verb") {
		t.Skipf("this systemd-analyze has no offline security analysis (systemd >= 250 has): %s", strings.TrimSpace(stderr))
	}
	level, ok := parseExposure(stdout)
	if !ok {
		t.Fatalf("no overall exposure level in the output of systemd-analyze security (%v)\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	t.Logf("overall exposure level: %.1f (at most %.1f)", level, maxExposure)
	if level > maxExposure {
		t.Errorf("overall exposure level %.1f is above %.1f:\n%s", level, maxExposure, stdout)
	}
	if err != nil {
		t.Errorf("systemd-analyze security --threshold=%s: %v\n%s", threshold, err, stderr)
	}
	// A misspelled or unparsable setting is only a warning on stderr
	// ("rotatord.service:54: Failed to parse time value, ignoring: 45x");
	// the exit status stays 0.
	if s := strings.TrimSpace(stderr); s != "" {
		t.Errorf("systemd-analyze security warned about the unit:\n%s", s)
	}
}

// TestVerify runs `systemd-analyze verify` on a copy of the unit whose
// ExecStart names an existing binary (this test's own; verify checks that
// the binary exists, and no flag turns that off). It catches what the
// security analysis ignores, such as a missing ExecReload binary.
func TestVerify(t *testing.T) {
	bin := systemdAnalyze(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	const rotatord = "ExecStart=/usr/bin/rotatord "
	if !bytes.Contains(data, []byte(rotatord)) {
		t.Fatalf("%s has no %q line", unitFile, rotatord)
	}
	data = bytes.ReplaceAll(data, []byte(rotatord), []byte("ExecStart="+exe+" "))
	// Another name than rotatord.service, so that drop-ins of an installed
	// rotatord on this host do not apply.
	unitCopy := filepath.Join(t.TempDir(), "rotatord-verify-test.service")
	if err := os.WriteFile(unitCopy, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := run(t, bin, "verify", "--no-pager", "--man=no", unitCopy)
	if strings.Contains(stderr, "not found") && !strings.Contains(stderr, "rotatord-verify-test.service:") {
		// e.g. a container without systemd's own units (multi-user.target).
		t.Skipf("this host cannot verify units: %s", strings.TrimSpace(stderr))
	}
	if err != nil || strings.TrimSpace(stderr) != "" {
		t.Errorf("systemd-analyze verify (%v):\n%s", err, stderr)
	}
}

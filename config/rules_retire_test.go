package config

import (
	"testing"
	"time"
)

func TestRetireWhenRules(t *testing.T) {
	unused := head + secret + "    retire_when: unused\n"
	runRules(t, []rule{
		{"unknown retire_when", head + secret + "    retire_when: later\n", `secrets[0].retire_when: "later" is not one of always, unused`},
		{"unused", unused, ""},
		{"max wait 14d", unused + "    retire_max_wait: 14d\n", ""},
		{"max wait in hours", unused + "    retire_max_wait: 36h\n", ""},
		{"max wait 365d", unused + "    retire_max_wait: 365d\n", ""},
		{"max wait 0", unused + "    retire_max_wait: 0s\n", "secrets[0].retire_max_wait: 0s is out of range: more than 0 and at most 365d"},
		{"max wait 0d", unused + "    retire_max_wait: 0d\n", "secrets[0].retire_max_wait: 0s is out of range"},
		{"max wait 400d", unused + "    retire_max_wait: 400d\n", "secrets[0].retire_max_wait: 400d is out of range: more than 0 and at most 365d"},
		{"max wait no unit", unused + "    retire_max_wait: 14\n", "secrets[0].retire_max_wait: 14 has no unit"},
		{"max wait garbage", unused + "    retire_max_wait: 2w\n", `secrets[0].retire_max_wait: "2w" is not a duration such as 90s, 2m or 14d`},
		{"max wait without unused", head + secret + "    retire_max_wait: 2d\n", "secrets[0].retire_max_wait: only applies with retire_when: unused"},
		{"keep", unused + "    retire_on_timeout: keep\n", ""},
		{"bad on timeout", unused + "    retire_on_timeout: wait\n", `secrets[0].retire_on_timeout: "wait" is not one of retire, keep`},
		{"on timeout without unused", head + secret + "    retire_on_timeout: keep\n", "secrets[0].retire_on_timeout: only applies with retire_when: unused"},
	})
}

func TestRetireWhenDefaults(t *testing.T) {
	c := mustParse(t, head+secret)
	if s := c.Secrets[0]; s.RetireWhen != RetireWhenAlways || s.RetireMaxWait != 0 || s.RetireOnTimeout != "" {
		t.Errorf("got %q %v %q, want always with no wait or timeout", s.RetireWhen, s.RetireMaxWait.D(), s.RetireOnTimeout)
	}
	c = mustParse(t, head+secret+"    retire_when: unused\n")
	if s := c.Secrets[0]; s.RetireMaxWait.D() != 14*24*time.Hour || s.RetireOnTimeout != RetireOnTimeoutRetire {
		t.Errorf("got %v %q, want 14 days and retire", s.RetireMaxWait.D(), s.RetireOnTimeout)
	}
}

func TestParseDurationDays(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"14d", 14 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"90s", 90 * time.Second, true},
		{"d", 0, false},
		{"-1d", 0, false},
		{"1d-1h", 0, false},
		{"xd", 0, false},
	} {
		got, err := ParseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if got := FormatDuration(14 * 24 * time.Hour); got != "14d" {
		t.Errorf("FormatDuration(14 days) = %q, want 14d", got)
	}
}

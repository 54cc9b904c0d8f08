package config

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestCanonicalName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"team-a/x", "/team-a/x"},
		{"/team-a/x", "/team-a/x"},
		{"x", "/x"},
		{"/", "/"},
		{"", ""},
		{"team-a/ci/deployer", "/team-a/ci/deployer"},
	} {
		if got := CanonicalName(tt.in); got != tt.want {
			t.Errorf("CanonicalName(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLookups(t *testing.T) {
	c := mustParse(t, head+secret+`  - {name: platform/prod-target, target: prod, rotator_type: target}
`)
	for _, tt := range []struct {
		name string
		got  any
		want string
	}{
		{"SecretByName canonical", name(c.SecretByName("/team-a/deployer")), "/team-a/deployer"},
		{"SecretByName without slash", name(c.SecretByName("team-a/deployer")), "/team-a/deployer"},
		{"SecretByName missing", name(c.SecretByName("/nope")), ""},
		{"TargetRotator prod", name(c.TargetRotator("prod")), "/platform/prod-target"},
		{"TargetRotator sandbox", name(c.TargetRotator("sandbox")), ""},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if tg := c.TargetByName("sandbox"); tg == nil || tg.Credentials != CredentialsDefault {
		t.Errorf("TargetByName(sandbox): got %+v", tg)
	}
}

func name(s *RotatedSecret) string {
	if s == nil {
		return ""
	}
	return s.Name
}

func TestClosest(t *testing.T) {
	known := []string{"rotation_interval", "rotation_hour", "rotation_schedule", "secret_access_key", "secret_access_key_file", "format", "version"}
	for _, tt := range []struct{ in, want string }{
		{"rotaton_hour", "rotation_hour"},
		{"rotationHour", "rotation_hour"},
		{"rotation-interval", "rotation_interval"},
		{"fromat", "format"},
		{"verison", "version"},
		{"interval", "rotation_interval"},
		{"secret_access_key_filename", "secret_access_key_file"},
		{"colour", ""},
		{"x", ""},
	} {
		if got := closest(tt.in, known); got != tt.want {
			t.Errorf("closest(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLooksSecret(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true},
		{"/etc/rotatord/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true},
		{"cm90YXRvcmQtdGVzdC1wcm90ZWN0aW9uLWtleS0zMmI=", true},
		{"AKIAIOSFODNN7EXAMPLE", false},
		{"/etc/rotatord/prod.secret", false},
		{"ROTATORD_PROD_SECRET_ACCESS_KEY_FOR_TEAM_A", false},
		{"/team-a/ci/deployer", false},
	} {
		if got := looksSecret(tt.in); got != tt.want {
			t.Errorf("looksSecret(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseScheduleUTC(t *testing.T) {
	s, err := ParseSchedule("0 3 * * *")
	if err != nil {
		t.Fatal(err)
	}
	if ss, ok := s.(*cron.SpecSchedule); !ok || ss.Location != time.UTC {
		t.Errorf("got schedule %#v, want a SpecSchedule in UTC", s)
	}
	from := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	if got, want := s.Next(from), time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Next(%v): got %v, want %v", from, got, want)
	}
	if _, err := ParseSchedule("CRON_TZ=Asia/Tokyo 0 3 * * *"); err == nil {
		t.Error("time zone prefix accepted")
	}
}

// TestClassesMatchRegexps checks each character class against the regular
// expression it replaced.
func TestClassesMatchRegexps(t *testing.T) {
	for re, c := range map[string]*charClass{
		`^[A-Za-z0-9._-]+$`:           targetNameRe,
		`^[A-Za-z0-9_.+=@-]+$`:        secretSegRe,
		`^[A-Z0-9]{16,128}$`:          accessKeyIDRe,
		`^[\w+=,.@-]{1,64}$`:          iamUserRe,
		`^[\w+=,.@-]{2,64}$`:          sessionNameRe,
		`^[\w+=,.@:/-]+$`:             externalIDRe,
		`^[A-Za-z0-9/+]{40}$`:         awsSecretRe,
		`^[A-Za-z0-9_-]+$`:            plainKeyRe,
		`^[A-Za-z0-9/_+=.@-]{1,512}$`: smNameRe,
		`^[a-zA-Z0-9_.\-/]+$`:         ssmParamRe,
	} {
		r := regexp.MustCompile(re)
		inputs := []string{"", "a", "AKIAIOSFODNN7EXAMPLE", strings.Repeat("x", 64), strings.Repeat("x", 65), strings.Repeat("A", 129)}
		for b := range 256 {
			inputs = append(inputs, "ab"+string(rune(b)), string([]byte{byte(b)}), strings.Repeat("A1", 8)+string([]byte{byte(b)}))
		}
		for _, s := range inputs {
			if got, want := c.MatchString(s), r.MatchString(s); got != want {
				t.Errorf("%s on %q: class says %v", re, s, got)
			}
		}
	}
}

package config

import (
	"strings"
	"testing"
)

func TestCanonicalFolder(t *testing.T) {
	for _, tt := range []struct {
		in, want, err string
	}{
		{in: "/team-a/", want: "/team-a/"},
		{in: "/team-a", want: "/team-a/"},
		{in: "/team-a/ci", want: "/team-a/ci/"},
		{in: "/", want: "/"},
		{in: "team-a/", err: `folder "team-a/" does not start with /`},
		{in: "team-a", err: `folder "team-a" does not start with /`},
		{in: "", err: `folder "" does not start with /`},
		{in: "/team-a//ci/", err: `folder "/team-a//ci/" has an empty segment`},
		{in: "//", err: `folder "//" is empty`},
		{in: "/team-a/../b/", err: `folder "/team-a/../b/" has a ".." segment`},
		{in: "/team a/", err: `folder "/team a/" segment "team a" may only hold`},
	} {
		got, err := CanonicalFolder(tt.in)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("CanonicalFolder(%q): %v, want %q", tt.in, err, tt.want)
		case tt.err == "" && got != tt.want:
			t.Errorf("CanonicalFolder(%q): got %q, want %q", tt.in, got, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("CanonicalFolder(%q): got %q, %v; want an error saying %q", tt.in, got, err, tt.err)
		}
	}
}

func TestCanonicalFolderHidesSecrets(t *testing.T) {
	key := "/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	_, err := CanonicalFolder(key[1:])
	if err == nil || strings.Contains(err.Error(), key[1:]) {
		t.Errorf("got %v, want an error that does not show the secret-looking folder", err)
	}
}

func TestInFolder(t *testing.T) {
	for _, tt := range []struct {
		name, folder string
		want         bool
	}{
		{"/team-a/x", "/team-a/", true},
		{"/team-a/ci/y", "/team-a/", true},
		{"/team-ab/z", "/team-a/", false},
		{"/team-ab/z", "/team-a", false},
		{"/team-a/x", "/team-a", true},
		{"team-a/x", "/team-a/", true},
		{"/team-a/x", "team-a", true},
		{"/team-a", "/team-a/", false},
		{"/team-a/ci/y", "/team-a/ci/", true},
		{"/team-a/x", "/team-a/ci/", false},
		{"/team-b/x", "/team-a/", false},
		{"/x", "/", true},
		{"/team-a/ci/y", "/", true},
		{"/x", "", false},
		{"", "/", false},
	} {
		if got := InFolder(tt.name, tt.folder); got != tt.want {
			t.Errorf("InFolder(%q, %q): got %v, want %v", tt.name, tt.folder, got, tt.want)
		}
	}
}

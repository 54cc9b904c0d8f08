package state

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/config"
)

func TestSealerBindsNameAndKeyID(t *testing.T) {
	s, err := NewSealer(testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewSealer(testKey(2))
	if err != nil {
		t.Fatal(err)
	}
	const value = config.SecretValue("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	sealed := s.Seal("/a", "AKIAX", value)

	tests := []struct {
		name   string
		sealer *Sealer
		secret string
		keyID  string
		data   []byte
		ok     bool
	}{
		{name: "same secret and key id", sealer: s, secret: "/a", keyID: "AKIAX", data: sealed, ok: true},
		{name: "other secret", sealer: s, secret: "/b", keyID: "AKIAX", data: sealed},
		{name: "other key id", sealer: s, secret: "/a", keyID: "AKIAY", data: sealed},
		{name: "parts shifted", sealer: s, secret: "/aA", keyID: "KIAX", data: sealed},
		{name: "other protection key", sealer: other, secret: "/a", keyID: "AKIAX", data: sealed},
		{name: "altered byte", sealer: s, secret: "/a", keyID: "AKIAX", data: flip(sealed, len(sealed)-1)},
		{name: "altered nonce", sealer: s, secret: "/a", keyID: "AKIAX", data: flip(sealed, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.Open(tt.secret, tt.keyID, tt.data)
			if tt.ok {
				if err != nil || got != value {
					t.Fatalf("Open: got %q, %v; want the value", got.Reveal(), err)
				}
				return
			}
			if !errors.Is(err, ErrWrongKey) {
				t.Fatalf("Open: got %q, %v; want an error wrapping ErrWrongKey", got.Reveal(), err)
			}
			if got != "" {
				t.Errorf("Open returned %q with its error", got.Reveal())
			}
		})
	}
}

func TestSealerMalformed(t *testing.T) {
	s, _ := NewSealer(testKey(1))
	sealed := s.Seal("/a", "AKIAX", "v")
	for name, data := range map[string][]byte{
		"empty":          nil,
		"truncated":      sealed[:10],
		"unknown format": append([]byte{9}, sealed[1:]...),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Open("/a", "AKIAX", data); err == nil {
				t.Fatal("Open: got no error")
			}
		})
	}
}

func TestSealFreshNonce(t *testing.T) {
	s, _ := NewSealer(testKey(1))
	a, b := s.Seal("/a", "AKIAX", "v"), s.Seal("/a", "AKIAX", "v")
	if bytes.Equal(a, b) {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
}

func TestNewSealerBadKey(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
		want string
	}{
		{"nil", nil, "protection key is missing"},
		{"empty", []byte{}, "protection key is missing"},
		{"16 bytes", make([]byte, 16), "protection key is 16 bytes, want 32"},
		{"33 bytes", make([]byte, 33), "protection key is 33 bytes, want 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSealer(tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewSealer: got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestProtectionKeyText(t *testing.T) {
	text, err := NewProtectionKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(text) != 45 || !strings.HasSuffix(text, "\n") {
		t.Fatalf("NewProtectionKey: got %d bytes %q, want 44 base64 characters and a newline", len(text), text)
	}
	key, err := ParseProtectionKey(text)
	if err != nil || len(key) != KeySize {
		t.Fatalf("ParseProtectionKey(NewProtectionKey()): got %d bytes, %v", len(key), err)
	}
	again, _ := NewProtectionKey()
	if again == text {
		t.Fatal("NewProtectionKey returned the same key twice")
	}

	secretText := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	tests := []struct {
		name, text, want string
	}{
		{"spaces around", "  " + strings.TrimSpace(text) + "\r\n\n", ""},
		{"not base64", "not base64 at all!", "not valid base64"},
		{"short", secretText, "16 bytes, want 32"},
		{"empty", "\n", "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseProtectionKey(tt.text)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), strings.TrimSpace(tt.text)) && strings.TrimSpace(tt.text) != "":
				t.Fatalf("error %q quotes the key text", err)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x80
	return c
}

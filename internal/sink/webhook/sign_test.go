package webhook

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	secret := []byte(hmacSecret)
	body := []byte(`{"event":"key.rotated"}`)
	now := fixed
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := Sign(secret, ts, body)
	old := strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)
	future := strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10)
	tests := []struct {
		name    string
		secret  []byte
		ts, sig string
		body    []byte
		want    error
	}{
		{"genuine", secret, ts, sig, body, nil},
		{"genuine, 4 minutes old", secret, strconv.FormatInt(now.Add(-4*time.Minute).Unix(), 10), Sign(secret, strconv.FormatInt(now.Add(-4*time.Minute).Unix(), 10), body), body, nil},
		{"tampered body", secret, ts, sig, []byte(`{"event":"key.rotatee"}`), ErrSignature},
		{"tampered signature", secret, ts, tamper(sig), body, ErrSignature},
		{"wrong secret", []byte("other"), ts, sig, body, ErrSignature},
		{"signature of another timestamp", secret, strconv.FormatInt(now.Unix()-1, 10), sig, body, ErrSignature},
		{"no prefix", secret, ts, sig[len("sha256="):], body, ErrSignature},
		{"not hex", secret, ts, "sha256=zz", body, ErrSignature},
		{"empty signature", secret, ts, "", body, ErrSignature},
		{"stale, genuinely signed", secret, old, Sign(secret, old, body), body, ErrTimestamp},
		{"future, genuinely signed", secret, future, Sign(secret, future, body), body, ErrTimestamp},
		{"malformed timestamp", secret, "1e9", Sign(secret, "1e9", body), body, ErrTimestamp},
		{"leading zero", secret, "0" + ts, Sign(secret, "0"+ts, body), body, ErrTimestamp},
		{"plus sign", secret, "+" + ts, Sign(secret, "+"+ts, body), body, ErrTimestamp},
		{"negative timestamp", secret, "-5", Sign(secret, "-5", body), body, ErrTimestamp},
		{"empty timestamp", secret, "", sig, body, ErrTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.ts, tt.sig, tt.body, now, 5*time.Minute)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignKnownAnswer(t *testing.T) {
	// printf '%s' '1700000000.{}' | openssl dgst -sha256 -hmac key
	want := "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
	if got := Sign([]byte("key"), "1700000000", []byte("{}")); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

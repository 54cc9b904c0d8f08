package state

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/rotatord/rotatord/config"
)

// KeySize is the length in bytes of a protection key (AES-256).
const KeySize = 32

// sealFormat is the first byte of every sealed value: the layout
// (format, 12-byte nonce, AES-256-GCM ciphertext and tag) it follows.
const sealFormat byte = 1

// Associated-data domains keep a key check from ever opening as a value and
// vice versa.
const (
	adValue    = "rotatord/state/value/v1"
	adKeyCheck = "rotatord/state/key-check/v1"
)

// Sealer seals and opens secret values with AES-256-GCM under a protection
// key. A sealed value is bound to its secret's name and its version's access
// key id: opened under any other name or key id, it fails like a wrong key.
// A Sealer is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a KeySize-byte protection key. It keeps no
// reference to key.
func NewSealer(key []byte) (*Sealer, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("protection key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("protection key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

func checkKey(key []byte) error {
	switch {
	case len(key) == 0:
		return errors.New("protection key is missing: set state.protection_key_file (rotatord keygen writes one)")
	case len(key) != KeySize:
		return fmt.Errorf("protection key is %d bytes, want %d (AES-256; rotatord keygen writes one)", len(key), KeySize)
	}
	return nil
}

// Seal seals value for version keyID of secret name with a fresh random
// nonce; sealing the same value twice gives different bytes.
func (s *Sealer) Seal(name, keyID string, value config.SecretValue) []byte {
	return s.seal([]byte(value.Reveal()), valueAD(name, keyID))
}

// Open opens a value that Seal sealed for the same name and keyID. Any
// other key, name or key id, or altered bytes, give an error wrapping
// ErrWrongKey, never a wrong value.
func (s *Sealer) Open(name, keyID string, sealed []byte) (config.SecretValue, error) {
	plain, err := s.open(sealed, valueAD(name, keyID))
	if err != nil {
		return "", err
	}
	return config.SecretValue(plain), nil
}

func (s *Sealer) seal(plain, ad []byte) []byte {
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	out[0] = sealFormat
	_, _ = rand.Read(out[1:]) // crypto/rand.Read never fails (it crashes the program instead)
	return s.aead.Seal(out, out[1:], plain, ad)
}

func (s *Sealer) open(sealed, ad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() {
		return nil, fmt.Errorf("sealed value is truncated (%d bytes)", len(sealed))
	}
	if sealed[0] != sealFormat {
		return nil, fmt.Errorf("sealed value has unknown format %d", sealed[0])
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], ad)
	if err != nil {
		// GCM cannot tell a wrong key from a moved or altered value.
		return nil, fmt.Errorf("unseal: authentication failed (wrong key, or a value altered or moved to another secret or version): %w", ErrWrongKey)
	}
	return plain, nil
}

// valueAD binds a sealed value to its secret and version. Each part is
// length-prefixed so that no two (name, keyID) pairs share an encoding.
func valueAD(name, keyID string) []byte {
	ad := make([]byte, 0, len(adValue)+len(name)+len(keyID)+2*binary.MaxVarintLen64)
	ad = append(ad, adValue...)
	ad = binary.AppendUvarint(ad, uint64(len(name)))
	ad = append(ad, name...)
	ad = binary.AppendUvarint(ad, uint64(len(keyID)))
	return append(ad, keyID...)
}

// NewProtectionKey returns a new random protection key as a protection key
// file holds it: KeySize random bytes in standard base64 and a newline, as
// `openssl rand -base64 32` writes them.
func NewProtectionKey() (string, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("new protection key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(key) + "\n", nil
}

// ParseProtectionKey decodes the text of a protection key file: standard
// base64 of KeySize bytes, surrounding white space ignored. Its errors never
// quote the text.
func ParseProtectionKey(text string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return nil, errors.New("protection key is not valid base64 (rotatord keygen writes one)")
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return key, nil
}

package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// ErrNoKey is returned when a secret must be stored but no encryption key is
// configured (CHECKOUT_ENCRYPTION_KEY).
var ErrNoKey = errors.New("secrets: no encryption key configured")

// Box encrypts secrets at rest with AES-256-GCM. A sealed value is
// nonce || ciphertext; additional data binds it to its owner (the tenant
// id and the field), so a value copied to another row does not open.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a 32-byte key; a nil or empty key gives a Box
// that refuses to seal or open (ErrNoKey).
func NewBox(key []byte) (*Box, error) {
	if len(key) == 0 {
		return &Box{}, nil
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("secrets: key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext bound to ad.
func (b *Box) Seal(plaintext, ad []byte) ([]byte, error) {
	if b.aead == nil {
		return nil, ErrNoKey
	}
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return b.aead.Seal(nonce, nonce, plaintext, ad), nil
}

// Open decrypts a value sealed with the same key and ad.
func (b *Box) Open(sealed, ad []byte) ([]byte, error) {
	if b.aead == nil {
		return nil, ErrNoKey
	}
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, errors.New("secrets: sealed value too short")
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return nil, fmt.Errorf("secrets: open: %w", err)
	}
	return out, nil
}

// Package secrets makes and hashes the platform's bearer secrets (API keys,
// registration tokens). Only hashes are stored.
package secrets

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// Random returns 32 random bytes, base64url encoded (43 characters).
func Random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash is the stored form of a secret: SHA-256, which suffices because every
// secret carries 256 random bits (no dictionary to attack, unlike passwords).
func Hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

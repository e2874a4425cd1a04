package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/leaguepay/checkout/app"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/tenants"
)

// devKeyName names the one admin key checkout dev keeps per demo league.
const devKeyName = "checkout dev"

// devCredentials are the admin key and registration token the curl lines
// use. dev keeps them in a state file (devStatePath) so they are the same on
// every run: a key or token printed yesterday still works today.
type devCredentials struct {
	AdminKeyID        uuid.UUID `json:"admin_key_id"`
	AdminKey          string    `json:"admin_key"`
	RegistrationToken string    `json:"registration_token"`
}

// devState is the state file: the credentials per demo league, by tenant id
// (several databases, one file).
type devState struct {
	Tenants map[uuid.UUID]devCredentials `json:"tenants"`
}

// devStatePath is the state file, in the user's cache directory (readable
// by this user only: it holds an admin key).
func devStatePath() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "checkout-dev", "credentials.json"), nil
}

func loadDevState(path string) devState {
	st := devState{Tenants: map[uuid.UUID]devCredentials{}}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &st) // an unreadable file is started afresh
	}
	if st.Tenants == nil {
		st.Tenants = map[uuid.UUID]devCredentials{}
	}
	return st
}

// save writes the state file atomically, mode 0600.
func (st devState) save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// forgetDevCredentials drops a league's credentials from the state file
// (after --reset).
func forgetDevCredentials(tenantID uuid.UUID) error {
	path, err := devStatePath()
	if err != nil {
		return nil
	}
	st := loadDevState(path)
	if _, ok := st.Tenants[tenantID]; !ok {
		return nil
	}
	delete(st.Tenants, tenantID)
	return st.save(path)
}

// devCredentialsFor returns the demo league's admin key and its household's
// registration token: the ones of the state file while they still work,
// else new ones (a new key replaces every earlier "checkout dev" key, so
// there is never more than one). seededToken is the token of a household
// the seed has just created.
func devCredentialsFor(ctx context.Context, s *app.App, d demo, log io.Writer) (devCredentials, error) {
	path, pathErr := devStatePath()
	st := devState{Tenants: map[uuid.UUID]devCredentials{}}
	if pathErr == nil {
		st = loadDevState(path)
	}
	c := st.Tenants[d.Tenant.ID]
	if err := ensureDevKey(ctx, s, d.Tenant, &c); err != nil {
		return c, err
	}
	if err := ensureDevToken(ctx, s, d, &c); err != nil {
		return c, err
	}
	st.Tenants[d.Tenant.ID] = c
	if pathErr == nil {
		pathErr = st.save(path)
	}
	if pathErr != nil {
		fmt.Fprintf(log, "WARNING: cannot keep the dev credentials (%v): the next run prints a new key and token\n", pathErr)
	}
	return c, nil
}

// ensureDevKey keeps c's admin key when it still authenticates as admin,
// else mints one; every other key named devKeyName is revoked.
func ensureDevKey(ctx context.Context, s *app.App, t tenants.Tenant, c *devCredentials) error {
	keys := s.Tenants.Keys()
	if c.AdminKey != "" {
		if role, err := keys.Authenticate(ctx, t, c.AdminKey); err != nil || role != tenants.RoleAdmin {
			c.AdminKey, c.AdminKeyID = "", uuid.Nil
		}
	}
	if c.AdminKey == "" {
		k, err := keys.Create(ctx, t.ID, tenants.KeyInput{Role: tenants.RoleAdmin, Name: devKeyName})
		if err != nil {
			return fmt.Errorf("dev admin key: %w", err)
		}
		c.AdminKey, c.AdminKeyID = k.Key, k.ID
	}
	all, err := keys.List(ctx, t.ID)
	if err != nil {
		return err
	}
	for _, k := range all {
		if k.Name == devKeyName && k.ID != c.AdminKeyID {
			if err := keys.Delete(ctx, t.ID, k.ID); err != nil && !errors.Is(err, apperr.ErrNotFound) {
				return fmt.Errorf("revoke an earlier dev key: %w", err)
			}
		}
	}
	return nil
}

// ensureDevToken keeps c's registration token when it still opens the demo
// household, takes the seed's when the household is new, else rotates it.
func ensureDevToken(ctx context.Context, s *app.App, d demo, c *devCredentials) error {
	if d.RegistrationToken != "" {
		c.RegistrationToken = d.RegistrationToken
		return nil
	}
	if c.RegistrationToken != "" {
		if h, err := s.Customers.ByToken(ctx, d.Tenant.ID, c.RegistrationToken); err == nil && h.ID == d.Household.ID {
			return nil
		}
	}
	token, err := s.Customers.RotateToken(ctx, d.Tenant.ID, d.Household.ID)
	if err != nil {
		return fmt.Errorf("demo household token: %w", err)
	}
	c.RegistrationToken = token
	return nil
}

// devEncryptionKey is the key dev seals secrets with (Stripe keys, webhook
// endpoints' signing secrets) when CHECKOUT_ENCRYPTION_KEY is not set: 32
// random bytes made on the first run and kept beside the state file, mode
// 0600, so what one run sealed the next can open.
func devEncryptionKey() ([]byte, error) {
	state, err := devStatePath()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(filepath.Dir(state), "encryption.key")
	if b, err := os.ReadFile(path); err == nil && len(b) == 32 {
		return b, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("dev encryption key: %w", err)
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("dev encryption key: %w", err)
	}
	return key, nil
}

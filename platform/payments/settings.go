package payments

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/secrets"
)

// SettingsInput is the body of PUT /stripe: either the league's own keys or
// a Connect account id, never both.
type SettingsInput struct {
	SecretKey     *string `json:"secret_key"`
	WebhookSecret *string `json:"webhook_secret"`
	AccountID     *string `json:"account_id"`
}

// SettingsView is what GET /stripe shows: never a secret.
type SettingsView struct {
	Mode           string  `json:"mode"`
	SecretKeyLast4 *string `json:"secret_key_last4"`
	AccountID      *string `json:"account_id"`
	WebhookURL     string  `json:"webhook_url"`
}

var (
	secretKeyRE = regexp.MustCompile(`^(sk|rk)_(test|live)_[A-Za-z0-9]{8,247}$`)
	webhookRE   = regexp.MustCompile(`^whsec_[A-Za-z0-9+/=]{8,247}$`)
	accountRE   = regexp.MustCompile(`^acct_[A-Za-z0-9]{8,247}$`)
)

func (in SettingsInput) check(s *Service) []apperr.FieldError {
	own := in.SecretKey != nil || in.WebhookSecret != nil
	switch {
	case own && in.AccountID != nil:
		return apperr.Field("/account_id", "give either secret_key and webhook_secret, or account_id, not both")
	case in.AccountID != nil:
		if !accountRE.MatchString(*in.AccountID) {
			return apperr.Field("/account_id", "must be a Stripe account id (acct_...)")
		}
		if s.cfg.PlatformSecretKey == "" {
			return apperr.Field("/account_id", "Connect needs the platform's STRIPE_SECRET_KEY, which is not configured")
		}
		return nil
	case !own:
		return apperr.Field("/", "give secret_key and webhook_secret, or account_id")
	}
	var f []apperr.FieldError
	if in.SecretKey == nil || !secretKeyRE.MatchString(*in.SecretKey) {
		f = append(f, apperr.FieldError{Field: "/secret_key", Message: "must be a Stripe secret key (sk_test_..., sk_live_... or rk_...)"})
	}
	if in.WebhookSecret == nil || !webhookRE.MatchString(*in.WebhookSecret) {
		f = append(f, apperr.FieldError{Field: "/webhook_secret", Message: "must be a Stripe webhook signing secret (whsec_...)"})
	}
	return f
}

// PutSettings stores the tenant's Stripe settings, replacing earlier ones,
// once Stripe has confirmed them: own keys must read their account, whose id
// is stored (it names the league's customer namespace); a Connect account
// must be one connected to the platform. Stripe refusing is a 422 on the
// field, Stripe failing a 502; either way nothing is stored.
func (s *Service) PutSettings(ctx context.Context, tenantID uuid.UUID, in SettingsInput) error {
	defer s.forgetAccount(tenantID)
	if f := in.check(s); len(f) > 0 {
		return &apperr.Invalid{Detail: "the Stripe settings are invalid", Fields: f}
	}
	if in.AccountID != nil {
		return s.putConnect(ctx, tenantID, *in.AccountID)
	}
	key, err := s.box.Seal([]byte(*in.SecretKey), sealAD(tenantID, "secret_key"))
	if errors.Is(err, secrets.ErrNoKey) {
		return &apperr.Invalid{Detail: "the platform cannot store secrets: CHECKOUT_ENCRYPTION_KEY is not configured",
			Fields: apperr.Field("/secret_key", "cannot be stored without CHECKOUT_ENCRYPTION_KEY")}
	}
	if err != nil {
		return err
	}
	wh, err := s.box.Seal([]byte(*in.WebhookSecret), sealAD(tenantID, "webhook_secret"))
	if err != nil {
		return err
	}
	info, err := s.provider.Account(ctx, Account{Mode: ModeOwnKeys, SecretKey: *in.SecretKey})
	if err != nil {
		return verifyError(err, "/secret_key", "is not accepted by Stripe (invalid, revoked, or a restricted key that may not read its account)")
	}
	return s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM connect_accounts WHERE tenant_id = $1`, tenantID); err != nil {
			return fmt.Errorf("drop connect account: %w", err)
		}
		_, err := tx.Exec(ctx, putOwnKeys, tenantID, key, wh, last4(*in.SecretKey), info.ID)
		if err != nil {
			return fmt.Errorf("store stripe settings: %w", err)
		}
		return nil
	})
}

const putOwnKeys = `INSERT INTO stripe_settings (tenant_id, mode, secret_key_enc, webhook_secret_enc, secret_key_last4, own_account_id)
	VALUES ($1, 'own_keys', $2, $3, $4, $5)
	ON CONFLICT (tenant_id) DO UPDATE SET mode = 'own_keys', secret_key_enc = $2, webhook_secret_enc = $3,
		secret_key_last4 = $4, own_account_id = $5, account_id = NULL, updated_at = now()`

// verifyError maps the provider's answer on a key or account: a refusal is
// a 422 on field, any other failure a 502.
func verifyError(err error, field, message string) error {
	if errors.Is(err, ErrRefused) {
		return &apperr.Invalid{Detail: "Stripe refused the settings", Fields: apperr.Field(field, message)}
	}
	return fmt.Errorf("%w: %v", apperr.ErrPaymentProvider, err)
}

// putConnect stores a Connect account once Stripe confirms it is connected
// to the platform. That proves neither that the league owns it nor that the
// account agreed to serve it (the Connect onboarding the platform operator
// runs does); uniqueness keeps two leagues off one account, first come.
func (s *Service) putConnect(ctx context.Context, tenantID uuid.UUID, account string) error {
	_, err := s.provider.Account(ctx, Account{Mode: ModeConnect, SecretKey: s.cfg.PlatformSecretKey, AccountID: account})
	if err != nil {
		return verifyError(err, "/account_id", "not an account connected to this platform")
	}
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM connect_accounts WHERE tenant_id = $1`, tenantID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO connect_accounts (account_id, tenant_id) VALUES ($1, $2)`, account, tenantID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO stripe_settings (tenant_id, mode, account_id) VALUES ($1, 'connect', $2)
			ON CONFLICT (tenant_id) DO UPDATE SET mode = 'connect', account_id = $2, secret_key_enc = NULL,
				webhook_secret_enc = NULL, secret_key_last4 = NULL, own_account_id = NULL, updated_at = now()`, tenantID, account)
		return err
	})
	if db.IsUniqueViolation(err, "connect_accounts_pkey") {
		return &apperr.Conflict{Detail: "the Stripe account belongs to another league", Fields: apperr.Field("/account_id", "is used by another league")}
	}
	if err != nil {
		return fmt.Errorf("store connect settings: %w", err)
	}
	return nil
}

// Settings returns the tenant's settings without secrets.
func (s *Service) Settings(ctx context.Context, tenantID uuid.UUID, slug string) (SettingsView, error) {
	v := SettingsView{Mode: ModeNone, WebhookURL: s.cfg.PublicURL + "/v1/tenants/" + slug + "/webhooks/stripe"}
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT mode, secret_key_last4, account_id FROM stripe_settings WHERE tenant_id = $1`,
			tenantID).Scan(&v.Mode, &v.SecretKeyLast4, &v.AccountID)
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return SettingsView{}, fmt.Errorf("read stripe settings: %w", err)
	}
	return v, nil
}

// TenantForAccount routes a Connect event: the tenant whose settings name
// the account, or ok=false. connect_accounts is behind row-level security;
// this is the one lookup across tenants, through the SECURITY DEFINER
// function connect_account_tenant (migration 00007), which answers only
// this.
func (s *Service) TenantForAccount(ctx context.Context, account string) (uuid.UUID, bool, error) {
	var id *uuid.UUID
	err := s.db.Pool.QueryRow(ctx, `SELECT connect_account_tenant($1)`, strings.TrimSpace(account)).Scan(&id)
	if err == nil && id == nil {
		return uuid.Nil, false, nil
	}
	if err != nil {
		return uuid.Nil, false, fmt.Errorf("route connect account: %w", db.Translate(err))
	}
	return *id, true, nil
}

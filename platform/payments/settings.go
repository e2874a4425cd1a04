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

// PutSettings stores the tenant's Stripe settings, replacing earlier ones.
func (s *Service) PutSettings(ctx context.Context, tenantID uuid.UUID, in SettingsInput) error {
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
	return s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM connect_accounts WHERE tenant_id = $1`, tenantID); err != nil {
			return fmt.Errorf("drop connect account: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO stripe_settings (tenant_id, mode, secret_key_enc, webhook_secret_enc, secret_key_last4)
			VALUES ($1, 'own_keys', $2, $3, $4)
			ON CONFLICT (tenant_id) DO UPDATE SET mode = 'own_keys', secret_key_enc = $2, webhook_secret_enc = $3,
				secret_key_last4 = $4, account_id = NULL, updated_at = now()`, tenantID, key, wh, last4(*in.SecretKey))
		if err != nil {
			return fmt.Errorf("store stripe settings: %w", err)
		}
		return nil
	})
}

func (s *Service) putConnect(ctx context.Context, tenantID uuid.UUID, account string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM connect_accounts WHERE tenant_id = $1`, tenantID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO connect_accounts (account_id, tenant_id) VALUES ($1, $2)`, account, tenantID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO stripe_settings (tenant_id, mode, account_id) VALUES ($1, 'connect', $2)
			ON CONFLICT (tenant_id) DO UPDATE SET mode = 'connect', account_id = $2, secret_key_enc = NULL,
				webhook_secret_enc = NULL, secret_key_last4 = NULL, updated_at = now()`, tenantID, account)
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
// the account, or ok=false.
func (s *Service) TenantForAccount(ctx context.Context, account string) (uuid.UUID, bool, error) {
	var id uuid.UUID
	err := s.db.Pool.QueryRow(ctx, `SELECT tenant_id FROM connect_accounts WHERE account_id = $1`,
		strings.TrimSpace(account)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, false, nil
	}
	if err != nil {
		return uuid.Nil, false, fmt.Errorf("route connect account: %w", err)
	}
	return id, true, nil
}

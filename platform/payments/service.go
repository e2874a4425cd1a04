package payments

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/secrets"
)

// Config is how the platform takes payments.
type Config struct {
	// Sandbox selects the sandbox provider for every tenant.
	Sandbox bool
	// PlatformSecretKey is the platform's Stripe key, used for Connect.
	PlatformSecretKey string
	// PlatformWebhookSecret verifies Connect events on the platform endpoint.
	PlatformWebhookSecret string
	// SandboxWebhookSecret signs and verifies the sandbox's events.
	SandboxWebhookSecret string
	// PublicURL is where clients and Stripe reach the service.
	PublicURL string
	// CheckoutTTL is how long a Checkout Session stays open (Stripe allows
	// 30 minutes to 24 hours); 0 means one hour.
	CheckoutTTL time.Duration
}

// Service is the payments side of the platform.
type Service struct {
	db       *db.DB
	box      *secrets.Box
	provider Provider
	cfg      Config
	accounts sync.Map // tenant id -> cachedAccount
}

// cachedAccount is a tenant's account as last read, for accountTTL: a
// checkout or a webhook does not read and decrypt the settings each time.
// This replica's own PutSettings drops it at once; another replica's is
// seen within accountTTL (a webhook whose signature fails against a cached
// secret is checked again against the stored one).
type cachedAccount struct {
	acct    Account
	expires time.Time
}

const accountTTL = 30 * time.Second

// NewService returns the payments service.
func NewService(d *db.DB, box *secrets.Box, p Provider, cfg Config) *Service {
	if cfg.CheckoutTTL == 0 {
		cfg.CheckoutTTL = time.Hour
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	return &Service{db: d, box: box, provider: p, cfg: cfg}
}

// CheckoutTTL is how long new sessions stay open.
func (s *Service) CheckoutTTL() time.Duration { return s.cfg.CheckoutTTL }

// PlatformWebhookSecret verifies the platform (Connect) endpoint's events.
func (s *Service) PlatformWebhookSecret() string { return s.cfg.PlatformWebhookSecret }

// PublicURL is where clients and Stripe reach the service.
func (s *Service) PublicURL() string { return s.cfg.PublicURL }

// Sandbox reports whether the sandbox provider is in use.
func (s *Service) Sandbox() bool { return s.cfg.Sandbox }

// Account returns the tenant's payment account, or ErrNotConfigured.
func (s *Service) Account(ctx context.Context, tenantID uuid.UUID) (Account, error) {
	if s.cfg.Sandbox {
		return Account{Mode: ModeSandbox, WebhookSecret: s.cfg.SandboxWebhookSecret}, nil
	}
	if v, ok := s.accounts.Load(tenantID); ok && time.Now().Before(v.(cachedAccount).expires) {
		return v.(cachedAccount).acct, nil
	}
	acct, err := s.loadAccount(ctx, tenantID)
	if err == nil {
		s.accounts.Store(tenantID, cachedAccount{acct: acct, expires: time.Now().Add(accountTTL)})
	}
	return acct, err
}

// FreshAccount is Account read from the database, never from the cache.
func (s *Service) FreshAccount(ctx context.Context, tenantID uuid.UUID) (Account, error) {
	s.forgetAccount(tenantID)
	return s.Account(ctx, tenantID)
}

func (s *Service) forgetAccount(tenantID uuid.UUID) { s.accounts.Delete(tenantID) }

// loadAccount reads and decrypts the tenant's settings.
func (s *Service) loadAccount(ctx context.Context, tenantID uuid.UUID) (Account, error) {
	var mode string
	var keyEnc, whEnc []byte
	var accountID, ownAccountID *string
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT mode, secret_key_enc, webhook_secret_enc, account_id, own_account_id
			FROM stripe_settings WHERE tenant_id = $1`, tenantID).Scan(&mode, &keyEnc, &whEnc, &accountID, &ownAccountID)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{Mode: ModeNone}, ErrNotConfigured
	}
	if err != nil {
		return Account{}, fmt.Errorf("read stripe settings: %w", err)
	}
	if mode == ModeConnect {
		if s.cfg.PlatformSecretKey == "" {
			return Account{Mode: ModeNone}, fmt.Errorf("%w: Connect needs the platform's STRIPE_SECRET_KEY", ErrNotConfigured)
		}
		return Account{Mode: ModeConnect, SecretKey: s.cfg.PlatformSecretKey, AccountID: *accountID}, nil
	}
	key, err := s.box.Open(keyEnc, sealAD(tenantID, "secret_key"))
	if err != nil {
		return Account{}, fmt.Errorf("open secret key: %w", err)
	}
	wh, err := s.box.Open(whEnc, sealAD(tenantID, "webhook_secret"))
	if err != nil {
		return Account{}, fmt.Errorf("open webhook secret: %w", err)
	}
	acct := Account{Mode: ModeOwnKeys, SecretKey: string(key), WebhookSecret: string(wh)}
	if ownAccountID != nil {
		acct.AccountID = *ownAccountID
	}
	return acct, nil
}

// sealAD binds a sealed secret to its tenant and field.
func sealAD(tenantID uuid.UUID, field string) []byte {
	return []byte(tenantID.String() + "/" + field)
}

// Customer is what the provider needs to know of a household.
type Customer struct {
	ID          uuid.UUID
	Name, Email string
}

// EnsureCustomer returns the household's Stripe customer on acct, creating
// it on first use. It is the one place customers are created: the stored id
// is reused for every later checkout, and the creation carries an
// idempotency key derived from the household and the account, so even two
// concurrent first checkouts make one customer.
func (s *Service) EnsureCustomer(ctx context.Context, tenantID uuid.UUID, acct Account, c Customer) (string, error) {
	var id string
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		id, err = KnownCustomer(ctx, tx, tenantID, acct, c.ID)
		return err
	})
	if err != nil || id != "" {
		return id, err
	}
	return s.createCustomer(ctx, tenantID, acct, c)
}

// KnownCustomer returns the household's stored Stripe customer on acct, or
// "" when it has none yet, inside the caller's tenant transaction (a
// checkout reads it in the transaction that places its order).
func KnownCustomer(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, acct Account, householdID uuid.UUID) (string, error) {
	var id string
	err := tx.QueryRow(ctx, `SELECT stripe_customer_id FROM stripe_customers
		WHERE tenant_id = $1 AND customer_id = $2 AND account_ref = $3`, tenantID, householdID, acct.Ref()).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read stripe customer: %w", err)
	}
	return id, nil
}

// createCustomer creates the household's customer on acct and stores it.
func (s *Service) createCustomer(ctx context.Context, tenantID uuid.UUID, acct Account, c Customer) (string, error) {
	id, err := s.NewCustomer(ctx, tenantID, acct, c)
	if err != nil {
		return "", err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		q, args := StoreCustomer(tenantID, acct, c.ID, id)
		_, err := tx.Exec(ctx, q, args...)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store stripe customer: %w", err)
	}
	return id, nil
}

// NewCustomer creates the household's customer on acct at the provider,
// without storing it: the caller stores it (StoreCustomer) in the
// transaction that stores what it was created for. The idempotency key
// makes a retry, or a concurrent first checkout, get the same customer.
func (s *Service) NewCustomer(ctx context.Context, tenantID uuid.UUID, acct Account, c Customer) (string, error) {
	ref := acct.Ref()
	return s.provider.CreateCustomer(ctx, acct, CustomerRequest{
		IdempotencyKey: "customer:" + tenantID.String() + ":" + c.ID.String() + ":" + ref,
		HouseholdID:    c.ID.String(), TenantID: tenantID.String(), Name: c.Name, Email: c.Email})
}

// StoreCustomer is the statement that stores a household's customer on
// acct (a first one stays), for the caller's transaction or batch.
func StoreCustomer(tenantID uuid.UUID, acct Account, householdID uuid.UUID, id string) (string, []any) {
	return `INSERT INTO stripe_customers (tenant_id, customer_id, account_ref, stripe_customer_id)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, []any{tenantID, householdID, acct.Ref(), id}
}

// CustomerOnAccount is the SQL expression of the Stripe customer stored for
// the household customerCol on the account ref (a parameter), for a query
// that reads the household anyway; NULL when there is none.
func CustomerOnAccount(tenantCol, customerCol, refParam string) string {
	return `(SELECT sc.stripe_customer_id FROM stripe_customers sc WHERE sc.tenant_id = ` + tenantCol +
		` AND sc.customer_id = ` + customerCol + ` AND sc.account_ref = ` + refParam + `)`
}

// Classify maps the provider's errors for the API: a league without an
// account, or a provider that failed. The payment side also reads and
// writes the database (settings, the household's Stripe customer): when
// that is what failed the error stays the database's.
func Classify(err error) error {
	if errors.Is(err, db.ErrUnavailable) {
		return err
	}
	if errors.Is(err, ErrNotConfigured) {
		return fmt.Errorf("%w: %v", apperr.ErrPaymentsNotConfigured, err)
	}
	return fmt.Errorf("%w: %v", apperr.ErrPaymentProvider, err)
}

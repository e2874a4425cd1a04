// Package tenants is the league (tenant) model: provisioning, lookup by slug,
// the API keys league staff authenticate with, and the Fiber middleware that
// resolves the {tenant} path parameter.
package tenants

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/ids"
)

var (
	slugRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$`)
	currencyRE = regexp.MustCompile(`^[a-z]{3}$`)
)

// Tenant is one league.
type Tenant struct {
	ID                     uuid.UUID `json:"id"`
	Slug                   string    `json:"slug"`
	Name                   string    `json:"name"`
	Currency               string    `json:"currency"`
	AllowedRedirectOrigins []string  `json:"allowed_redirect_origins"`
	CreatedAt              time.Time `json:"created_at"`
}

// ValidSlug reports whether s is a well-formed tenant slug.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// NewTenant is the input of Create.
type NewTenant struct {
	Slug                   string    `json:"slug"`
	Name                   string    `json:"name"`
	Currency               *string   `json:"currency"`
	AllowedRedirectOrigins *[]string `json:"allowed_redirect_origins"`
}

// TenantPatch is the input of Update; nil fields are left alone.
type TenantPatch struct {
	Name                   *string   `json:"name"`
	AllowedRedirectOrigins *[]string `json:"allowed_redirect_origins"`
}

// Store reads and writes tenants. Lookups by slug are cached for cacheTTL;
// a change made through this Store invalidates its own cache at once, other
// replicas see it within cacheTTL.
type Store struct {
	db    *db.DB
	mu    sync.RWMutex
	cache map[string]cached
	slugs sync.Map // tenant id -> slug
}

type cached struct {
	t       Tenant
	expires time.Time
}

const cacheTTL = 10 * time.Second

// NewStore returns a tenant store on d.
func NewStore(d *db.DB) *Store { return &Store{db: d, cache: map[string]cached{}} }

const tenantCols = `id, slug, name, currency, allowed_redirect_origins, created_at`

func scanTenant(row pgx.Row) (Tenant, error) {
	var t Tenant
	err := row.Scan(&t.ID, &t.Slug, &t.Name, &t.Currency, &t.AllowedRedirectOrigins, &t.CreatedAt)
	if t.AllowedRedirectOrigins == nil {
		t.AllowedRedirectOrigins = []string{}
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return t, err
}

// Create provisions a tenant. A taken slug is a Conflict.
func (s *Store) Create(ctx context.Context, in NewTenant) (Tenant, error) {
	currency := "usd"
	if in.Currency != nil {
		currency = *in.Currency
	}
	origins := []string{}
	if in.AllowedRedirectOrigins != nil {
		origins = *in.AllowedRedirectOrigins
	}
	var fields []apperr.FieldError
	if !ValidSlug(in.Slug) {
		fields = append(fields, apperr.FieldError{Field: "/slug", Message: "must match ^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$"})
	}
	fields = append(fields, checkName(in.Name)...)
	if !currencyRE.MatchString(currency) {
		fields = append(fields, apperr.FieldError{Field: "/currency", Message: "must be a lowercase ISO 4217 code such as usd"})
	}
	fields = append(fields, checkOrigins(origins)...)
	if len(fields) > 0 {
		return Tenant{}, &apperr.Invalid{Detail: "the tenant is invalid", Fields: fields}
	}
	origins = normaliseOrigins(origins)
	const q = `INSERT INTO tenants (id, slug, name, currency, allowed_redirect_origins)
		VALUES ($1, $2, $3, $4, $5) RETURNING ` + tenantCols
	var t Tenant
	err := s.db.InPlatform(ctx, func(tx pgx.Tx) (err error) {
		t, err = scanTenant(tx.QueryRow(ctx, q, ids.New(), in.Slug, strings.TrimSpace(in.Name), currency, origins))
		return err
	})
	if db.IsUniqueViolation(err, "tenants_slug_key") {
		return Tenant{}, &apperr.Conflict{Detail: "the slug is taken", Fields: apperr.Field("/slug", "is taken")}
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("insert tenant: %w", err)
	}
	return t, nil
}

// List returns every tenant, ordered by slug.
func (s *Store) List(ctx context.Context) ([]Tenant, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+tenantCols+` FROM tenants ORDER BY slug`)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", db.Translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Tenant, error) { return scanTenant(r) })
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", db.Translate(err))
	}
	return out, nil
}

// BySlug returns the tenant with this slug, or apperr.ErrNotFound.
func (s *Store) BySlug(ctx context.Context, slug string) (Tenant, error) {
	s.mu.RLock()
	c, ok := s.cache[slug]
	s.mu.RUnlock()
	if ok && time.Now().Before(c.expires) {
		return c.t, nil // only valid slugs are cached
	}
	if !ValidSlug(slug) {
		return Tenant{}, apperr.ErrNotFound
	}
	t, err := scanTenant(s.db.Pool.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenants WHERE slug = $1`, slug))
	if errors.Is(err, pgx.ErrNoRows) {
		return Tenant{}, apperr.ErrNotFound
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("read tenant: %w", db.Translate(err))
	}
	s.mu.Lock()
	s.cache[slug] = cached{t: t, expires: time.Now().Add(cacheTTL)}
	s.mu.Unlock()
	return t, nil
}

// ByID returns the tenant with this id, or apperr.ErrNotFound.
func (s *Store) ByID(ctx context.Context, id uuid.UUID) (Tenant, error) {
	t, err := scanTenant(s.db.Pool.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Tenant{}, apperr.ErrNotFound
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("read tenant: %w", db.Translate(err))
	}
	return t, nil
}

// Update changes a tenant's name or redirect origins.
func (s *Store) Update(ctx context.Context, slug string, p TenantPatch) (Tenant, error) {
	if !ValidSlug(slug) {
		return Tenant{}, apperr.ErrNotFound // before any query: a malformed slug names no tenant
	}
	var fields []apperr.FieldError
	if p.Name != nil {
		fields = append(fields, checkName(*p.Name)...)
	}
	if p.AllowedRedirectOrigins != nil {
		fields = append(fields, checkOrigins(*p.AllowedRedirectOrigins)...)
	}
	if len(fields) > 0 {
		return Tenant{}, &apperr.Invalid{Detail: "the tenant is invalid", Fields: fields}
	}
	var name *string
	if p.Name != nil {
		n := strings.TrimSpace(*p.Name)
		name = &n
	}
	var origins []string // nil: left alone
	if p.AllowedRedirectOrigins != nil {
		origins = normaliseOrigins(*p.AllowedRedirectOrigins)
	}
	const q = `UPDATE tenants SET name = coalesce($2, name),
		allowed_redirect_origins = coalesce($3, allowed_redirect_origins)
		WHERE slug = $1 RETURNING ` + tenantCols
	t, err := scanTenant(s.db.Pool.QueryRow(ctx, q, slug, name, origins))
	if errors.Is(err, pgx.ErrNoRows) {
		return Tenant{}, apperr.ErrNotFound
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("update tenant: %w", db.Translate(err))
	}
	s.mu.Lock()
	delete(s.cache, slug)
	s.mu.Unlock()
	return t, nil
}

func checkName(name string) []apperr.FieldError {
	n := strings.TrimSpace(name)
	if n == "" || len(n) > 200 {
		return apperr.Field("/name", "must be 1 to 200 characters")
	}
	return nil
}

// checkOrigins accepts bare origins: scheme http or https, a host, no path,
// query or fragment ("https://league.example", "http://localhost:3000").
func checkOrigins(origins []string) []apperr.FieldError {
	var out []apperr.FieldError
	for i, o := range origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			out = append(out, apperr.FieldError{
				Field:   fmt.Sprintf("/allowed_redirect_origins/%d", i),
				Message: "must be an origin such as https://league.example",
			})
		}
	}
	return out
}

// OriginAllowed reports whether rawURL is an absolute URL on one of the
// tenant's allowed redirect origins. Scheme and host compare without regard
// to case and a default port (:443, :80) is the same as none, as browsers
// treat them; any other port must match.
func (t Tenant) OriginAllowed(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return false
	}
	origin := originOf(u)
	for _, o := range t.AllowedRedirectOrigins {
		if normaliseOrigin(o) == origin {
			return true
		}
	}
	return false
}

// DefaultOrigin is where buyers return from a payment page when the
// checkout names no URL: the first allowed redirect origin, or "".
func (t Tenant) DefaultOrigin() string {
	if len(t.AllowedRedirectOrigins) == 0 {
		return ""
	}
	return normaliseOrigin(t.AllowedRedirectOrigins[0])
}

// normaliseOrigins is origins (already checked) in their stored form.
func normaliseOrigins(origins []string) []string {
	out := make([]string, len(origins))
	for i, o := range origins {
		out[i] = normaliseOrigin(o)
	}
	return out
}

// normaliseOrigin writes an origin as "scheme://host[:port]": scheme and
// host in lower case, no default port, no trailing slash. Origins stored
// before this rule (and anything that does not parse) are compared by it
// too, so both sides of OriginAllowed always agree.
func normaliseOrigin(o string) string {
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return strings.TrimSuffix(o, "/")
	}
	return originOf(u)
}

// originOf is u's origin in normal form (see normaliseOrigin).
func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6
	}
	switch port := u.Port(); {
	case port == "", scheme == "https" && port == "443", scheme == "http" && port == "80":
	default:
		host += ":" + port
	}
	return scheme + "://" + host
}

// SlugByID names a tenant by id (slugs never change, so the answer is
// cached for the life of the process); ok is false for an unknown id.
func (s *Store) SlugByID(ctx context.Context, id uuid.UUID) (string, bool) {
	if v, ok := s.slugs.Load(id); ok {
		return v.(string), true
	}
	t, err := s.ByID(ctx, id)
	if err != nil {
		return "", false
	}
	s.slugs.Store(id, t.Slug)
	return t.Slug, true
}

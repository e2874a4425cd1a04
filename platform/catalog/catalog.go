// Package catalog stores a tenant's products. A product belongs to a
// registered product type: its config is validated against the type's config
// schema, and the type turns it into the buyer's JSON Schema (custom_fields),
// compiled once per product version and cached.
package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/producttypes"
)

// CategoryRE is the shape of a category slug.
var CategoryRE = regexp.MustCompile(`^[a-z0-9-]{1,40}$`)

var currencyRE = regexp.MustCompile(`^[a-z]{3}$`)

// MaxPriceCents bounds a product's price (one million in major units).
const MaxPriceCents = 100_000_000

// Product is a product as league staff see it.
type Product struct {
	ID            uuid.UUID       `json:"id"`
	Type          string          `json:"type"`
	Category      string          `json:"category"`
	Name          string          `json:"name"`
	Description   string          `json:"description"`
	PriceCents    int64           `json:"price_cents"`
	Currency      string          `json:"currency"`
	Config        json.RawMessage `json:"config"`
	CustomFields  json.RawMessage `json:"custom_fields"`
	SchemaVersion int             `json:"schema_version"`
	Active        bool            `json:"active"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

// Public is a product as buyers see it.
type Public struct {
	ID            uuid.UUID       `json:"id"`
	Type          string          `json:"type"`
	Category      string          `json:"category"`
	Name          string          `json:"name"`
	Description   string          `json:"description"`
	PriceCents    int64           `json:"price_cents"`
	Currency      string          `json:"currency"`
	CustomFields  json.RawMessage `json:"custom_fields"`
	SchemaVersion int             `json:"schema_version"`
}

// Public returns the buyer's view of p.
func (p Product) Public() Public {
	return Public{ID: p.ID, Type: p.Type, Category: p.Category, Name: p.Name, Description: p.Description,
		PriceCents: p.PriceCents, Currency: p.Currency, CustomFields: p.CustomFields, SchemaVersion: p.SchemaVersion}
}

// Service reads and writes products.
type Service struct {
	db       *db.DB
	registry *producttypes.Registry

	schemas sync.Map // "<product id>:<version>" -> *producttypes.Schema
	configs sync.Map // "<product id>:<version>" -> producttypes.Config

	mu     sync.Mutex
	gen    uint64 // bumped by every invalidation, so a slow reload cannot store stale data
	public map[uuid.UUID]*publicEntry
}

type publicEntry struct {
	list    []Public
	byID    map[uuid.UUID]Product // the same products, whole, for checkouts
	expires time.Time
	mu      sync.Mutex
	encoded map[Filter][]byte // {"data": [...]} per filter, built on first use
}

// publicTTL bounds how stale another replica's public listing may be; this
// replica's own writes invalidate it at once.
const publicTTL = 30 * time.Second

// NewService returns a product service.
func NewService(d *db.DB, r *producttypes.Registry) *Service {
	return &Service{db: d, registry: r, public: map[uuid.UUID]*publicEntry{}}
}

// Registry returns the product-type registry the service validates with.
func (s *Service) Registry() *producttypes.Registry { return s.registry }

const productCols = `id, type, category, name, description, price_cents, currency, config,
	custom_fields, schema_version, active, created_at, updated_at`

func scanProduct(row pgx.Row) (Product, error) {
	var p Product
	err := row.Scan(&p.ID, &p.Type, &p.Category, &p.Name, &p.Description, &p.PriceCents, &p.Currency,
		&p.Config, &p.CustomFields, &p.SchemaVersion, &p.Active, &p.CreatedAt, &p.UpdatedAt)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, err
}

// Get returns a product of the tenant, or apperr.ErrNotFound.
func (s *Service) Get(ctx context.Context, tenantID, id uuid.UUID) (Product, error) {
	var p Product
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		p, err = GetTx(ctx, tx, tenantID, id, false)
		return err
	})
	return p, err
}

// GetTx reads a product inside a tenant transaction, optionally locking it.
func GetTx(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID, forUpdate bool) (Product, error) {
	q := `SELECT ` + productCols + ` FROM products WHERE tenant_id = $1 AND id = $2`
	if forUpdate {
		q += ` FOR UPDATE`
	}
	p, err := scanProduct(tx.QueryRow(ctx, q, tenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Product{}, apperr.ErrNotFound
	}
	if err != nil {
		return Product{}, fmt.Errorf("read product: %w", err)
	}
	return p, nil
}

// BuyerSchema returns the compiled custom_fields schema of p, compiling it on
// first use of this product version.
func (s *Service) BuyerSchema(p Product) (*producttypes.Schema, error) {
	key := p.ID.String() + ":" + fmt.Sprint(p.SchemaVersion)
	if v, ok := s.schemas.Load(key); ok {
		return v.(*producttypes.Schema), nil
	}
	sch, err := producttypes.CompileSchema(p.CustomFields)
	if err != nil {
		return nil, fmt.Errorf("compile buyer schema of product %s: %w", p.ID, err)
	}
	s.schemas.Store(key, sch)
	return sch, nil
}

// Exists reports which of ids are products of the tenant.
func (s *Service) Exists(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	found := map[uuid.UUID]bool{}
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id FROM products WHERE tenant_id = $1 AND id = ANY($2)`, tenantID, ids)
		if err != nil {
			return err
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		for _, id := range got {
			found[id] = true
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find products: %w", err)
	}
	return found, nil
}

// KnownType reports whether a product type is registered.
func (s *Service) KnownType(name string) bool {
	_, ok := s.registry.Get(name)
	return ok
}

// TypeConfig returns the product's config decoded by its type (see
// producttypes.Config), once per product version.
func (s *Service) TypeConfig(p Product) (producttypes.Config, error) {
	key := p.ID.String() + ":" + fmt.Sprint(p.SchemaVersion)
	if v, ok := s.configs.Load(key); ok {
		return v.(producttypes.Config), nil
	}
	typ, ok := s.registry.Get(p.Type)
	if !ok {
		return producttypes.Config{}, fmt.Errorf("product %s has unregistered type %q", p.ID, p.Type)
	}
	cfg, err := producttypes.DecodeConfigOf(typ, p.Config)
	if err != nil {
		return producttypes.Config{}, fmt.Errorf("decode config of product %s: %w", p.ID, err)
	}
	s.configs.Store(key, cfg)
	return cfg, nil
}

func (s *Service) invalidate(tenantID uuid.UUID) {
	s.mu.Lock()
	s.gen++
	delete(s.public, tenantID)
	s.mu.Unlock()
}

func trimmed(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

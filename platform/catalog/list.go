package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
)

// Filter selects products. Active nil means all.
type Filter struct {
	Active   *bool
	Category string
	Type     string
}

// Check returns a BadFilter naming the bad filter, if any.
func (s *Service) Check(f Filter) error {
	if f.Category != "" && !CategoryRE.MatchString(f.Category) {
		return &apperr.BadFilter{Detail: "bad filter", Filters: apperr.Filter("category", "must match ^[a-z0-9-]{1,40}$")}
	}
	if f.Type != "" {
		if _, ok := s.registry.Get(f.Type); !ok {
			return &apperr.BadFilter{Detail: "bad filter", Filters: apperr.Filter("type", "is not a registered product type")}
		}
	}
	return nil
}

// List returns the tenant's products matching f, newest first.
func (s *Service) List(ctx context.Context, tenantID uuid.UUID, f Filter) ([]Product, error) {
	if err := s.Check(f); err != nil {
		return nil, err
	}
	q := sq.Select(productCols).From("products").Where(sq.Eq{"tenant_id": tenantID}).
		OrderBy("created_at DESC", "id DESC").PlaceholderFormat(sq.Dollar)
	if f.Active != nil {
		q = q.Where(sq.Eq{"active": *f.Active})
	}
	if f.Category != "" {
		q = q.Where(sq.Eq{"category": f.Category})
	}
	if f.Type != "" {
		q = q.Where(sq.Eq{"type": f.Type})
	}
	sqlText, args, err := q.ToSql()
	if err != nil {
		return nil, fmt.Errorf("build product query: %w", err)
	}
	var out []Product
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sqlText, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Product, error) { return scanProduct(r) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	if out == nil {
		out = []Product{}
	}
	return out, nil
}

// PublicJSON returns the tenant's active products matching category and
// type, encoded as {"data": [...]}. It is served from a per-tenant cache
// that writes through this service invalidate, so a buyer's product page
// costs a map lookup.
func (s *Service) PublicJSON(ctx context.Context, tenantID uuid.UUID, f Filter) ([]byte, error) {
	if err := s.Check(f); err != nil {
		return nil, err
	}
	e, err := s.publicEntry(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	f.Active = nil
	e.mu.Lock()
	defer e.mu.Unlock()
	if b, ok := e.encoded[f]; ok {
		return b, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "<" as written, as every other answer of the API
	if err := enc.Encode(map[string][]Public{"data": e.filter(f)}); err != nil {
		return nil, fmt.Errorf("encode products: %w", err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	e.encoded[f] = b
	return b, nil
}

func (e *publicEntry) filter(f Filter) []Public {
	out := make([]Public, 0, len(e.list))
	for _, p := range e.list {
		if (f.Category == "" || p.Category == f.Category) && (f.Type == "" || p.Type == f.Type) {
			out = append(out, p)
		}
	}
	return out
}

// GetPublic returns one active product, or apperr.ErrNotFound.
func (s *Service) GetPublic(ctx context.Context, tenantID, id uuid.UUID) (Public, error) {
	e, err := s.publicEntry(ctx, tenantID)
	if err != nil {
		return Public{}, err
	}
	for _, p := range e.list {
		if p.ID == id {
			return p, nil
		}
	}
	return Public{}, apperr.ErrNotFound
}

// Sellable returns an active product of the tenant from the per-tenant
// cache, or apperr.ErrNotFound. It may be up to publicTTL old when another
// replica changed it: a checkout's insert re-checks the product in the
// database (orders.insertOrder) and, when it changed, calls Forget and
// checks again.
func (s *Service) Sellable(ctx context.Context, tenantID, id uuid.UUID) (Product, error) {
	e, err := s.publicEntry(ctx, tenantID)
	if err != nil {
		return Product{}, err
	}
	if p, ok := e.byID[id]; ok {
		return p, nil
	}
	return Product{}, apperr.ErrNotFound
}

// Forget drops the tenant's cached products, after a checkout found one
// changed by another replica.
func (s *Service) Forget(tenantID uuid.UUID) { s.invalidate(tenantID) }

func (s *Service) publicEntry(ctx context.Context, tenantID uuid.UUID) (*publicEntry, error) {
	s.mu.Lock()
	e, ok := s.public[tenantID]
	gen := s.gen
	s.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return e, nil
	}
	active := true
	products, err := s.List(ctx, tenantID, Filter{Active: &active})
	if err != nil {
		return nil, err
	}
	e = &publicEntry{list: make([]Public, len(products)), byID: make(map[uuid.UUID]Product, len(products)),
		expires: time.Now().Add(publicTTL), encoded: map[Filter][]byte{}}
	for i, p := range products {
		e.list[i] = p.Public()
		e.byID[p.ID] = p
	}
	s.mu.Lock()
	if s.gen == gen {
		s.public[tenantID] = e
	}
	s.mu.Unlock()
	return e, nil
}

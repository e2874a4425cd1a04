package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/producttypes"
)

// Input is the body that creates a product.
type Input struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description *string         `json:"description"`
	Category    *string         `json:"category"`
	PriceCents  *int64          `json:"price_cents"`
	Currency    *string         `json:"currency"`
	Config      json.RawMessage `json:"config"`
	Active      *bool           `json:"active"`
}

// Patch is the body that changes a product; nil fields are left alone.
type Patch struct {
	Name        *string         `json:"name"`
	Description *string         `json:"description"`
	PriceCents  *int64          `json:"price_cents"`
	Config      json.RawMessage `json:"config"`
	Active      *bool           `json:"active"`
}

// Create validates and stores a product. currency defaults to the tenant's.
func (s *Service) Create(ctx context.Context, tenantID uuid.UUID, tenantCurrency string, in Input) (Product, error) {
	info, ok := s.registry.Info(in.Type)
	typ, _ := s.registry.Get(in.Type)
	if !ok {
		return Product{}, &apperr.Invalid{Detail: "the product is invalid",
			Fields: apperr.Field("/type", "must be one of the registered product types: "+strings.Join(s.registry.Names(), ", "))}
	}
	p := Product{ID: ids.New(), Type: in.Type, Category: info.DefaultCategory,
		Name: strings.TrimSpace(in.Name), Description: trimmed(in.Description), Currency: tenantCurrency,
		Config: in.Config, SchemaVersion: 1, Active: true}
	if in.Category != nil {
		p.Category = *in.Category
	}
	if in.Currency != nil {
		p.Currency = *in.Currency
	}
	if in.Active != nil {
		p.Active = *in.Active
	}
	var fields []apperr.FieldError
	if in.PriceCents == nil {
		fields = append(fields, apperr.FieldError{Field: "/price_cents", Message: "is required"})
	} else {
		p.PriceCents = *in.PriceCents
	}
	if len(in.Config) == 0 {
		fields = append(fields, apperr.FieldError{Field: "/config", Message: "is required"})
	}
	if len(fields) == 0 {
		var err error
		if fields, err = s.complete(typ, &p); err != nil {
			return Product{}, err
		}
	}
	if len(fields) > 0 {
		return Product{}, &apperr.Invalid{Detail: "the product is invalid", Fields: fields}
	}
	const q = `INSERT INTO products (tenant_id, id, type, category, name, description, price_cents,
		currency, config, custom_fields, schema_version, active)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ` + productCols
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		p, err = scanProduct(tx.QueryRow(ctx, q, tenantID, p.ID, p.Type, p.Category, p.Name, p.Description,
			p.PriceCents, p.Currency, p.Config, p.CustomFields, p.SchemaVersion, p.Active))
		return err
	})
	if err != nil {
		return Product{}, fmt.Errorf("insert product: %w", err)
	}
	s.invalidate(tenantID)
	return p, nil
}

// Complete is the validation every product write runs: p's plain fields,
// its config against the type's config schema, the type's decoding of it
// and its product rules; then it generates p's buyer schema
// (CustomFields). It returns the field errors found. The conformance suite
// of product types drives it too.
func (s *Service) Complete(typ producttypes.Type, p *Product) ([]apperr.FieldError, error) {
	return s.complete(typ, p)
}

func (s *Service) complete(typ producttypes.Type, p *Product) ([]apperr.FieldError, error) {
	var fields []apperr.FieldError
	if p.Name == "" || len(p.Name) > 200 {
		fields = append(fields, apperr.FieldError{Field: "/name", Message: "must be 1 to 200 characters"})
	}
	if len(p.Description) > 5000 {
		fields = append(fields, apperr.FieldError{Field: "/description", Message: "must be at most 5000 characters"})
	}
	if !CategoryRE.MatchString(p.Category) {
		fields = append(fields, apperr.FieldError{Field: "/category", Message: "must match ^[a-z0-9-]{1,40}$"})
	}
	if p.PriceCents < 0 || p.PriceCents > MaxPriceCents {
		fields = append(fields, apperr.FieldError{Field: "/price_cents", Message: fmt.Sprintf("must be 0 to %d", MaxPriceCents)})
	}
	if !currencyRE.MatchString(p.Currency) {
		fields = append(fields, apperr.FieldError{Field: "/currency", Message: "must be a lowercase ISO 4217 code such as usd"})
	}
	cfgErrs, err := s.registry.ValidateConfig(p.Type, p.Config, "/config")
	if err != nil {
		return nil, err
	}
	fields = append(fields, apperr.FromTypes(cfgErrs)...)
	if len(cfgErrs) > 0 {
		return fields, nil
	}
	cfg, err := producttypes.DecodeConfigOf(typ, p.Config)
	var pe *producttypes.PanicError
	if errors.As(err, &pe) {
		return nil, err
	}
	if err != nil {
		return append(fields, apperr.FieldError{Field: "/config", Message: "is not a config this product type can use",
			Detail: err.Error()}), nil
	}
	pfields, err := producttypes.ValidateProductOf(typ, producttypes.ProductInput{
		PriceCents: p.PriceCents, Currency: p.Currency, Config: cfg})
	if err != nil {
		return nil, err
	}
	if fields = append(fields, apperr.FromTypes(pfields)...); len(fields) > 0 {
		return fields, nil
	}
	schema, err := producttypes.BuyerSchemaOf(typ, cfg)
	if err != nil {
		return nil, fmt.Errorf("generate buyer schema: %w", err)
	}
	if _, err := producttypes.CompileSchema(schema); err != nil {
		return nil, fmt.Errorf("product type %s generated a schema that does not compile: %w", p.Type, err)
	}
	p.CustomFields = schema
	return nil, nil
}

// Update changes a product. A config that differs from the stored one (not
// an identical re-send) regenerates custom_fields and bumps schema_version.
func (s *Service) Update(ctx context.Context, tenantID, id uuid.UUID, in Patch) (Product, error) {
	var p Product
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		if p, err = GetTx(ctx, tx, tenantID, id, true); err != nil {
			return err
		}
		if err := s.apply(&p, in); err != nil {
			return err
		}
		const q = `UPDATE products SET name = $3, description = $4, price_cents = $5, config = $6,
			custom_fields = $7, schema_version = $8, active = $9, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 RETURNING ` + productCols
		p, err = scanProduct(tx.QueryRow(ctx, q, tenantID, id, p.Name, p.Description, p.PriceCents,
			p.Config, p.CustomFields, p.SchemaVersion, p.Active))
		return err
	})
	if err != nil {
		return Product{}, err
	}
	s.invalidate(tenantID)
	return p, nil
}

// apply merges a patch into p and revalidates it.
func (s *Service) apply(p *Product, in Patch) error {
	if in.Name != nil {
		p.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		p.Description = strings.TrimSpace(*in.Description)
	}
	if in.PriceCents != nil {
		p.PriceCents = *in.PriceCents
	}
	if in.Active != nil {
		p.Active = *in.Active
	}
	changed := false
	if len(in.Config) > 0 {
		same, err := sameJSON(p.Config, in.Config)
		changed = err != nil || !same
		p.Config = in.Config
	}
	typ, ok := s.registry.Get(p.Type)
	if !ok {
		return fmt.Errorf("product %s has unregistered type %q", p.ID, p.Type)
	}
	old := p.CustomFields
	fields, err := s.complete(typ, p)
	if err != nil {
		return err
	}
	if len(fields) > 0 {
		return &apperr.Invalid{Detail: "the product is invalid", Fields: fields}
	}
	if changed {
		p.SchemaVersion++
	} else {
		p.CustomFields = old
	}
	return nil
}

// sameJSON reports whether two JSON documents are equal as values.
func sameJSON(a, b json.RawMessage) (bool, error) {
	ca, err := canonical(a)
	if err != nil {
		return false, err
	}
	cb, err := canonical(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ca, cb), nil
}

func canonical(doc json.RawMessage) ([]byte, error) {
	v, err := producttypes.DecodeJSON(doc)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

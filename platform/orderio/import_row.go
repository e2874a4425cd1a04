package orderio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/jsonlimit"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/producttypes"
)

// importOrder builds a validated order from one CSV row, creating the
// household and player when they are new.
func (s *Service) importOrder(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, get func(string) string) (*orders.Order, []producttypes.Claim, error) {
	productID, err := ids.Parse(get("product_id"))
	if err != nil {
		return nil, nil, &apperr.Invalid{Fields: apperr.Field("product_id", "must be a product id (UUID)")}
	}
	product, err := catalog.GetTx(ctx, tx, tenantID, productID, false)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil, &apperr.Invalid{Fields: apperr.Field("product_id", "is not a product of this league (not found)")}
	}
	if err != nil {
		return nil, nil, err
	}
	o := &orders.Order{ID: ids.New(), ProductID: product.ID, ProductType: product.Type, Category: product.Category,
		Status: orders.StatusPaid, AmountCents: product.PriceCents, Currency: product.Currency, SchemaVersion: product.SchemaVersion,
		CreatedAt: time.Now().UTC()}
	if err := parseImportFields(o, get); err != nil {
		return nil, nil, err
	}
	household, err := customers.FindOrCreateByEmail(ctx, tx, tenantID, get("customer_email"), get("customer_name"))
	if err != nil {
		return nil, nil, err
	}
	o.CustomerID = household.ID
	if o.PlayerID, err = customers.EnsurePlayer(ctx, tx, tenantID, household, get("player_first_name"), get("player_last_name")); err != nil {
		return nil, nil, err
	}
	typ, ok := s.catalog.Registry().Get(product.Type)
	if !ok {
		return nil, nil, fmt.Errorf("product %s has unregistered type %q", product.ID, product.Type)
	}
	raw := json.RawMessage(get("custom_data"))
	if viol := jsonlimit.Check(raw, jsonlimit.Default); len(raw) > 0 && viol != nil {
		return nil, nil, &apperr.Invalid{Fields: apperr.Field("custom_data", "at "+viol.Pointer()+" "+viol.Message)}
	}
	data, fields, err := s.checkout.Validate(ctx, product, typ, raw)
	if err != nil {
		return nil, nil, err
	}
	if len(fields) > 0 {
		return nil, nil, &apperr.Invalid{Fields: fields}
	}
	cfg, err := s.catalog.TypeConfig(product)
	if err != nil {
		return nil, nil, err
	}
	ruleFields, claims, err := producttypes.CheckRulesOf(ctx, typ, producttypes.RuleInput{TenantID: tenantID.String(),
		ProductID: product.ID.String(), PlayerID: o.PlayerID.String(), Config: cfg, Data: data})
	if err != nil {
		return nil, nil, err
	}
	if len(ruleFields) > 0 {
		return nil, nil, &apperr.Invalid{Fields: apperr.FromTypes(ruleFields)}
	}
	if o.CustomData, err = json.Marshal(data); err != nil {
		return nil, nil, fmt.Errorf("encode custom data: %w", err)
	}
	o.Evidence = json.RawMessage(`{"imported": true}`)
	return o, claims, nil
}

// parseImportFields reads the row's optional status, amount, currency and
// timestamps into o.
func parseImportFields(o *orders.Order, get func(string) string) error {
	var f []apperr.FieldError
	if v := get("status"); v != "" {
		if o.Status = orders.Status(v); !o.Status.Valid() {
			f = append(f, apperr.FieldError{Field: "status", Message: "is not an order status"})
		}
	}
	if v := get("amount_cents"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			f = append(f, apperr.FieldError{Field: "amount_cents", Message: "must be a non-negative integer"})
		}
		o.AmountCents = n
	}
	if v := get("currency"); v != "" {
		if o.Currency = v; !currencyRE.MatchString(v) {
			f = append(f, apperr.FieldError{Field: "currency", Message: "must be a lowercase ISO 4217 code"})
		}
	}
	for _, c := range []struct {
		name string
		dst  **time.Time
	}{{"created_at", nil}, {"paid_at", &o.PaidAt}} {
		v := get(c.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			f = append(f, apperr.FieldError{Field: c.name, Message: "must be an RFC 3339 timestamp"})
			continue
		}
		if t = t.UTC(); t.Year() < 0 || t.Year() > 9999 {
			// An order is rendered with RFC 3339 timestamps, which have four
			// digit years: 9999-12-31T23:59:59-01:00 is in the year 10000.
			f = append(f, apperr.FieldError{Field: c.name, Message: "must be an RFC 3339 timestamp in the years 0000 to 9999 (UTC)"})
			continue
		}
		if c.dst == nil {
			o.CreatedAt = t
		} else {
			*c.dst = &t
		}
	}
	if o.PaidAt == nil && (o.Status == orders.StatusPaid || o.Status == orders.StatusPartiallyRefunded || o.Status == orders.StatusRefunded) {
		o.PaidAt = &o.CreatedAt
	}
	if len(f) > 0 {
		return &apperr.Invalid{Fields: f}
	}
	return nil
}

// maxLegacyIDLength bounds legacy_id, which a unique index holds.
const maxLegacyIDLength = 200

// checkImportText refuses, before the row reaches the database, columns
// holding what PostgreSQL text cannot (U+0000, bytes that are not UTF-8)
// and a legacy_id too long for its index; such rows used to fail in the
// database and were reported with the driver's error.
func checkImportText(get func(string) string) error {
	var f []apperr.FieldError
	for _, c := range ImportColumns {
		switch v := get(c); {
		case !utf8.ValidString(v):
			f = append(f, apperr.FieldError{Field: c, Message: "must be UTF-8 text"})
		case strings.IndexByte(v, 0) >= 0:
			f = append(f, apperr.FieldError{Field: c, Message: "must not contain U+0000"})
		}
	}
	if n := utf8.RuneCountInString(get("legacy_id")); n > maxLegacyIDLength {
		f = append(f, apperr.FieldError{Field: "legacy_id", Message: fmt.Sprintf("must be at most %d characters", maxLegacyIDLength)})
	}
	if len(f) > 0 {
		return &apperr.Invalid{Fields: f}
	}
	return nil
}

// describe renders an import row's error for the report.
func describe(err error) string {
	var inv *apperr.Invalid
	var conf *apperr.Conflict
	switch {
	case errors.As(err, &inv):
		s := ""
		for i, f := range inv.Fields {
			if i > 0 {
				s += "; "
			}
			s += f.Field + ": " + f.Message
		}
		return s
	case errors.As(err, &conf):
		if len(conf.Fields) > 0 {
			return conf.Fields[0].Field + ": " + conf.Fields[0].Message
		}
		return conf.Detail
	}
	return err.Error()
}

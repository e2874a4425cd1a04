package producttypestest

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/producttypes"
)

// platform is the platform's own validation pipeline over a registry
// holding the type under test, without a database: the catalog's product
// validation (config schema, decoding, product rules, buyer schema) and
// the checkout's custom_data validation (normalizing, the buyer schema).
// The suite checks a type through it, so the two cannot drift apart.
type platform struct {
	typ      producttypes.Type
	catalog  *catalog.Service
	checkout *checkout.Service
}

func newPlatform(typ producttypes.Type, reg *producttypes.Registry) platform {
	cat := catalog.NewService(nil, reg)
	return platform{typ: typ, catalog: cat, checkout: checkout.NewService(nil, cat, nil, nil, nil)}
}

// product runs a product write's validation of config at price and
// currency: the fields it refuses, or the product with its buyer schema.
func (pl platform) product(config json.RawMessage, price int64, currency string) (catalog.Product, []producttypes.FieldError, error) {
	info := pl.typ.Info()
	p := catalog.Product{ID: uuid.New(), Type: info.Name, Name: "Conformance", Category: info.DefaultCategory,
		PriceCents: price, Currency: currency, Config: config, SchemaVersion: 1, Active: true}
	fields, err := pl.catalog.Complete(pl.typ, &p)
	return p, toTypes(fields), err
}

// data runs a checkout's validation of raw custom_data for p: the
// normalized data, or the fields it refuses.
func (pl platform) data(p catalog.Product, raw json.RawMessage) (map[string]any, []producttypes.FieldError, error) {
	data, fields, err := pl.checkout.Validate(context.Background(), p, pl.typ, raw)
	return data, toTypes(fields), err
}

// config is p's config as the platform hands it to the type.
func (pl platform) config(p catalog.Product) (producttypes.Config, error) {
	return pl.catalog.TypeConfig(p)
}

func toTypes(fs []apperr.FieldError) []producttypes.FieldError {
	out := make([]producttypes.FieldError, len(fs))
	for i, f := range fs {
		out[i] = producttypes.FieldError(f)
	}
	return out
}

package orderio

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/internal/testkit/jsontest"
	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/jsonlimit"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/producttypes"
	"github.com/leaguepay/checkout/producttypes/contract"
	"github.com/leaguepay/checkout/producttypes/jersey"
)

// FuzzImportRow runs one CSV row of a legacy import, under the header of
// every import column, through everything Import does before and between
// its database calls: the CSV reader, the column lookup, the text checks,
// legacy_id, product_id, the optional fields (parseImportFields) and the
// custom_data pipeline (validateData) of the product the row names. Nothing
// panics; every refusal is an *apperr.Invalid naming columns or custom_data
// pointers, never another error (a row would then be reported with an
// internal failure's text); and a row that passes holds only what the
// database stores and the API renders back.
func FuzzImportRow(f *testing.F) {
	s, products := fuzzImportService(f)
	header := strings.Join(ImportColumns, ",")
	f.Fuzz(func(t *testing.T, row string) {
		cr := csv.NewReader(strings.NewReader(header + "\n" + row))
		cr.FieldsPerRecord = -1
		hdr, err := cr.Read()
		if err != nil {
			t.Fatalf("read header: %v", err)
		}
		rec, err := cr.Read()
		var pe *csv.ParseError
		switch {
		case errors.Is(err, io.EOF):
			return
		case errors.As(err, &pe):
			return // reported with its line, as Import does
		case err != nil:
			t.Fatalf("read row: %v, want a *csv.ParseError", err)
		}
		cr.FieldPos(0)
		o, err := fuzzImportRow(s, products, rowGetter(importColumnsOf(hdr), rec))
		if err != nil {
			checkImportRefusal(t, err)
			return
		}
		checkImportable(t, o, rowGetter(importColumnsOf(hdr), rec))
	})
}

func fuzzImportService(f *testing.F) (*Service, map[uuid.UUID]catalog.Product) {
	f.Helper()
	reg := producttypes.NewRegistry()
	reg.Register(jersey.New(), contract.New())
	products := map[uuid.UUID]catalog.Product{}
	for _, p := range fuzzProducts {
		typ, _ := reg.Get(p.typ)
		cfg, err := producttypes.DecodeConfigOf(typ, json.RawMessage(p.config))
		if err != nil {
			f.Fatal(err)
		}
		fields, err := producttypes.BuyerSchemaOf(typ, cfg)
		if err != nil {
			f.Fatal(err)
		}
		id := uuid.MustParse(p.id)
		products[id] = catalog.Product{ID: id, Type: p.typ, Category: typ.Info().DefaultCategory, PriceCents: p.price,
			Currency: "usd", Config: json.RawMessage(p.config), CustomFields: fields, SchemaVersion: 1, Active: true}
	}
	cat := catalog.NewService(nil, reg)
	return &Service{catalog: cat, checkout: checkout.NewService(nil, cat, nil, nil, nil)}, products
}

// fuzzImportRow is importRow and importOrder without the database: the
// product is looked up in products, households and players are not made.
func fuzzImportRow(s *Service, products map[uuid.UUID]catalog.Product, get func(string) string) (*orders.Order, error) {
	if err := checkImportText(get); err != nil {
		return nil, err
	}
	if get("legacy_id") == "" {
		return nil, &apperr.Invalid{Fields: apperr.Field("legacy_id", "is required")}
	}
	productID, err := ids.Parse(get("product_id"))
	if err != nil {
		return nil, &apperr.Invalid{Fields: apperr.Field("product_id", "must be a product id (UUID)")}
	}
	product, ok := products[productID]
	if !ok {
		return nil, &apperr.Invalid{Fields: apperr.Field("product_id", "is not a product of this league (not found)")}
	}
	o := &orders.Order{ID: ids.New(), ProductID: product.ID, ProductType: product.Type, Category: product.Category,
		Status: orders.StatusPaid, AmountCents: product.PriceCents, Currency: product.Currency, SchemaVersion: product.SchemaVersion,
		CreatedAt: time.Now().UTC()}
	if err := parseImportFields(o, get); err != nil {
		return nil, err
	}
	typ, ok := s.catalog.Registry().Get(product.Type)
	if !ok {
		return nil, errors.New("unregistered type")
	}
	raw := json.RawMessage(get("custom_data"))
	if viol := jsonlimit.Check(raw, jsonlimit.Default); len(raw) > 0 && viol != nil {
		return nil, &apperr.Invalid{Fields: apperr.Field("custom_data", "at "+viol.Pointer()+" "+viol.Message)}
	}
	data, fields, err := s.checkout.Validate(context.Background(), product, typ, raw)
	if err != nil {
		return nil, err
	}
	if len(fields) > 0 {
		return nil, &apperr.Invalid{Fields: fields}
	}
	cfg, err := s.catalog.TypeConfig(product)
	if err != nil {
		return nil, err
	}
	ruleFields, _, err := producttypes.CheckRulesOf(context.Background(), typ, producttypes.RuleInput{TenantID: uuid.Nil.String(),
		ProductID: product.ID.String(), PlayerID: ids.New().String(), Config: cfg, Data: data})
	if err != nil {
		return nil, err
	}
	if len(ruleFields) > 0 {
		return nil, &apperr.Invalid{Fields: apperr.FromTypes(ruleFields)}
	}
	if o.CustomData, err = json.Marshal(data); err != nil {
		return nil, err
	}
	return o, nil
}

// checkImportRefusal checks that a refused row is refused with field
// errors naming import columns or custom_data pointers.
func checkImportRefusal(t *testing.T, err error) {
	t.Helper()
	var inv *apperr.Invalid
	if !errors.As(err, &inv) || len(inv.Fields) == 0 {
		t.Fatalf("row refused with %v (%T), want *apperr.Invalid with fields", err, err)
	}
	for _, fe := range inv.Fields {
		column := false
		for _, c := range ImportColumns {
			column = column || fe.Field == c
		}
		if fe.Message == "" || (!column && fe.Field != "/custom_data" && !strings.HasPrefix(fe.Field, "/custom_data/")) {
			t.Errorf("field error %+v names neither an import column nor a custom_data pointer", fe)
		}
	}
}

// checkImportable checks that an accepted row holds what PostgreSQL stores
// (UTF-8 text without U+0000, a legacy_id its unique index can hold, jsonb
// without U+0000) and what the API renders (timestamps in years 0 to 9999).
func checkImportable(t *testing.T, o *orders.Order, get func(string) string) {
	t.Helper()
	for _, c := range ImportColumns {
		if v := get(c); !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			t.Errorf("column %s %q was accepted but cannot be stored as text", c, v)
		}
	}
	if n := len(get("legacy_id")); n > 2000 {
		t.Errorf("a legacy_id of %d bytes was accepted; its unique index cannot hold it", n)
	}
	if !o.Status.Valid() || o.AmountCents < 0 || !currencyRE.MatchString(o.Currency) {
		t.Errorf("accepted order has status %q, amount %d, currency %q", o.Status, o.AmountCents, o.Currency)
	}
	if o.PaidAt == nil && (o.Status == orders.StatusPaid || o.Status == orders.StatusPartiallyRefunded || o.Status == orders.StatusRefunded) {
		t.Errorf("a %s order has no paid_at", o.Status)
	}
	if _, err := json.Marshal(o); err != nil {
		t.Errorf("accepted order cannot be rendered: %v", err)
	}
	var data any
	if err := json.Unmarshal(o.CustomData, &data); err != nil {
		t.Fatalf("custom data %s is not JSON: %v", o.CustomData, err)
	}
	if _, ok := data.(map[string]any); !ok || jsontest.HoldsNUL(data) {
		t.Errorf("custom data %q cannot be stored as a jsonb object", o.CustomData)
	}
}

// The products FuzzImportRow's rows may name in product_id; the corpus
// uses these ids.
var fuzzProducts = []struct {
	id, typ, config string
	price           int64
}{
	{"0190f1d4-0000-7000-8000-00000000000a", "jersey", `{"top_sizes":["YS","YM"],"bottom_sizes":["YS","YM"],"number_scope":"fuzz"}`, 4500},
	{"0190f1d4-0000-7000-8000-00000000000b", "jersey", `{"opt_out":true}`, 0},
	{"0190f1d4-0000-7000-8000-00000000000c", "contract", `{"season":"2026","terms_version":"2026.1","terms_text":"Be kind."}`, 0},
}

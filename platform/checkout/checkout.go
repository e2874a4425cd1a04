// Package checkout places orders: a checkout is validated against the
// product's buyer schema and its type's rules from the per-tenant caches,
// then written in one unit of work — the order, its claims, its audit entry,
// its outbox events and its idempotency key — and, for a priced product,
// handed to the payment provider, whose session is stored in a second short
// transaction. It owns the idempotency_keys table; the order's tables are
// written through platform/orders. Household checkouts, discounts and
// capacity (the next issues) belong here.
package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/outbox"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/producttypes"
)

// Service places checkouts.
type Service struct {
	db       *db.DB
	catalog  *catalog.Service
	payments *payments.Service
	nudger   *outbox.Nudger
	log      *slog.Logger
	// oneTrip counts the checkouts placed in one round trip.
	oneTrip atomic.Int64
}

// NewService returns the checkout service, selling priced products through
// pay and nudging the outbox's dispatcher after each checkout.
func NewService(d *db.DB, c *catalog.Service, pay *payments.Service, n *outbox.Nudger, log *slog.Logger) *Service {
	return &Service{db: d, catalog: c, payments: pay, nudger: n, log: log}
}

// OneRoundTrip is how many checkouts this process placed in one round trip
// (see fast.go), for operators and tests.
func (s *Service) OneRoundTrip() int64 { return s.oneTrip.Load() }

// Input is the buyer's checkout body.
type Input struct {
	RegistrationToken string          `json:"registration_token"`
	ProductID         string          `json:"product_id"`
	PlayerID          *string         `json:"player_id"`
	CustomData        json.RawMessage `json:"custom_data"`
	SuccessURL        *string         `json:"success_url"`
	CancelURL         *string         `json:"cancel_url"`
}

// Request is a checkout with what the API layer knows around it.
type Request struct {
	TenantID       uuid.UUID
	TenantSlug     string
	OriginAllowed  func(string) bool
	DefaultOrigin  string // where buyers return when the request names no URL
	Input          Input
	IdempotencyKey string
	ClientIP       string
}

// Result is the created (or replayed) order.
type Result struct {
	Order       orders.Order `json:"order"`
	CheckoutURL *string      `json:"checkout_url"`
	// Replayed is true when an Idempotency-Key returned an earlier result.
	Replayed bool `json:"-"`
}

// checked is a checkout that passed every check needing no database: the
// product (from the per-tenant cache), the return URLs, and custom_data
// normalized and valid against the product's compiled schema.
type checked struct {
	product catalog.Product
	typ     producttypes.Type
	cfg     producttypes.Config // the product's config as its type decoded it
	data    map[string]any
}

// placed is what the write transaction made of a checked checkout.
type placed struct {
	order     orders.Order
	household customers.Customer
}

// Checkout validates and places an order. A free product is paid at once;
// a priced one is pending until its Checkout Session is paid (see
// checkoutPaid).
func (s *Service) Checkout(ctx context.Context, req Request) (res Result, err error) {
	if req.IdempotencyKey == "" {
		res, err = s.checkout(ctx, req)
	} else {
		res, err = s.withIdempotency(ctx, req)
	}
	if err == nil && !res.Replayed {
		s.nudger.Nudge()
	}
	return res, err
}

// checkout is one unit of work: every check that needs no database, from
// the per-tenant caches; then one write transaction (household, player,
// rules, the order, its claims and its event); for a priced product, the
// provider's session and a second short transaction to store it. A product
// that changed since it was cached is re-read and the checkout checked
// again, once.
func (s *Service) checkout(ctx context.Context, req Request) (Result, error) {
	res, err := s.checkoutOnce(ctx, req)
	if errors.Is(err, orders.ErrProductChanged) {
		s.catalog.Forget(req.TenantID)
		if res, err = s.checkoutOnce(ctx, req); errors.Is(err, orders.ErrProductChanged) {
			return Result{}, &apperr.Conflict{Detail: "the product changed during the checkout; try again"}
		}
	}
	return res, err
}

func (s *Service) checkoutOnce(ctx context.Context, req Request) (Result, error) {
	c, err := s.precheck(ctx, req)
	if err != nil {
		return Result{}, err
	}
	if c.product.PriceCents > 0 {
		return s.checkoutPaid(ctx, req, c)
	}
	const detail = "free product: paid at checkout"
	if r, ok := s.placeFast(ctx, req, c, orders.StatusPaid, detail, ""); ok {
		return Result{Order: r.order}, nil
	}
	var p placed
	err = s.db.InTenant(ctx, req.TenantID, func(tx pgx.Tx) (err error) {
		if p, err = s.place(ctx, tx, req, c, detail); err != nil {
			return err
		}
		return completeIdempotency(ctx, tx, req, p.order.ID)
	})
	if err := err; err != nil {
		return Result{}, err
	}
	return Result{Order: p.order}, nil
}

// precheck runs every check of a checkout that needs no database: the
// product comes from the catalog's per-tenant cache and custom_data is
// checked against its compiled schema, so a checkout that cannot succeed
// costs no query at all.
func (s *Service) precheck(ctx context.Context, req Request) (checked, error) {
	in := req.Input
	if in.RegistrationToken == "" {
		return checked{}, apperr.ErrUnauthorized
	}
	productID, err := ids.Parse(in.ProductID)
	if err != nil {
		return checked{}, &apperr.Invalid{Detail: "the checkout is invalid", Fields: apperr.Field("/product_id", "must be a product id (UUID)")}
	}
	product, err := s.catalog.Sellable(ctx, req.TenantID, productID)
	if err != nil {
		return checked{}, err
	}
	fields := returnURLFields(req.OriginAllowed, in.SuccessURL, in.CancelURL)
	c, dataFields, err := s.checkProduct(ctx, product, in.CustomData)
	if err != nil {
		return checked{}, err
	}
	if fields = append(fields, dataFields...); len(fields) > 0 {
		return checked{}, &apperr.Invalid{Detail: "the checkout is invalid", Fields: fields}
	}
	return c, ctx.Err()
}

// checkProduct checks a buyer's custom_data against a product on sale (from
// the catalog's cache): the product's type and its decoded config, the data
// normalized by the type and valid against the compiled buyer schema. The
// field errors point under /custom_data.
func (s *Service) checkProduct(ctx context.Context, product catalog.Product, raw json.RawMessage) (checked, []apperr.FieldError, error) {
	c := checked{product: product}
	typ, ok := s.catalog.Registry().Get(product.Type)
	if !ok {
		return checked{}, nil, fmt.Errorf("product %s has unregistered type %q", product.ID, product.Type)
	}
	c.typ = typ
	var err error
	if c.cfg, err = s.catalog.TypeConfig(product); err != nil {
		return checked{}, nil, err
	}
	data, fields, err := s.validate(ctx, product, typ, c.cfg, raw)
	if err != nil {
		return checked{}, nil, err
	}
	c.data = data
	return c, fields, nil
}

// returnURLFields are the errors of return URLs not on the league's
// allowed redirect origins.
func returnURLFields(allowed func(string) bool, success, cancel *string) []apperr.FieldError {
	var fields []apperr.FieldError
	for _, u := range []struct {
		ptr string
		url *string
	}{{"/success_url", success}, {"/cancel_url", cancel}} {
		if u.url != nil && !allowed(*u.url) {
			fields = append(fields, apperr.FieldError{Field: u.ptr, Message: "must be a URL on one of the league's allowed redirect origins"})
		}
	}
	return fields
}

// stamp is what an order of c stores beside its custom data: the type's
// evidence (nil when it has none) and the data, encoded.
func stamp(ctx context.Context, c checked, clientIP string) (evidence, data json.RawMessage, err error) {
	m, err := producttypes.EvidenceOf(ctx, c.typ, producttypes.EvidenceInput{Config: c.cfg, Data: c.data,
		ClientIP: clientIP, At: time.Now().UTC()})
	if err != nil {
		return nil, nil, fmt.Errorf("stamp evidence: %w", err)
	}
	if m != nil {
		if evidence, err = json.Marshal(m); err != nil {
			return nil, nil, fmt.Errorf("encode evidence: %w", err)
		}
	}
	if data, err = json.Marshal(c.data); err != nil {
		return nil, nil, fmt.Errorf("encode custom data: %w", err)
	}
	return evidence, data, nil
}

// place writes a checked checkout inside tx: it finds the household by its
// token, picks the player, runs the type's rules and evidence, and inserts
// the order with its event and claims.
func (s *Service) place(ctx context.Context, tx pgx.Tx, req Request, c checked, detail string) (placed, error) {
	household, err := customers.ByTokenTx(ctx, tx, req.TenantID, req.Input.RegistrationToken)
	if err != nil {
		return placed{}, err
	}
	playerID, err := pickPlayer(household, req.Input.PlayerID)
	if err != nil {
		return placed{}, err
	}
	fields, claims, err := producttypes.CheckRulesOf(ctx, c.typ, producttypes.RuleInput{TenantID: req.TenantID.String(),
		ProductID: c.product.ID.String(), PlayerID: playerID.String(), Config: c.cfg, Data: c.data})
	if err != nil {
		return placed{}, err
	}
	if len(fields) > 0 {
		return placed{}, &apperr.Invalid{Detail: "the checkout is invalid", Fields: apperr.FromTypes(fields)}
	}
	evidence, data, err := stamp(ctx, c, req.ClientIP)
	if err != nil {
		return placed{}, err
	}
	co := orders.Checkout{ID: ids.New(), Status: orders.CheckoutOpen, CustomerID: household.ID,
		SubtotalCents: c.product.PriceCents, AmountCents: c.product.PriceCents, Currency: c.product.Currency}
	o := orders.Order{ID: ids.New(), ProductID: c.product.ID, ProductName: c.product.Name, ProductType: c.product.Type,
		PlayerName: household.PlayerName(playerID), CheckoutID: &co.ID,
		Category: c.product.Category, CustomerID: household.ID, PlayerID: playerID, Status: orders.StatusPending,
		AmountCents: c.product.PriceCents, Currency: c.product.Currency, CustomData: data,
		SchemaVersion: c.product.SchemaVersion, Evidence: evidence}
	if o.AmountCents == 0 {
		o.Status, co.Status = orders.StatusPaid, orders.CheckoutComplete
	}
	if err := orders.InsertCheckout(ctx, tx, req.TenantID, &co); err != nil {
		return placed{}, err
	}
	if err := orders.Insert(ctx, tx, req.TenantID, &o, 0, claims, detail); err != nil {
		return placed{}, err
	}
	q, args := orders.CheckoutCreated(req.TenantID, co.ID, co.Status)
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return placed{}, fmt.Errorf("write checkout events: %w", err)
	}
	return placed{order: o, household: household}, nil
}

// pickPlayer resolves the order's player: the one named (it must belong to
// the household), or the household's only player.
func pickPlayer(c customers.Customer, given *string) (uuid.UUID, error) {
	if given == nil {
		if len(c.Players) == 1 {
			return c.Players[0].ID, nil
		}
		return uuid.Nil, &apperr.Invalid{Detail: "the household has several players",
			Fields: apperr.Field("/player_id", "is required: the household has several players")}
	}
	id, err := ids.Parse(*given)
	if err != nil {
		return uuid.Nil, &apperr.Invalid{Detail: "the checkout is invalid", Fields: apperr.Field("/player_id", "must be a player id (UUID)")}
	}
	for _, pl := range c.Players {
		if pl.ID == id {
			return id, nil
		}
	}
	return uuid.Nil, fmt.Errorf("player not in household: %w", apperr.ErrNotFound)
}

// Validate normalizes custom_data and validates it against the product's
// compiled buyer schema, as a checkout does (the importer's rows and the
// product types' conformance suite too).
func (s *Service) Validate(ctx context.Context, product catalog.Product, typ producttypes.Type,
	raw json.RawMessage) (map[string]any, []apperr.FieldError, error) {
	cfg, err := s.catalog.TypeConfig(product)
	if err != nil {
		return nil, nil, err
	}
	return s.validate(ctx, product, typ, cfg, raw)
}

// validate normalizes custom_data and validates it against the
// product's compiled buyer schema. The request's deadline is honoured
// between the steps.
func (s *Service) validate(ctx context.Context, product catalog.Product, typ producttypes.Type, cfg producttypes.Config,
	raw json.RawMessage) (map[string]any, []apperr.FieldError, error) {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage(`{}`)
	}
	decoded, err := producttypes.DecodeJSON(raw)
	obj, ok := decoded.(map[string]any)
	if err != nil || !ok {
		return nil, apperr.Field("/custom_data", "must be a JSON object"), nil
	}
	if ptr, found := nulField(obj, "/custom_data"); found {
		return nil, apperr.Field(ptr, "must not contain U+0000"), nil
	}
	if obj, err = producttypes.NormalizeData(typ, cfg, obj); err != nil {
		return nil, nil, err
	}
	schema, err := s.catalog.BuyerSchema(product)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if fields := schema.Validate(obj, "/custom_data"); len(fields) > 0 {
		return nil, apperr.FromTypes(fields), nil
	}
	return obj, nil, nil
}

// nulField returns the JSON Pointer of the first string or member name in v
// (in key order) that holds U+0000, which jsonb cannot store. A checkout's
// body was refused for it already; an imported row's custom_data was not.
func nulField(v any, ptr string) (string, bool) {
	switch v := v.(type) {
	case string:
		return ptr, strings.IndexByte(v, 0) >= 0
	case []any:
		for i, e := range v {
			if p, found := nulField(e, ptr+"/"+strconv.Itoa(i)); found {
				return p, true
			}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			p := ptr + "/" + pointerEscaper.Replace(k)
			if strings.IndexByte(k, 0) >= 0 {
				return p, true
			}
			if p, found := nulField(v[k], p); found {
				return p, true
			}
		}
	}
	return "", false
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

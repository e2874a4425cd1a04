package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/producttypes"
)

// CheckoutInput is the buyer's checkout body.
type CheckoutInput struct {
	RegistrationToken string          `json:"registration_token"`
	ProductID         string          `json:"product_id"`
	PlayerID          *string         `json:"player_id"`
	CustomData        json.RawMessage `json:"custom_data"`
	SuccessURL        *string         `json:"success_url"`
	CancelURL         *string         `json:"cancel_url"`
}

// CheckoutRequest is a checkout with what the API layer knows around it.
type CheckoutRequest struct {
	TenantID       uuid.UUID
	TenantSlug     string
	OriginAllowed  func(string) bool
	DefaultOrigin  string // where buyers return when the request names no URL
	Input          CheckoutInput
	IdempotencyKey string
	ClientIP       string
}

// CheckoutResult is the created (or replayed) order.
type CheckoutResult struct {
	Order       Order   `json:"order"`
	CheckoutURL *string `json:"checkout_url"`
	// Replayed is true when an Idempotency-Key returned an earlier result.
	Replayed bool `json:"-"`
}

// checked is a checkout that passed every check needing no database: the
// product (from the per-tenant cache), the return URLs, and custom_data
// normalized and valid against the product's compiled schema.
type checked struct {
	product catalog.Product
	typ     producttypes.Type
	data    map[string]any
}

// placed is what the write transaction made of a checked checkout.
type placed struct {
	order     Order
	household customers.Customer
}

// errProductChanged is a checkout checked against a cached product that
// changed (price, config, currency or active) before the order's insert.
var errProductChanged = errors.New("orders: the product changed during the checkout")

// Checkout validates and places an order. A free product is paid at once;
// a priced one is pending until its Checkout Session is paid (see
// checkoutPaid).
func (s *Service) Checkout(ctx context.Context, req CheckoutRequest) (CheckoutResult, error) {
	if req.IdempotencyKey == "" {
		return s.checkout(ctx, req)
	}
	return s.withIdempotency(ctx, req)
}

// checkout is one unit of work: every check that needs no database, from
// the per-tenant caches; then one write transaction (household, player,
// rules, the order, its claims and its event); for a priced product, the
// provider's session and a second short transaction to store it. A product
// that changed since it was cached is re-read and the checkout checked
// again, once.
func (s *Service) checkout(ctx context.Context, req CheckoutRequest) (CheckoutResult, error) {
	res, err := s.checkoutOnce(ctx, req)
	if errors.Is(err, errProductChanged) {
		s.catalog.Forget(req.TenantID)
		if res, err = s.checkoutOnce(ctx, req); errors.Is(err, errProductChanged) {
			return CheckoutResult{}, &apperr.Conflict{Detail: "the product changed during the checkout; try again"}
		}
	}
	return res, err
}

func (s *Service) checkoutOnce(ctx context.Context, req CheckoutRequest) (CheckoutResult, error) {
	c, err := s.precheck(ctx, req)
	if err != nil {
		return CheckoutResult{}, err
	}
	if c.product.PriceCents > 0 {
		return s.checkoutPaid(ctx, req, c)
	}
	const detail = "free product: paid at checkout"
	if r, ok := s.placeFast(ctx, req, c, StatusPaid, detail, ""); ok {
		return CheckoutResult{Order: r.order}, nil
	}
	var p placed
	err = s.db.InTenant(ctx, req.TenantID, func(tx pgx.Tx) (err error) {
		if p, err = s.place(ctx, tx, req, c, detail); err != nil {
			return err
		}
		return completeIdempotency(ctx, tx, req, p.order.ID)
	})
	if err := err; err != nil {
		return CheckoutResult{}, err
	}
	return CheckoutResult{Order: p.order}, nil
}

// precheck runs every check of a checkout that needs no database: the
// product comes from the catalog's per-tenant cache and custom_data is
// checked against its compiled schema, so a checkout that cannot succeed
// costs no query at all.
func (s *Service) precheck(ctx context.Context, req CheckoutRequest) (checked, error) {
	in := req.Input
	if in.RegistrationToken == "" {
		return checked{}, apperr.ErrUnauthorized
	}
	productID, err := ids.Parse(in.ProductID)
	if err != nil {
		return checked{}, &apperr.Invalid{Detail: "the checkout is invalid", Fields: apperr.Field("/product_id", "must be a product id (UUID)")}
	}
	var c checked
	if c.product, err = s.catalog.Sellable(ctx, req.TenantID, productID); err != nil {
		return checked{}, err
	}
	typ, ok := s.catalog.Registry().Get(c.product.Type)
	if !ok {
		return checked{}, fmt.Errorf("product %s has unregistered type %q", c.product.ID, c.product.Type)
	}
	c.typ = typ
	var fields []apperr.FieldError
	for _, u := range []struct {
		ptr string
		url *string
	}{{"/success_url", in.SuccessURL}, {"/cancel_url", in.CancelURL}} {
		if u.url != nil && !req.OriginAllowed(*u.url) {
			fields = append(fields, apperr.FieldError{Field: u.ptr, Message: "must be a URL on one of the league's allowed redirect origins"})
		}
	}
	data, dataFields, err := s.validateData(ctx, c.product, typ, in.CustomData)
	if err != nil {
		return checked{}, err
	}
	if fields = append(fields, dataFields...); len(fields) > 0 {
		return checked{}, &apperr.Invalid{Detail: "the checkout is invalid", Fields: fields}
	}
	c.data = data
	return c, ctx.Err()
}

// place writes a checked checkout inside tx: it finds the household by its
// token, picks the player, runs the type's rules and evidence, and inserts
// the order with its event and claims.
func (s *Service) place(ctx context.Context, tx pgx.Tx, req CheckoutRequest, c checked, detail string) (placed, error) {
	household, err := customers.ByTokenTx(ctx, tx, req.TenantID, req.Input.RegistrationToken)
	if err != nil {
		return placed{}, err
	}
	playerID, err := pickPlayer(household, req.Input.PlayerID)
	if err != nil {
		return placed{}, err
	}
	fields, claims, err := producttypes.CheckRulesOf(ctx, c.typ, producttypes.RuleInput{TenantID: req.TenantID.String(),
		ProductID: c.product.ID.String(), PlayerID: playerID.String(), Config: c.product.Config, Data: c.data})
	if err != nil {
		return placed{}, err
	}
	if len(fields) > 0 {
		return placed{}, &apperr.Invalid{Detail: "the checkout is invalid", Fields: apperr.FromTypes(fields)}
	}
	var evidence json.RawMessage
	m, err := producttypes.EvidenceOf(ctx, c.typ, producttypes.EvidenceInput{Config: c.product.Config, Data: c.data,
		ClientIP: req.ClientIP, At: time.Now().UTC()})
	if err != nil {
		return placed{}, fmt.Errorf("stamp evidence: %w", err)
	}
	if m != nil {
		if evidence, err = json.Marshal(m); err != nil {
			return placed{}, fmt.Errorf("encode evidence: %w", err)
		}
	}
	data, err := json.Marshal(c.data)
	if err != nil {
		return placed{}, fmt.Errorf("encode custom data: %w", err)
	}
	o := Order{ID: ids.New(), ProductID: c.product.ID, ProductName: c.product.Name, ProductType: c.product.Type,
		PlayerName: household.PlayerName(playerID),
		Category:   c.product.Category, CustomerID: household.ID, PlayerID: playerID, Status: StatusPending,
		AmountCents: c.product.PriceCents, Currency: c.product.Currency, CustomData: data,
		SchemaVersion: c.product.SchemaVersion, Evidence: evidence}
	if o.AmountCents == 0 {
		o.Status = StatusPaid
	}
	if err := insertOrder(ctx, tx, req.TenantID, &o, claims, detail); err != nil {
		return placed{}, err
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

// validateData normalizes custom_data and validates it against the
// product's compiled buyer schema. The request's deadline is honoured
// between the steps.
func (s *Service) validateData(ctx context.Context, product catalog.Product, typ producttypes.Type,
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
	if obj, err = producttypes.NormalizeData(typ, product.Config, obj); err != nil {
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

// insertOrder writes a new order, its first event and its claims inside tx,
// the order and the event in one statement. The insert happens only while
// the product is as it was checked (active, same version, price and
// currency), else errProductChanged. The one-live-order index and the
// claims' primary key make concurrent duplicates fail here, in the
// database, whatever the timing: the loser gets a Conflict.
func insertOrder(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, o *Order, claims []producttypes.Claim, detail string) error {
	q := `WITH product AS (
			SELECT 1 FROM products WHERE tenant_id = $1 AND id = $3 AND active
				AND schema_version = $12 AND price_cents = $9 AND currency = $10),
		o AS (
			INSERT INTO orders AS o (tenant_id, id, product_id, product_type, category, customer_id, player_id,
				status, amount_cents, currency, custom_data, schema_version, evidence, paid_at)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, CASE WHEN $8 = 'paid' THEN now() END
			FROM product
			ON CONFLICT (tenant_id, product_id, player_id) WHERE status IN ('pending', 'paid', 'partially_refunded')
			DO NOTHING
			RETURNING ` + orderFields + `),
		audit AS (
			INSERT INTO order_events (tenant_id, id, order_id, actor, from_status, to_status, detail)
			SELECT $1, $14, o.id, 'buyer', NULL, o.status, $15 FROM o),
		` + eventsCTE("o", "", "NULL", "$18", "$19") + `
		SELECT *, $16::text, $17::text FROM o`
	evIDs, types := eventParams(nil, o.Status)
	row := tx.QueryRow(ctx, q, tenantID, o.ID, o.ProductID, o.ProductType, o.Category, o.CustomerID, o.PlayerID,
		o.Status, o.AmountCents, o.Currency, o.CustomData, o.SchemaVersion, o.Evidence, ids.New(), detail,
		o.ProductName, o.PlayerName, evIDs, types)
	inserted, err := scanOrder(row)
	if errors.Is(err, pgx.ErrNoRows) {
		var existing *uuid.UUID
		err := tx.QueryRow(ctx, `SELECT (SELECT id FROM orders WHERE tenant_id = $1 AND product_id = $2 AND player_id = $3
			AND status IN ('pending', 'paid', 'partially_refunded'))`, tenantID, o.ProductID, o.PlayerID).Scan(&existing)
		if err != nil {
			return fmt.Errorf("find existing order: %w", err)
		}
		if existing == nil {
			return errProductChanged
		}
		return &apperr.Conflict{Detail: "the player already has a pending or paid order for this product", OrderID: existing.String()}
	}
	if err != nil {
		return fmt.Errorf("insert order: %w", err)
	}
	*o = inserted
	return acquireClaims(ctx, tx, tenantID, o.ID, claims)
}

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
	"github.com/leaguepay/checkout/platform/payments"
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

// prepared is a checkout that passed every check and is ready to insert.
type prepared struct {
	order     Order
	claims    []producttypes.Claim
	product   catalog.Product
	household customers.Customer
}

// Checkout validates and places an order. A free product is paid at once;
// a priced one is pending until its Checkout Session is paid (see
// checkoutPaid).
func (s *Service) Checkout(ctx context.Context, req CheckoutRequest) (CheckoutResult, error) {
	if req.IdempotencyKey == "" {
		return s.checkout(ctx, req)
	}
	return s.withIdempotency(ctx, req)
}

func (s *Service) checkout(ctx context.Context, req CheckoutRequest) (CheckoutResult, error) {
	p, err := s.prepare(ctx, req)
	if err != nil {
		return CheckoutResult{}, err
	}
	if p.order.AmountCents > 0 {
		return s.checkoutPaid(ctx, req, p, payments.Customer{ID: p.household.ID, Name: p.household.Name, Email: p.household.Email})
	}
	ctx, changes := Track(ctx)
	err = s.db.InTenant(ctx, req.TenantID, func(tx pgx.Tx) error {
		if err := insertOrder(ctx, tx, req.TenantID, &p.order, p.claims); err != nil {
			return err
		}
		if err := recordEvent(ctx, tx, req.TenantID, p.order.ID, "buyer", nil, StatusPaid, "free product: paid at checkout"); err != nil {
			return err
		}
		return completeIdempotency(ctx, tx, req, p.order.ID)
	})
	if err := s.publish(changes, err); err != nil {
		return CheckoutResult{}, err
	}
	return CheckoutResult{Order: p.order}, nil
}

// prepare runs every read and check of a checkout, outside any write.
func (s *Service) prepare(ctx context.Context, req CheckoutRequest) (prepared, error) {
	in := req.Input
	var p prepared
	var household customers.Customer
	err := s.db.InTenant(ctx, req.TenantID, func(tx pgx.Tx) error {
		var err error
		if household, err = customers.ByTokenTx(ctx, tx, req.TenantID, in.RegistrationToken); err != nil {
			return err
		}
		productID, err := ids.Parse(in.ProductID)
		if err != nil {
			return &apperr.Invalid{Detail: "the checkout is invalid", Fields: apperr.Field("/product_id", "must be a product id (UUID)")}
		}
		p.product, err = catalog.GetTx(ctx, tx, req.TenantID, productID, false)
		if err == nil && !p.product.Active {
			err = apperr.ErrNotFound
		}
		return err
	})
	if err != nil {
		return prepared{}, err
	}
	playerID, err := pickPlayer(household, in.PlayerID)
	if err != nil {
		return prepared{}, err
	}
	var fields []apperr.FieldError
	for ptr, u := range map[string]*string{"/success_url": in.SuccessURL, "/cancel_url": in.CancelURL} {
		if u != nil && !req.OriginAllowed(*u) {
			fields = append(fields, apperr.FieldError{Field: ptr, Message: "must be a URL on one of the league's allowed redirect origins"})
		}
	}
	data, evidence, claims, dataFields, err := s.validateData(ctx, req.TenantID, p.product, playerID, in.CustomData, req.ClientIP)
	if err != nil {
		return prepared{}, err
	}
	if fields = append(fields, dataFields...); len(fields) > 0 {
		return prepared{}, &apperr.Invalid{Detail: "the checkout is invalid", Fields: fields}
	}
	p.claims, p.household = claims, household
	p.order = Order{ID: ids.New(), ProductID: p.product.ID, ProductType: p.product.Type,
		Category: p.product.Category, CustomerID: household.ID, PlayerID: playerID, Status: StatusPending,
		AmountCents: p.product.PriceCents, Currency: p.product.Currency, CustomData: data,
		SchemaVersion: p.product.SchemaVersion, Evidence: evidence}
	if p.order.AmountCents == 0 {
		p.order.Status = StatusPaid
	}
	return p, nil
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

// validateData normalizes custom_data, validates it against the product's
// buyer schema, runs the type's rules and stamps its evidence.
func (s *Service) validateData(ctx context.Context, tenantID uuid.UUID, product catalog.Product, playerID uuid.UUID,
	raw json.RawMessage, clientIP string) (
	data, evidence json.RawMessage, claims []producttypes.Claim, fields []apperr.FieldError, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage(`{}`)
	}
	decoded, err := producttypes.DecodeJSON(raw)
	obj, ok := decoded.(map[string]any)
	if err != nil || !ok {
		return nil, nil, nil, apperr.Field("/custom_data", "must be a JSON object"), nil
	}
	if ptr, found := nulField(obj, "/custom_data"); found {
		return nil, nil, nil, apperr.Field(ptr, "must not contain U+0000"), nil
	}
	typ, ok := s.catalog.Registry().Get(product.Type)
	if !ok {
		return nil, nil, nil, nil, fmt.Errorf("product %s has unregistered type %q", product.ID, product.Type)
	}
	if n, ok := typ.(producttypes.Normalizer); ok {
		obj = n.Normalize(product.Config, obj)
	}
	schema, err := s.catalog.BuyerSchema(product)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if fields = schema.Validate(obj, "/custom_data"); len(fields) > 0 {
		return nil, nil, nil, fields, nil
	}
	if rc, ok := typ.(producttypes.RuleChecker); ok {
		fields, claims, err = rc.CheckRules(ctx, producttypes.RuleInput{TenantID: tenantID.String(),
			ProductID: product.ID.String(), PlayerID: playerID.String(), Config: product.Config, Data: obj})
		if err != nil || len(fields) > 0 {
			return nil, nil, nil, fields, err
		}
	}
	if ev, ok := typ.(producttypes.Evidencer); ok {
		m, err := ev.Evidence(ctx, producttypes.EvidenceInput{Config: product.Config, Data: obj,
			ClientIP: clientIP, At: time.Now().UTC()})
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("stamp evidence: %w", err)
		}
		if evidence, err = json.Marshal(m); err != nil {
			return nil, nil, nil, nil, fmt.Errorf("encode evidence: %w", err)
		}
	}
	if data, err = json.Marshal(obj); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("encode custom data: %w", err)
	}
	return data, evidence, claims, nil, nil
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

// insertOrder writes a new order and its claims inside tx. The one-live-order
// index and the claims' primary key make concurrent duplicates fail here, in
// the database, whatever the timing: the loser gets a Conflict.
func insertOrder(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, o *Order, claims []producttypes.Claim) error {
	const q = `INSERT INTO orders AS o (tenant_id, id, product_id, product_type, category, customer_id, player_id,
		status, amount_cents, currency, custom_data, schema_version, evidence, paid_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, CASE WHEN $8 = 'paid' THEN now() END)
		ON CONFLICT (tenant_id, product_id, player_id) WHERE status IN ('pending', 'paid', 'partially_refunded')
		DO NOTHING
		RETURNING ` + orderCols
	row := tx.QueryRow(ctx, q, tenantID, o.ID, o.ProductID, o.ProductType, o.Category, o.CustomerID, o.PlayerID,
		o.Status, o.AmountCents, o.Currency, o.CustomData, o.SchemaVersion, o.Evidence)
	inserted, err := scanOrder(row)
	if errors.Is(err, pgx.ErrNoRows) {
		var existing uuid.UUID
		err := tx.QueryRow(ctx, `SELECT id FROM orders WHERE tenant_id = $1 AND product_id = $2 AND player_id = $3
			AND status IN ('pending', 'paid', 'partially_refunded')`, tenantID, o.ProductID, o.PlayerID).Scan(&existing)
		if err != nil {
			return fmt.Errorf("find existing order: %w", err)
		}
		return &apperr.Conflict{Detail: "the player already has a pending or paid order for this product", OrderID: existing.String()}
	}
	if err != nil {
		return fmt.Errorf("insert order: %w", err)
	}
	*o = inserted
	note(ctx, tenantID, o, nil, o.Status)
	return acquireClaims(ctx, tx, tenantID, o.ID, claims)
}

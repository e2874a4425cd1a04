package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/discounts"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/producttypes"
)

// A household checkout (POST /checkouts) buys several items — a product
// for a player each — in one payment, with the league's discounts. It is
// one unit of work like a checkout of one item: every check that needs no
// database first (each item's product from the cache and custom_data
// against its schema); then one write transaction that finds the
// household, checks every item's player and rules, prices the checkout
// (platform/discounts.Price), and writes the checkout, its orders, their
// claims, the promotion's redemption and their events — all of it or, when
// any item fails, nothing; for a priced checkout, the provider's session
// (a line per order) and a second short write that stores it. A preview
// runs the same transaction and rolls it back.

// MaxItems is the most items a checkout may have.
const MaxItems = 20

// CartInput is the buyer's body of POST /checkouts (and its preview).
type CartInput struct {
	RegistrationToken string     `json:"registration_token"`
	Items             []CartItem `json:"items"`
	PromotionCode     *string    `json:"promotion_code"`
	SuccessURL        *string    `json:"success_url"`
	CancelURL         *string    `json:"cancel_url"`
}

// CartItem is one item: a product for a player.
type CartItem struct {
	ProductID  string          `json:"product_id"`
	PlayerID   *string         `json:"player_id"`
	CustomData json.RawMessage `json:"custom_data"`
	// WaitlistEntryID belongs to waitlists, which are not built yet: an
	// item that names one is refused.
	WaitlistEntryID *string `json:"waitlist_entry_id"`
}

// CartRequest is a household checkout with what the API layer knows
// around it.
type CartRequest struct {
	TenantID       uuid.UUID
	TenantSlug     string
	OriginAllowed  func(string) bool
	DefaultOrigin  string
	Input          CartInput
	IdempotencyKey string
	ClientIP       string
}

// CartResult is the created (or replayed) checkout.
type CartResult struct {
	Checkout orders.Checkout `json:"checkout"`
	Replayed bool            `json:"-"`
}

// Preview is a checkout computed as it would be placed now, with nothing
// written: no ids, no URL, its discounts naming items by index.
type Preview struct {
	Status        orders.CheckoutStatus `json:"status"`
	CustomerID    uuid.UUID             `json:"customer_id"`
	Items         []PreviewItem         `json:"items"`
	SubtotalCents int64                 `json:"subtotal_cents"`
	DiscountCents int64                 `json:"discount_cents"`
	AmountCents   int64                 `json:"amount_cents"`
	Currency      string                `json:"currency"`
	Discounts     []PreviewDiscount     `json:"discounts"`
}

// PreviewItem is an order as it would be written, less what writing makes
// (its id, its checkout's, its times, its URL).
type PreviewItem struct {
	ProductID     uuid.UUID       `json:"product_id"`
	ProductName   string          `json:"product_name"`
	ProductType   string          `json:"product_type"`
	Category      string          `json:"category"`
	CustomerID    uuid.UUID       `json:"customer_id"`
	PlayerID      uuid.UUID       `json:"player_id"`
	PlayerName    string          `json:"player_name"`
	Status        orders.Status   `json:"status"`
	PriceCents    int64           `json:"price_cents"`
	DiscountCents int64           `json:"discount_cents"`
	AmountCents   int64           `json:"amount_cents"`
	Currency      string          `json:"currency"`
	CustomData    json.RawMessage `json:"custom_data"`
	SchemaVersion int             `json:"schema_version"`
}

// PreviewDiscount is one discount's share of a preview.
type PreviewDiscount struct {
	Kind        string    `json:"kind"`
	DiscountID  uuid.UUID `json:"discount_id"`
	Code        *string   `json:"code"`
	AmountCents int64     `json:"amount_cents"`
	ItemIndexes []int     `json:"item_indexes"`
}

// Cart validates and places a household checkout.
func (s *Service) Cart(ctx context.Context, req CartRequest) (res CartResult, err error) {
	if req.IdempotencyKey == "" {
		res, err = s.cart(ctx, req)
	} else {
		res, err = s.cartWithIdempotency(ctx, req)
	}
	if err == nil && !res.Replayed {
		s.nudger.Nudge()
	}
	return res, err
}

// Preview computes a household checkout exactly as Cart would place it
// now — prices, discounts, every validation error and taken value — and
// writes nothing: the same write transaction runs and is rolled back, and
// the provider is not called.
func (s *Service) Preview(ctx context.Context, req CartRequest) (Preview, error) {
	req.IdempotencyKey = ""
	var p Preview
	err := s.retryChanged(ctx, req, func(items []checked) error {
		acct := s.cartAccount(ctx, req.TenantID, items)
		err := s.db.InTenant(ctx, req.TenantID, func(tx pgx.Tx) error {
			c, err := s.placeCart(ctx, tx, req, items, acct)
			if err != nil {
				return err
			}
			p = c.preview()
			return errPreviewDone
		})
		if errors.Is(err, errPreviewDone) {
			return nil
		}
		return err
	})
	return p, err
}

// errPreviewDone rolls a preview's transaction back.
var errPreviewDone = errors.New("checkout: preview computed")

func (s *Service) cartWithIdempotency(ctx context.Context, req CartRequest) (CartResult, error) {
	if len(req.IdempotencyKey) > MaxKeyLength {
		return CartResult{}, ErrKeyTooLong
	}
	var res CartResult
	k := keyClaim{tenantID: req.TenantID, key: req.IdempotencyKey, token: req.Input.RegistrationToken,
		hash: requestHash("checkouts", req.Input)}
	replayed, claimedAt, err := s.claimKey(ctx, k, func(ctx context.Context, tx pgx.Tx, held heldKey) (bool, error) {
		if held.checkoutID == nil {
			return false, nil
		}
		c, err := orders.ReadCheckout(ctx, tx, req.TenantID, *held.checkoutID, false)
		res = CartResult{Checkout: c, Replayed: true}
		return true, err
	})
	if err != nil || replayed {
		return res, err
	}
	if res, err = s.cart(ctx, req); err != nil {
		s.releaseKey(k, claimedAt)
	}
	return res, err
}

// retryChanged prechecks the items and runs place with them; when a
// product changed since it was cached, it forgets the tenant's cache and
// runs once more.
func (s *Service) retryChanged(ctx context.Context, req CartRequest, place func([]checked) error) error {
	for attempt := 0; ; attempt++ {
		items, err := s.precheckCart(ctx, req)
		if err != nil {
			return err
		}
		err = place(items)
		if !errors.Is(err, orders.ErrProductChanged) {
			return err
		}
		s.catalog.Forget(req.TenantID)
		if attempt == 1 {
			return &apperr.Conflict{Detail: "a product changed during the checkout; try again"}
		}
	}
}

func (s *Service) cart(ctx context.Context, req CartRequest) (CartResult, error) {
	var res CartResult
	err := s.retryChanged(ctx, req, func(items []checked) error {
		acct := s.cartAccount(ctx, req.TenantID, items)
		var c placedCart
		err := s.db.InTenant(ctx, req.TenantID, func(tx pgx.Tx) (err error) {
			if c, err = s.placeCart(ctx, tx, req, items, acct); err != nil {
				return err
			}
			if c.checkout.AmountCents > 0 {
				return nil
			}
			res.Checkout = c.checkout // its orders as inserted
			return completeCartKey(ctx, tx, req, c.checkout.ID)
		})
		if err != nil || c.checkout.AmountCents == 0 {
			return err
		}
		res.Checkout, err = s.payCart(ctx, req, acct, c)
		return err
	})
	return res, err
}

// cartAccount resolves the tenant's payment account before the write
// transaction when the items cost anything (discounts might still bring
// the total to 0: then an account that cannot be resolved does not
// matter, and placeCart checks that).
func (s *Service) cartAccount(ctx context.Context, tenantID uuid.UUID, items []checked) acctResult {
	for _, it := range items {
		if it.product.PriceCents > 0 {
			acct, err := s.account(ctx, tenantID)
			return acctResult{acct: acct, err: err}
		}
	}
	return acctResult{}
}

// acctResult is the tenant's account, or why it could not be resolved.
type acctResult struct {
	acct payments.Account
	err  error
}

// precheckCart runs every check of a household checkout that needs no
// database, for every item, and reports every failing field at once.
func (s *Service) precheckCart(ctx context.Context, req CartRequest) ([]checked, error) {
	in := req.Input
	if in.RegistrationToken == "" {
		return nil, apperr.ErrUnauthorized
	}
	var fields []apperr.FieldError
	add := func(ptr, msg string) { fields = append(fields, apperr.FieldError{Field: ptr, Message: msg}) }
	if len(in.Items) == 0 || len(in.Items) > MaxItems {
		add("/items", fmt.Sprintf("must have 1 to %d items", MaxItems))
		return nil, &apperr.Invalid{Detail: "the checkout is invalid", Fields: fields}
	}
	fields = append(fields, returnURLFields(req.OriginAllowed, in.SuccessURL, in.CancelURL)...)
	if in.PromotionCode != nil && strings.TrimSpace(*in.PromotionCode) == "" {
		add("/promotion_code", "must not be empty (leave it out for none)")
	}
	items := make([]checked, len(in.Items))
	currency := ""
	for i, it := range in.Items {
		at := "/items/" + strconv.Itoa(i)
		if it.WaitlistEntryID != nil {
			add(at+"/waitlist_entry_id", "waitlists are not available yet")
		}
		productID, err := ids.Parse(it.ProductID)
		if err != nil {
			add(at+"/product_id", "must be a product id (UUID)")
			continue
		}
		product, err := s.catalog.Sellable(ctx, req.TenantID, productID)
		if errors.Is(err, apperr.ErrNotFound) {
			add(at+"/product_id", "is not a product on sale in this league")
			continue
		}
		if err != nil {
			return nil, err
		}
		if currency == "" {
			currency = product.Currency
		} else if product.Currency != currency {
			add(at+"/product_id", fmt.Sprintf("is priced in %s; the checkout's other items are in %s", product.Currency, currency))
		}
		c, dataFields, err := s.checkProduct(ctx, product, it.CustomData)
		if err != nil {
			return nil, err
		}
		for _, f := range dataFields {
			f.Field = at + f.Field
			fields = append(fields, f)
		}
		items[i] = c
	}
	if len(fields) > 0 {
		return nil, &apperr.Invalid{Detail: "the checkout is invalid", Fields: fields}
	}
	return items, ctx.Err()
}

// placedCart is what a household checkout's write transaction made.
type placedCart struct {
	checkout       orders.Checkout // with its items, as inserted
	household      customers.Customer
	stripeCustomer string // on the checkout's account, "" for none yet
	lines          []payments.SessionLine
}

// cartLine is one item on its way into the transaction.
type cartLine struct {
	checked
	playerID uuid.UUID
	claims   []producttypes.Claim
	evidence json.RawMessage
	data     json.RawMessage
}

// placeCart writes a prechecked household checkout inside tx (see the
// file's comment). Every failing field of every item is reported at once;
// a conflict with the database's state (a live order, a taken value, a
// promotion used up) names the item.
func (s *Service) placeCart(ctx context.Context, tx pgx.Tx, req CartRequest, items []checked, acct acctResult) (placedCart, error) {
	in := req.Input
	household, err := customers.ByTokenTx(ctx, tx, req.TenantID, in.RegistrationToken)
	if err != nil {
		return placedCart{}, err
	}
	// One household's checkouts are placed one at a time, so sibling
	// counting and the household's promotion limits see each other.
	if _, err := tx.Exec(ctx, `SELECT 1 FROM customers WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
		req.TenantID, household.ID); err != nil {
		return placedCart{}, fmt.Errorf("lock household: %w", err)
	}
	lines, err := s.cartLines(ctx, req, household, items)
	if err != nil {
		return placedCart{}, err
	}
	earlier, err := liveOrders(ctx, tx, req.TenantID, household.ID)
	if err != nil {
		return placedCart{}, err
	}
	if err := duplicates(lines, earlier); err != nil {
		return placedCart{}, err
	}
	pricing := make([]discounts.Line, len(lines))
	for i, l := range lines {
		pricing[i] = discounts.Line{ProductID: l.product.ID, Category: l.product.Category, Type: l.product.Type,
			PlayerID: l.playerID, PriceCents: l.product.PriceCents}
	}
	code := ""
	if in.PromotionCode != nil {
		code = strings.TrimSpace(*in.PromotionCode)
	}
	siblings, promo, err := discounts.ForCheckout(ctx, tx, req.TenantID, code)
	if err != nil {
		return placedCart{}, err
	}
	if code != "" {
		if bad := discounts.CheckCode(code, promo, time.Now(), pricing); bad != nil {
			return placedCart{}, bad
		}
	}
	rules := make([]discounts.Rule, len(siblings))
	for i, d := range siblings {
		rules[i] = d.Rule()
	}
	var promoRule *discounts.Rule
	if promo != nil {
		r := promo.Rule()
		promoRule = &r
	}
	past := make([]discounts.Earlier, len(earlier))
	for i, e := range earlier {
		past[i] = discounts.Earlier{ProductID: e.productID, Category: e.category, Type: e.typ, PlayerID: e.playerID}
	}
	priced := discounts.Price(pricing, past, rules, promoRule)
	if priced.AmountCents > 0 && acct.err != nil {
		return placedCart{}, acct.err
	}

	c := orders.Checkout{ID: ids.New(), Status: orders.CheckoutOpen, CustomerID: household.ID,
		SubtotalCents: priced.SubtotalCents, DiscountCents: priced.DiscountCents, AmountCents: priced.AmountCents,
		Currency: lines[0].product.Currency}
	status, detail := orders.StatusPending, "checkout started"
	if priced.AmountCents == 0 {
		c.Status, status, detail = orders.CheckoutComplete, orders.StatusPaid, "nothing to pay: paid at checkout"
	}
	orderIDs := make([]uuid.UUID, len(lines))
	for i := range orderIDs {
		orderIDs[i] = ids.New()
	}
	for _, a := range priced.Discounts {
		applied := orders.Applied{Kind: a.Kind, DiscountID: a.DiscountID, AmountCents: a.AmountCents, OrderIDs: []uuid.UUID{}}
		if a.Code != "" {
			applied.Code = &a.Code
		}
		for _, i := range a.Lines {
			applied.OrderIDs = append(applied.OrderIDs, orderIDs[i])
		}
		c.Discounts = append(c.Discounts, applied)
	}
	if err := orders.InsertCheckout(ctx, tx, req.TenantID, &c); err != nil {
		return placedCart{}, err
	}
	p := placedCart{household: household}
	for i, l := range lines {
		o := orders.Order{ID: orderIDs[i], ProductID: l.product.ID, ProductName: l.product.Name, ProductType: l.product.Type,
			Category: l.product.Category, CustomerID: household.ID, PlayerID: l.playerID,
			PlayerName: household.PlayerName(l.playerID), Status: status, CheckoutID: &c.ID,
			DiscountCents: priced.Discount[i], AmountCents: priced.Amount[i], Currency: l.product.Currency,
			CustomData: l.data, SchemaVersion: l.product.SchemaVersion, Evidence: l.evidence}
		if err := orders.Insert(ctx, tx, req.TenantID, &o, i, l.claims, detail); err != nil {
			return placedCart{}, atItem(i, err)
		}
		c.Items = append(c.Items, o)
		p.lines = append(p.lines, payments.SessionLine{Name: o.ProductName + " — " + o.PlayerName, AmountCents: o.AmountCents})
	}
	if promo != nil {
		if err := discounts.Redeem(ctx, tx, req.TenantID, *promo, c.ID, household.ID); err != nil {
			return placedCart{}, err
		}
	}
	q, args := orders.CheckoutCreated(req.TenantID, c.ID, c.Status)
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return placedCart{}, fmt.Errorf("write checkout events: %w", err)
	}
	if c.AmountCents > 0 {
		if p.stripeCustomer, err = payments.KnownCustomer(ctx, tx, req.TenantID, acct.acct, household.ID); err != nil {
			return placedCart{}, err
		}
	}
	p.checkout = c
	return p, nil
}

// cartLines picks each item's player and runs its type's rules and
// evidence, reporting every failing field of every item, then refuses an
// item that buys what an earlier item of the cart buys (the same product
// for the same player, or a value that must be unique).
func (s *Service) cartLines(ctx context.Context, req CartRequest, household customers.Customer, items []checked) ([]cartLine, error) {
	var fields []apperr.FieldError
	lines := make([]cartLine, len(items))
	for i, it := range items {
		at := "/items/" + strconv.Itoa(i)
		l := cartLine{checked: it}
		var err error
		if l.playerID, err = pickPlayer(household, req.Input.Items[i].PlayerID); err != nil {
			var invalid *apperr.Invalid
			switch {
			case errors.As(err, &invalid):
				for _, f := range invalid.Fields {
					fields = append(fields, apperr.FieldError{Field: at + f.Field, Message: f.Message})
				}
			case errors.Is(err, apperr.ErrNotFound):
				fields = append(fields, apperr.FieldError{Field: at + "/player_id", Message: "is not a player of this household"})
			default:
				return nil, err
			}
			continue
		}
		typeFields, claims, err := producttypes.CheckRulesOf(ctx, it.typ, producttypes.RuleInput{TenantID: req.TenantID.String(),
			ProductID: it.product.ID.String(), PlayerID: l.playerID.String(), Config: it.cfg, Data: it.data})
		if err != nil {
			return nil, err
		}
		for _, f := range apperr.FromTypes(typeFields) {
			f.Field = at + f.Field
			fields = append(fields, f)
		}
		l.claims = claims
		if l.evidence, l.data, err = stamp(ctx, it, req.ClientIP); err != nil {
			return nil, err
		}
		lines[i] = l
	}
	if len(fields) > 0 {
		return nil, &apperr.Invalid{Detail: "the checkout is invalid", Fields: fields}
	}
	type buy struct{ player, product uuid.UUID }
	bought := map[buy]int{}
	for i, l := range lines {
		if j, ok := bought[buy{l.playerID, l.product.ID}]; ok {
			fields = append(fields, apperr.FieldError{Field: "/items/" + strconv.Itoa(i),
				Message: fmt.Sprintf("buys the same product for the same player as item %d", j)})
			continue
		}
		bought[buy{l.playerID, l.product.ID}] = i
	}
	if len(fields) > 0 {
		return nil, &apperr.Invalid{Detail: "the checkout is invalid", Fields: fields}
	}
	type value struct{ scope, value string }
	held := map[value]struct {
		holder string
		item   int
	}{}
	var taken []apperr.FieldError
	for i, l := range lines {
		for _, c := range l.claims {
			holder := c.Holder
			if holder == "" {
				holder = "item:" + strconv.Itoa(i)
			}
			k := value{c.Scope, c.Value}
			if h, ok := held[k]; ok && h.holder != holder {
				taken = append(taken, apperr.FieldError{Field: "/items/" + strconv.Itoa(i) + c.Field,
					Message: fmt.Sprintf("is already taken by item %d", h.item)})
				continue
			}
			held[k] = struct {
				holder string
				item   int
			}{holder, i}
		}
	}
	if len(taken) > 0 {
		return nil, &apperr.Conflict{Detail: "a value that must be unique is taken", Fields: taken}
	}
	return lines, nil
}

// earlierOrder is one of the household's live orders.
type earlierOrder struct {
	id, productID, playerID uuid.UUID
	category, typ           string
}

// liveOrders reads the household's live orders, oldest first: sibling
// counting starts from them, and an item that one of them already buys is
// a duplicate.
func liveOrders(ctx context.Context, tx pgx.Tx, tenantID, household uuid.UUID) ([]earlierOrder, error) {
	rows, err := tx.Query(ctx, `SELECT id, product_id, player_id, category, product_type FROM orders
		WHERE tenant_id = $1 AND customer_id = $2 AND status IN ('pending', 'paid', 'partially_refunded')
		ORDER BY created_at, id`, tenantID, household)
	if err != nil {
		return nil, fmt.Errorf("read the household's orders: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (earlierOrder, error) {
		var e earlierOrder
		return e, r.Scan(&e.id, &e.productID, &e.playerID, &e.category, &e.typ)
	})
	if err != nil {
		return nil, fmt.Errorf("read the household's orders: %w", err)
	}
	return list, nil
}

// duplicates refuses the items whose player already has a live order of
// their product.
func duplicates(lines []cartLine, earlier []earlierOrder) error {
	var d apperr.Duplicate
	for i, l := range lines {
		for _, e := range earlier {
			if e.playerID == l.playerID && e.productID == l.product.ID {
				d.Fields = append(d.Fields, apperr.FieldError{Field: "/items/" + strconv.Itoa(i) + "/product_id",
					Message: "the player already has a pending or paid order for this product"})
				d.OrderIDs = append(d.OrderIDs, e.id.String())
			}
		}
	}
	if len(d.Fields) == 0 {
		return nil
	}
	d.Detail = "a player already has a pending or paid order for a product of the checkout"
	return &d
}

// atItem names item i in an error of its insert: a value taken by another
// household's order, or a live order that a concurrent checkout made.
func atItem(i int, err error) error {
	var conflict *apperr.Conflict
	if !errors.As(err, &conflict) {
		return err
	}
	at := "/items/" + strconv.Itoa(i)
	if conflict.OrderID != "" {
		return &apperr.Duplicate{Detail: conflict.Detail, OrderIDs: []string{conflict.OrderID},
			Fields: apperr.Field(at+"/product_id", "the player already has a pending or paid order for this product")}
	}
	fields := make([]apperr.FieldError, len(conflict.Fields))
	for j, f := range conflict.Fields {
		fields[j] = apperr.FieldError{Field: at + f.Field, Message: f.Message}
	}
	return &apperr.Conflict{Detail: conflict.Detail, Fields: fields}
}

// payCart creates a priced checkout's session — one line per order — and
// stores it, as checkoutPaid does for one order; a failure fails every
// order of the checkout (and gives its redemption back).
func (s *Service) payCart(ctx context.Context, req CartRequest, acct acctResult, p placedCart) (orders.Checkout, error) {
	c := p.checkout
	orderIDs := make([]uuid.UUID, len(c.Items))
	for i, o := range c.Items {
		orderIDs[i] = o.ID
	}
	household := payments.Customer{ID: p.household.ID, Name: p.household.Name, Email: p.household.Email}
	stripeCustomer := p.stripeCustomer
	newCustomer := stripeCustomer == ""
	var err error
	if newCustomer {
		if stripeCustomer, err = s.payments.NewCustomer(ctx, req.TenantID, acct.acct, household); err != nil {
			s.abandon(unfinished{tenantID: req.TenantID, checkoutID: c.ID, orderIDs: orderIDs, acct: acct.acct,
				detail: "payment provider failed: " + err.Error()})
			return orders.Checkout{}, payments.Classify(err)
		}
	}
	success, cancel := returnURLs(req.Input.SuccessURL, req.Input.CancelURL, req.DefaultOrigin)
	sess, err := s.payments.StartCheckout(ctx, payments.StartRequest{TenantID: req.TenantID, TenantSlug: req.TenantSlug,
		CheckoutID: c.ID, Household: household, Amount: c.AmountCents, Currency: c.Currency, Lines: p.lines,
		SuccessURL: success, CancelURL: cancel, Account: acct.acct, CustomerID: stripeCustomer})
	if err != nil {
		s.abandon(unfinished{tenantID: req.TenantID, checkoutID: c.ID, orderIDs: orderIDs, acct: acct.acct,
			detail: "payment provider failed: " + err.Error()})
		return orders.Checkout{}, payments.Classify(err)
	}
	var key *statement
	if req.IdempotencyKey != "" {
		key = &statement{keyDone, []any{req.TenantID, req.IdempotencyKey, c.ID}}
	}
	stored, err := s.storeSession(ctx, req.TenantID, c.ID, p.household.ID, acct.acct, sess, newCustomer, stripeCustomer, key)
	if err != nil {
		s.abandon(unfinished{tenantID: req.TenantID, checkoutID: c.ID, orderIDs: orderIDs, acct: acct.acct, session: &sess,
			detail: "its checkout session could not be stored; the session was expired so it cannot be paid"})
		return orders.Checkout{}, err
	}
	c.Items, c.CheckoutURL, c.SessionID = stored, &sess.URL, &sess.ID
	expires := sess.ExpiresAt.UTC()
	c.ExpiresAt = &expires
	return c, nil
}

// preview is the checkout as a preview shows it.
func (p placedCart) preview() Preview {
	c := p.checkout
	out := Preview{Status: orders.CheckoutPreview, CustomerID: c.CustomerID, SubtotalCents: c.SubtotalCents,
		DiscountCents: c.DiscountCents, AmountCents: c.AmountCents, Currency: c.Currency, Items: []PreviewItem{},
		Discounts: []PreviewDiscount{}}
	index := map[uuid.UUID]int{}
	for i, o := range c.Items {
		index[o.ID] = i
		out.Items = append(out.Items, PreviewItem{ProductID: o.ProductID, ProductName: o.ProductName,
			ProductType: o.ProductType, Category: o.Category, CustomerID: o.CustomerID, PlayerID: o.PlayerID,
			PlayerName: o.PlayerName, Status: o.Status, PriceCents: o.PriceCents, DiscountCents: o.DiscountCents,
			AmountCents: o.AmountCents, Currency: o.Currency, CustomData: o.CustomData, SchemaVersion: o.SchemaVersion})
	}
	for _, a := range c.Discounts {
		d := PreviewDiscount{Kind: a.Kind, DiscountID: a.DiscountID, Code: a.Code, AmountCents: a.AmountCents, ItemIndexes: []int{}}
		for _, id := range a.OrderIDs {
			d.ItemIndexes = append(d.ItemIndexes, index[id])
		}
		out.Discounts = append(out.Discounts, d)
	}
	return out
}

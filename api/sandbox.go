package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/tenants"
)

// The sandbox provider's checkout page: it shows what the parent is paying
// for, and buttons for each outcome the backend handles. Each sends a
// correctly signed, Stripe-shaped event through the tenant webhook's own
// verification path, exactly as Stripe would; after a payment or a cancel
// the buyer goes back to the checkout's success_url or cancel_url, as from
// Stripe. The routes exist only with CHECKOUT_PAYMENTS=sandbox.
var sandboxTmpl = template.Must(template.New("sandbox").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .League}}{{.League}} — {{end}}Sandbox checkout</title>
{{if .Return}}<meta http-equiv="refresh" content="2;url={{.Return}}">{{end}}
<style>
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0 auto;padding:1rem;max-width:32rem;line-height:1.4;color:#1a1a1a}
h1{font-size:1.4rem;margin:.5rem 0}
.note{background:#fff7d6;border-radius:.5rem;padding:.5rem .75rem;font-size:.9rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem;margin:1rem 0;overflow-wrap:anywhere}
dt{color:#555}dd{margin:0}
.amount{font-size:1.5rem;font-weight:600}
form{margin:.5rem 0}
button{width:100%;font-size:1.05rem;padding:.75rem;border-radius:.5rem;border:1px solid #888;background:#f4f4f4}
button.primary{background:#1a56db;border-color:#1a56db;color:#fff}
.outcome{color:#b91c1c}
</style>
</head><body>
{{if .Missing}}
<h1>No such checkout</h1>
<p>This sandbox checkout does not exist, or belongs to another league. Start the checkout again from the league's site.</p>
{{else}}
<p class="note">Sandbox: no money moves here. This page stands in for Stripe Checkout.</p>
<h1 id="league">{{.League}}</h1>
{{range $i, $l := .Lines}}<section class="line">
<dl>
<dt>Product</dt><dd id="product{{if $i}}-{{$i}}{{end}}">{{$l.Order.ProductName}}</dd>
<dt>Player</dt><dd id="player{{if $i}}-{{$i}}{{end}}">{{$l.Order.PlayerName}}</dd>
{{range $l.Data}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>
{{end}}{{if $l.Discount}}<dt>Price</dt><dd>{{$l.Price}}</dd>
<dt>Discount</dt><dd class="discount">−{{$l.Discount}}</dd>
{{end}}<dt>Line total</dt><dd class="line-amount">{{$l.Amount}}</dd>
</dl>
</section>
{{end}}<dl>
{{if .Discount}}<dt>Discounts</dt><dd id="discount">−{{.Discount}}</dd>
{{end}}<dt>Total</dt><dd id="amount" class="amount">{{.Amount}}</dd>
<dt>Status</dt><dd id="status">{{.Status}}</dd>
<dt>Checkout</dt><dd id="order">{{.Checkout.ID}}</dd>
</dl>
{{if .Return}}<p><a id="return" href="{{.Return}}">Back to {{.League}}</a> (you are taken there in a moment, as from Stripe)</p>{{end}}
{{if .Declined}}<p id="declined" class="outcome">The card was declined. Nothing was paid; try again or choose another outcome.</p>{{end}}
{{if .Open}}
<form method="post" action="{{.Base}}/pay{{call .Query}}"><button id="pay" class="primary" type="submit">Pay {{.Amount}}</button></form>
<form method="post" action="{{.Base}}/pay{{call .Query "outcome" "declined"}}"><button id="decline" type="submit">Card declined</button></form>
<form method="post" action="{{.Base}}/pay{{call .Query "outcome" "processing"}}"><button id="debit" type="submit">Bank debit (still processing)</button></form>
<form method="post" action="{{.Base}}/cancel{{call .Query}}"><button id="cancel" type="submit">Cancel</button></form>
{{else if .Processing}}
<p>The bank debit is processing: the order stays pending until the bank answers.</p>
<form method="post" action="{{.Base}}/pay{{call .Query "outcome" "processing-succeeds"}}"><button id="debit-succeeds" class="primary" type="submit">The debit succeeds</button></form>
<form method="post" action="{{.Base}}/pay{{call .Query "outcome" "processing-fails"}}"><button id="debit-fails" type="submit">The debit fails</button></form>
{{end}}
{{end}}
</body></html>`))

// sandboxOutcomes are what the page's buttons ask for: the Stripe event
// each sends (none for a declined card: Stripe Checkout keeps the session
// open and sends nothing), the session's payment_status in it, and where
// the buyer goes next ("success", "cancel" or back to the page).
var sandboxOutcomes = map[string]struct {
	event, paymentStatus, next string
}{
	"paid":                {"checkout.session.completed", "paid", "success"},
	"declined":            {"", "", "page"},
	"processing":          {"checkout.session.completed", "unpaid", "page"},
	"processing-succeeds": {"checkout.session.async_payment_succeeded", "paid", "success"},
	"processing-fails":    {"checkout.session.async_payment_failed", "unpaid", "cancel"},
	"canceled":            {"checkout.session.expired", "unpaid", "cancel"},
}

// sandboxData is one line of an order's custom data, as the parent chose it.
type sandboxData struct{ Key, Value string }

// sandboxLine is one order of the checkout, as the page lists it.
type sandboxLine struct {
	Order                   orders.Order
	Data                    []sandboxData
	Price, Discount, Amount string // Discount "" for none
}

// money renders minor units as the page shows them.
func money(cents int64, currency string) string {
	return fmt.Sprintf("%d.%02d %s", cents/100, cents%100, strings.ToUpper(currency))
}

// sandboxSessionRE is the shape of the sandbox provider's session ids
// (cs_sandbox_<checkout id hex>_<expiry>).
var sandboxSessionRE = regexp.MustCompile(`^cs_sandbox_[0-9a-f]{32}_[0-9]{1,20}$`)

func (s *Server) sandboxCheckout(c *fiber.Ctx) (orders.Checkout, error) {
	session := c.Params("session")
	if !sandboxSessionRE.MatchString(session) {
		return orders.Checkout{}, apperr.ErrNotFound // before any query: nothing malformed reaches the database
	}
	co, err := s.deps.Orders.CheckoutBySession(c.UserContext(), tenantOf(c).ID, session)
	if err == nil && len(co.Items) == 0 {
		err = apperr.ErrNotFound
	}
	return co, err
}

func (s *Server) sandboxPage(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	co, err := s.sandboxCheckout(c)
	if errors.Is(err, apperr.ErrNotFound) {
		c.Status(fiber.StatusNotFound)
		return sandboxTmpl.Execute(c.Response().BodyWriter(), map[string]any{"Missing": true})
	}
	if err != nil {
		return err
	}
	lines := make([]sandboxLine, len(co.Items))
	for i, o := range co.Items {
		var data map[string]any
		_ = json.Unmarshal(o.CustomData, &data)
		l := sandboxLine{Order: o, Price: money(o.PriceCents, o.Currency), Amount: money(o.AmountCents, o.Currency)}
		if o.DiscountCents > 0 {
			l.Discount = money(o.DiscountCents, o.Currency)
		}
		for _, k := range slices.Sorted(maps.Keys(data)) {
			v, ok := data[k].(string)
			if !ok {
				raw, _ := json.Marshal(data[k])
				v = string(raw)
			}
			l.Data = append(l.Data, sandboxData{Key: strings.ReplaceAll(k, "_", " "), Value: v})
		}
		lines[i] = l
	}
	t := tenantOf(c)
	returns := s.sandboxReturns(c)
	first := co.Items[0]
	processing := first.Status == orders.StatusPending && c.Query("outcome") == "processing"
	status := string(first.Status)
	if processing {
		status = "pending (bank debit processing)"
	}
	discount := ""
	if co.DiscountCents > 0 {
		discount = money(co.DiscountCents, co.Currency)
	}
	return sandboxTmpl.Execute(c.Response().BodyWriter(), map[string]any{
		"League": t.Name, "Checkout": co, "Lines": lines, "Status": status, "Discount": discount,
		"Amount":     money(co.AmountCents, co.Currency),
		"Base":       "/sandbox/checkout/" + t.Slug + "/" + c.Params("session"),
		"Open":       first.Status == orders.StatusPending && !processing,
		"Processing": processing,
		"Declined":   c.Query("outcome") == "declined",
		"Query":      returns.query,
		"Return":     returns.after(c.Query("done")),
	})
}

// sandboxReturn is where a sandbox checkout sends the buyer back: the
// success_url and cancel_url the checkout was given (carried on the page's
// URL, as Stripe keeps them on its session), each only when it is on one of
// the league's allowed origins, so the page is no open redirect.
type sandboxReturn struct{ success, cancel string }

// A return URL on this service's own address is dropped too: this service
// has no return pages (checkout dev's demo league defaults to them).
func (s *Server) sandboxReturns(c *fiber.Ctx) sandboxReturn {
	t := tenantOf(c)
	own := strings.TrimSuffix(s.deps.Payments.PublicURL(), "/") + "/"
	ok := func(u string) bool { return u != "" && t.OriginAllowed(u) && !strings.HasPrefix(u+"/", own) }
	var r sandboxReturn
	if u := c.Query("success_url"); ok(u) {
		r.success = u
	}
	if u := c.Query("cancel_url"); ok(u) {
		r.cancel = u
	}
	return r
}

// after is where the page sends the buyer once an outcome is done:
// "success" or "cancel" (the done query parameter), "" for nowhere.
func (r sandboxReturn) after(done string) string {
	switch done {
	case "success":
		return r.success
	case "cancel":
		return r.cancel
	}
	return ""
}

// query is the page's query string carrying the return URLs, plus name and
// value pairs: what the page's forms post to.
func (r sandboxReturn) query(pairs ...string) string {
	v := url.Values{}
	if r.success != "" {
		v.Set("success_url", r.success)
	}
	if r.cancel != "" {
		v.Set("cancel_url", r.cancel)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func (s *Server) sandboxPay(c *fiber.Ctx) error {
	outcome := c.Query("outcome", "paid")
	if _, ok := sandboxOutcomes[outcome]; !ok || outcome == "canceled" {
		return &apperr.BadRequest{Detail: "unknown outcome",
			Fields: apperr.Field("query:outcome", "must be paid, declined, processing, processing-succeeds or processing-fails")}
	}
	return s.sandboxEvent(c, outcome)
}

func (s *Server) sandboxCancel(c *fiber.Ctx) error {
	return s.sandboxEvent(c, "canceled")
}

// sandboxEvent signs the Stripe-shaped event of outcome about the page's
// session and hands it to the tenant webhook, then sends the buyer on.
func (s *Server) sandboxEvent(c *fiber.Ctx, outcome string) error {
	co, err := s.sandboxCheckout(c)
	if err != nil {
		return err
	}
	t := tenantOf(c)
	how := sandboxOutcomes[outcome]
	if how.event != "" {
		if err := s.sandboxSend(c, t, co, how.event, how.paymentStatus); err != nil {
			return err
		}
	}
	// Back to the page, which shows the outcome and, once the payment or
	// the cancel is done, takes the buyer on to the return URL.
	returns := s.sandboxReturns(c)
	page := "/sandbox/checkout/" + t.Slug + "/" + c.Params("session")
	switch {
	case outcome == "declined" || outcome == "processing":
		return c.Redirect(page+returns.query("outcome", outcome), fiber.StatusSeeOther)
	case how.next == "success" || how.next == "cancel":
		return c.Redirect(page+returns.query("done", how.next), fiber.StatusSeeOther)
	}
	return c.Redirect(page+returns.query(), fiber.StatusSeeOther)
}

// sandboxSend signs one event as Stripe would and delivers it through the
// tenant webhook's own verification path.
// Its session names the checkout in metadata and, for a checkout of one
// order (POST /checkout), the order too, as the platform's Stripe sessions
// do.
func (s *Server) sandboxSend(c *fiber.Ctx, t tenants.Tenant, co orders.Checkout, typ, paymentStatus string) error {
	acct, err := s.deps.Payments.Account(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	meta := map[string]string{"checkout_id": co.ID.String(), "tenant_id": t.ID.String()}
	ref := co.ID.String()
	if len(co.Items) == 1 {
		ref = co.Items[0].ID.String()
		meta["order_id"] = ref
	}
	obj := map[string]any{"id": c.Params("session"), "object": "checkout.session", "client_reference_id": ref,
		"metadata": meta, "amount_total": co.AmountCents, "currency": co.Currency, "status": "complete",
		"payment_status": paymentStatus, "payment_intent": "pi_sandbox_" + strings.ReplaceAll(co.ID.String(), "-", "")}
	if typ == "checkout.session.expired" {
		obj["status"] = "expired"
		delete(obj, "payment_intent")
	}
	payload, _ := json.Marshal(map[string]any{"id": "evt_sandbox_" + strings.ReplaceAll(ids.New().String(), "-", ""),
		"object": "event", "api_version": stripe.APIVersion, "created": time.Now().Unix(), "type": typ,
		"livemode": false, "data": map[string]any{"object": obj}})
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: acct.WebhookSecret})
	start := time.Now()
	res, err := s.deps.Webhooks.Tenant(c.UserContext(), t.ID, signed.Payload, signed.Header)
	s.countWebhook(t.Slug, res, start)
	return err
}

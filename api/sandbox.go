package api

import (
	"encoding/json"
	"fmt"
	"html/template"
	"regexp"
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

// The sandbox provider's checkout page: it shows the order with Pay and
// Cancel buttons. Each button sends a correctly signed, Stripe-shaped event
// through the tenant webhook's own verification path, exactly as Stripe
// would. The routes exist only with CHECKOUT_PAYMENTS=sandbox.
var sandboxTmpl = template.Must(template.New("sandbox").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox checkout</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto}button{font-size:1.1rem;margin-right:1rem}</style>
</head><body>
<h1>Sandbox checkout</h1>
<p>No money moves here: this page stands in for Stripe Checkout.</p>
<dl><dt>Order</dt><dd id="order">{{.Order.ID}}</dd>
<dt>Amount</dt><dd id="amount">{{.Amount}}</dd>
<dt>Status</dt><dd id="status">{{.Order.Status}}</dd></dl>
{{if eq .Order.Status "pending"}}
<form method="post" action="{{.Base}}/pay" style="display:inline"><button id="pay" type="submit">Pay</button></form>
<form method="post" action="{{.Base}}/cancel" style="display:inline"><button id="cancel" type="submit">Cancel</button></form>
{{end}}
</body></html>`))

// sandboxSessionRE is the shape of the sandbox provider's session ids
// (cs_sandbox_<order id hex>_<expiry>).
var sandboxSessionRE = regexp.MustCompile(`^cs_sandbox_[0-9a-f]{32}_[0-9]{1,20}$`)

func (s *Server) sandboxOrder(c *fiber.Ctx) (orders.Order, error) {
	session := c.Params("session")
	if !sandboxSessionRE.MatchString(session) {
		return orders.Order{}, apperr.ErrNotFound // before any query: nothing malformed reaches the database
	}
	return s.deps.Orders.BySession(c.UserContext(), tenants.From(c).ID, session)
}

func (s *Server) sandboxPage(c *fiber.Ctx) error {
	o, err := s.sandboxOrder(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return sandboxTmpl.Execute(c.Response().BodyWriter(), map[string]any{
		"Order":  o,
		"Amount": fmt.Sprintf("%d.%02d %s", o.AmountCents/100, o.AmountCents%100, strings.ToUpper(o.Currency)),
		"Base":   "/sandbox/checkout/" + tenants.From(c).Slug + "/" + c.Params("session"),
	})
}

func (s *Server) sandboxPay(c *fiber.Ctx) error {
	return s.sandboxEvent(c, "checkout.session.completed")
}

func (s *Server) sandboxCancel(c *fiber.Ctx) error {
	return s.sandboxEvent(c, "checkout.session.expired")
}

// sandboxEvent signs a Stripe-shaped event about the page's session and
// hands it to the tenant webhook, then shows the page again.
func (s *Server) sandboxEvent(c *fiber.Ctx, typ string) error {
	o, err := s.sandboxOrder(c)
	if err != nil {
		return err
	}
	t := tenants.From(c)
	acct, err := s.deps.Payments.Account(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	obj := map[string]any{"id": c.Params("session"), "object": "checkout.session", "client_reference_id": o.ID.String(),
		"metadata":     map[string]string{"order_id": o.ID.String(), "tenant_id": t.ID.String()},
		"amount_total": o.AmountCents, "currency": o.Currency, "status": "expired", "payment_status": "unpaid"}
	if typ == "checkout.session.completed" {
		obj["status"], obj["payment_status"] = "complete", "paid"
		obj["payment_intent"] = "pi_sandbox_" + strings.ReplaceAll(o.ID.String(), "-", "")
	}
	payload, _ := json.Marshal(map[string]any{"id": "evt_sandbox_" + strings.ReplaceAll(ids.New().String(), "-", ""),
		"object": "event", "api_version": stripe.APIVersion, "created": time.Now().Unix(), "type": typ,
		"livemode": false, "data": map[string]any{"object": obj}})
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: acct.WebhookSecret})
	start := time.Now()
	res, err := s.deps.Webhooks.Tenant(c.UserContext(), t.ID, signed.Payload, signed.Header)
	s.countWebhook(t.Slug, res, start)
	if err != nil {
		return err
	}
	return c.Redirect("/sandbox/checkout/"+t.Slug+"/"+c.Params("session"), fiber.StatusSeeOther)
}

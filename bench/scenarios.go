package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// target is the server and league the scenarios talk to.
type target struct {
	base   string
	client *http.Client
	l      *league
	toks   tokens
	poolAt time.Time // when the pools' households were made
}

func (t target) tenantPath() string { return t.base + "/v1/tenants/" + t.l.Slug }

func (t target) productList() httpOp {
	return httpOp{client: t.client, want: http.StatusOK, check: []byte(`"data":[`),
		build: func(ctx context.Context, _ int64) (*http.Request, error) {
			return request(ctx, http.MethodGet, t.tenantPath()+"/products", nil)
		}}
}

// checkout is POST /checkout of product by household i of pool, with
// customData (raw JSON, "" for none).
func (t target) checkout(pool string, productID string, customData string, want int, check string) httpOp {
	return httpOp{client: t.client, want: want, check: []byte(check),
		build: func(ctx context.Context, i int64) (*http.Request, error) {
			if pool == poolRejected {
				i = 0
			}
			body := fmt.Appendf(nil, `{"registration_token":%q,"product_id":%q`, t.toks.token(pool, i), productID)
			if customData != "" {
				body = fmt.Appendf(body, `,"custom_data":%s`, customData)
			}
			body = append(body, '}')
			return request(ctx, http.MethodPost, t.tenantPath()+"/checkout", body, "Content-Type", "application/json")
		}}
}

// The rejected custom_data variants: each fails the jersey's buyer schema.
var rejectedVariants = []struct{ name, data, field string }{
	{"rejected-number", `{"top_size":"AM","bottom_size":"AM","jersey_number":150}`, "/custom_data/jersey_number"},
	{"rejected-size", `{"top_size":"XXXL","bottom_size":"AM","jersey_number":7}`, "/custom_data/top_size"},
	{"rejected-field", `{"top_size":"AM","bottom_size":"AM","favorite_color":"blue"}`, "/custom_data"},
}

func (t target) adminOrders(cursor string) httpOp {
	path := t.tenantPath() + "/admin/orders?limit=50"
	if cursor != "" {
		path += "&cursor=" + url.QueryEscape(cursor)
	}
	return httpOp{client: t.client, want: http.StatusOK, check: []byte(`"next_cursor":"`),
		build: func(ctx context.Context, _ int64) (*http.Request, error) {
			return request(ctx, http.MethodGet, path, nil, "Authorization", "Bearer "+t.l.Viewer)
		}}
}

// hookEvent is the signed checkout.session.completed event of the hooks
// pool's i-th pending order, as Stripe sends it for a session the
// platform created.
func (t target) hookEvent(i int64, eventID string) (payload []byte, signature string) {
	order := t.toks.hookOrder(i, t.poolAt)
	session := "cs_test_" + hex.EncodeToString(order[:])
	payload = fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":%q,"created":%d,"type":"checkout.session.completed",`+
		`"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"data":{"object":{"id":%q,`+
		`"object":"checkout.session","mode":"payment","client_reference_id":%q,"metadata":{"order_id":%q,"tenant_id":%q},`+
		`"amount_total":%d,"currency":"usd","status":"complete","payment_status":"paid","payment_intent":"pi_bench%s"}}}`,
		eventID, stripe.APIVersion, time.Now().Unix(), session, order.String(), order.String(), t.l.ID.String(),
		hookAmount, hex.EncodeToString(order[4:]))
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: t.l.WebhookKey})
	return payload, signed.Header
}

// webhook delivers event(i) to the league's endpoint, wanting outcome.
func (t target) webhook(outcome string, event func(i int64) ([]byte, string)) httpOp {
	return httpOp{client: t.client, want: http.StatusOK, check: []byte(`"outcome":"` + outcome + `"`),
		build: func(ctx context.Context, i int64) (*http.Request, error) {
			payload, sig := event(i)
			return request(ctx, http.MethodPost, t.tenantPath()+"/webhooks/stripe", payload,
				"Content-Type", "application/json", "Stripe-Signature", sig)
		}}
}

func (t target) distinctEvent(i int64) ([]byte, string) {
	return t.hookEvent(i, "evt_bench_"+strconv.FormatInt(i, 10))
}

func (t target) duplicateEvent(int64) ([]byte, string) {
	return t.hookEvent(hookDuplicate, "evt_bench_duplicate")
}

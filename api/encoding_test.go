package api_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"io"
	"testing"
)

// compressed is raw compressed as Content-Encoding enc names it (gzip or
// deflate, which HTTP means as zlib); any other name leaves raw as it is.
func compressed(t testing.TB, enc string, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch enc {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "deflate":
		w = zlib.NewWriter(&buf)
	default:
		return raw
	}
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// assertEncodingRefused checks r is the 415 problem document naming the
// Content-Encoding header.
func assertEncodingRefused(t *testing.T, r resp) {
	t.Helper()
	isoProblem(t, r, 415, "")
	if got := fmt.Sprint(r.Fields()); got != "[header:Content-Encoding]" {
		t.Errorf("fields %s, want [header:Content-Encoding]", got)
	}
	if got := r.Header.Get("Accept-Encoding"); got != "identity" {
		t.Errorf("Accept-Encoding %q, want identity", got)
	}
}

func TestCompressedBodiesAreRefused(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	p := e.product(l, freeJersey("Jersey"))
	_, token, _ := e.household(l, "Ann")
	body, err := json.Marshal(map[string]any{"registration_token": token, "product_id": p["id"], "custom_data": jerseyData(7)})
	if err != nil {
		t.Fatal(err)
	}
	orders := func(t *testing.T) int {
		t.Helper()
		r := e.do("GET", l.Base+"/orders", nil, "X-Registration-Token", token)
		if r.Status != 200 {
			t.Fatalf("household orders: status %d: %s", r.Status, r.Body)
		}
		return len(listItems(t, r))
	}

	for _, enc := range []string{"gzip", "deflate", "br", "GZIP", "identity, gzip", "x-anything"} {
		t.Run("a checkout body sent with Content-Encoding "+enc+" is a 415 naming the header and makes no order", func(t *testing.T) {
			assertEncodingRefused(t, e.do("POST", l.Base+"/checkout", compressed(t, enc, body), "Content-Encoding", enc))
			if n := orders(t); n != 0 {
				t.Fatalf("%d orders made", n)
			}
		})
	}
	t.Run("a gzip bomb (32 KiB that would inflate to 32 MiB) is refused without being inflated", func(t *testing.T) {
		bomb := compressed(t, "gzip", append(append([]byte(`{"registration_token":"`), bytes.Repeat([]byte("a"), 32<<20)...), `"}`...))
		if len(bomb) > 64<<10 {
			t.Fatalf("the bomb is %d bytes", len(bomb))
		}
		assertEncodingRefused(t, e.do("POST", l.Base+"/checkout", bomb, "Content-Encoding", "gzip"))
	})
	t.Run("a compressed staff request is refused too and stores nothing", func(t *testing.T) {
		raw, _ := json.Marshal(freeJersey("Zipped"))
		assertEncodingRefused(t, e.do("POST", l.Base+"/admin/products", compressed(t, "gzip", raw),
			append(bearer(l.Manager), "Content-Encoding", "gzip")...))
		if n := len(listItems(t, e.do("GET", l.Base+"/admin/products", nil, bearer(l.Viewer)...))); n != 1 {
			t.Errorf("%d products, want the one made before", n)
		}
	})
	t.Run("a body declared identity is read as it is", func(t *testing.T) {
		if r := e.do("POST", l.Base+"/checkout", body, "Content-Encoding", "Identity"); r.Status != 201 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if n := orders(t); n != 1 {
			t.Errorf("%d orders, want 1", n)
		}
	})
}

func TestCompressedWebhooksAreRefused(t *testing.T) {
	e := newEnv(t)
	su := asSuperuser(t)

	l := e.newLeague()
	acct := e.connectAccount(l)
	o := e.pendingOrder(l, e.pricedKit(l, "Kit", 2500))
	own := e.hookLeague()
	ownOrder := e.pendingOrder(own.league, own.Kit)

	cases := []struct {
		name   string
		path   string
		secret string
		l      league
		o      map[string]any
		ev     stripeEvent
	}{
		{"a platform webhook", "/v1/webhooks/stripe", testPayments.PlatformWebhookSecret, l, o,
			with(sessionEvent("checkout.session.completed", o, l.ID, "paid"), func(ev *stripeEvent) { ev.Account = acct })},
		{"a league's own webhook", own.Hook, own.Keys.WebhookSecret, own.league, ownOrder,
			sessionEvent("checkout.session.completed", ownOrder, own.ID, "paid")},
	}
	for _, tc := range cases {
		t.Run(tc.name+" signed over its body but sent gzipped is a 415 and settles nothing", func(t *testing.T) {
			payload := tc.ev.payload()
			assertEncodingRefused(t, e.do("POST", tc.path, compressed(t, "gzip", payload),
				"Content-Encoding", "gzip", "Stripe-Signature", sign(payload, tc.secret)))
			if n := su.eventRows(tc.ev.ID); n != 0 {
				t.Errorf("%d webhook_events rows", n)
			}
			if got := e.order(tc.l, tc.o["id"]); got["status"] != "pending" {
				t.Errorf("order %v", got)
			}
		})
	}
}

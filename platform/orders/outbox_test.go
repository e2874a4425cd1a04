package orders_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/internal/testkit/apptest"
	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/outbox"
)

// outboxRows reads, as the owner, the tenant's events (type and data) and
// how many of them are pending.
func (e *env) outboxRows(t *testing.T) (events []struct {
	Type string
	Data json.RawMessage
}, pending int) {
	t.Helper()
	conn, err := pgx.Connect(e.ctx, dbtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(e.ctx, `SELECT type, data FROM events WHERE tenant_id = $1 ORDER BY seq`, e.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ev struct {
			Type string
			Data json.RawMessage
		}
		if err := rows.Scan(&ev.Type, &ev.Data); err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	if err := conn.QueryRow(e.ctx, `SELECT count(*) FROM events WHERE tenant_id = $1 AND dispatched_at IS NULL`,
		e.tenant.ID).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	return events, pending
}

func TestOutboxEvents(t *testing.T) {
	e := newQuietEnv(t) // no dispatcher: the rows stay as the change wrote them
	p := e.product("jersey", "Numbered jersey", 0, string(jerseyConfig("outbox")))
	hh, token := e.household("outbox@example.com", "Ann Doe", "Ben Doe")
	res, err := e.checkout(token, p.ID, hh.Players[0].ID, jerseyData(5))
	if err != nil {
		t.Fatal(err)
	}
	events, pending := e.outboxRows(t)
	data := map[string]json.RawMessage{}
	for _, ev := range events {
		data[ev.Type] = ev.Data
	}

	t.Run("a committed free checkout wrote its order's and its checkout's events, all pending", func(t *testing.T) {
		var types []string
		for _, ev := range events {
			types = append(types, ev.Type)
		}
		slices.Sort(types)
		// A free checkout is one change of its checkout: completed, from
		// no status.
		want := []string{orders.EventCheckoutCompleted, orders.EventCreated, orders.EventPaid}
		if !reflect.DeepEqual(types, want) || pending != len(want) {
			t.Fatalf("events %v, %d pending; want %v", types, pending, want)
		}
	})
	t.Run("a checkout event's data is the checkout as the API shows it", func(t *testing.T) {
		c, err := e.orders.GetCheckout(e.ctx, e.tenant.ID, *res.Order.CheckoutID, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := asMap(t, c)
		got := asMap(t, data[orders.EventCheckoutCompleted])
		for _, k := range []string{"created_at", "expires_at"} {
			if sameInstant(t, got[k], want[k]) {
				got[k] = want[k]
			}
		}
		items, _ := got["items"].([]any)
		wantItems, _ := want["items"].([]any)
		for i := range items {
			item, wantItem := items[i].(map[string]any), wantItems[i].(map[string]any)
			for _, k := range []string{"created_at", "updated_at", "paid_at"} {
				if sameInstant(t, item[k], wantItem[k]) {
					item[k] = wantItem[k]
				}
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("event data\n%v\nwant the API's checkout\n%v", got, want)
		}
	})
	t.Run("an event's data is the order as the API shows it", func(t *testing.T) {
		o, err := e.orders.Get(e.ctx, e.tenant.ID, res.Order.ID)
		if err != nil {
			t.Fatal(err)
		}
		o.Events = nil
		want := asMap(t, o)
		got := asMap(t, data[orders.EventPaid])
		for _, k := range []string{"created_at", "updated_at", "paid_at"} {
			if sameInstant(t, got[k], want[k]) {
				got[k] = want[k]
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("event data\n%v\nwant the API's order\n%v", got, want)
		}
	})
	t.Run("a refused checkout (a taken number) writes no event", func(t *testing.T) {
		if _, err := e.checkout(token, p.ID, hh.Players[1].ID, jerseyData(5)); conflictOf(t, err) == nil {
			t.Fatal("the taken number was accepted")
		}
		after, pendingAfter := e.outboxRows(t)
		if len(after) != len(events) || pendingAfter != pending {
			t.Errorf("%d events, %d pending after the refusal, want %d and %d", len(after), pendingAfter, len(events), pending)
		}
	})
	t.Run("a cancel writes order.canceled in its own transaction", func(t *testing.T) {
		if _, err := e.settling.Cancel(e.ctx, e.tenant.ID, res.Order.ID, "staff"); err != nil {
			t.Fatal(err)
		}
		after, pendingAfter := e.outboxRows(t)
		if len(after) != len(events)+1 || after[len(after)-1].Type != orders.EventCanceled || pendingAfter != pending+1 {
			t.Errorf("events %v, %d pending", after, pendingAfter)
		}
	})
}

func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sameInstant reports whether two RFC 3339 strings (or two nulls) name the
// same instant: the database writes microseconds, Go trims zeros.
func sameInstant(t *testing.T, a, b any) bool {
	t.Helper()
	as, aok := a.(string)
	bs, bok := b.(string)
	if !aok || !bok {
		return a == nil && b == nil
	}
	at, err1 := time.Parse(time.RFC3339Nano, as)
	bt, err2 := time.Parse(time.RFC3339Nano, bs)
	return err1 == nil && err2 == nil && at.Equal(bt)
}

// TestNudgedDispatch: with a poll of a minute, the nudge sent after a
// checkout's commit still has its events dispatched at once.
func TestNudgedDispatch(t *testing.T) {
	e := envOf(t, apptest.New(t, apptest.Config("http://127.0.0.1:1"),
		app.Options{Outbox: outbox.Options{Poll: time.Minute}}))
	time.Sleep(200 * time.Millisecond) // the dispatcher's first pass is over
	p := e.product("jersey", "Opt out", 0, `{"opt_out":true}`)
	hh, token := e.household("nudge@example.com", "Ann Doe")
	if _, err := e.checkout(token, p.ID, hh.Players[0].ID, `{}`); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		events, pending := e.outboxRows(t)
		if len(events) == 3 && pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the checkout's events still pending after 30 s; without the nudge they wait for the minute's poll", pending)
		}
	}
}

package orders_test

import (
	"errors"
	"testing"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/platform/orders"
)

func TestFreeCheckoutsInOneRoundTrip(t *testing.T) {
	e := newEnv(t)
	numbered := e.product("jersey", "Free numbered jersey", 0, string(jerseyConfig("fast")))
	optOut := e.product("jersey", "Opt-out", 0, `{"opt_out":true}`)
	hh, token := e.household("fast@example.com", "Ann Doe", "Ben Doe")
	solo, soloToken := e.household("solo@example.com", "Sol Doe")

	t.Run("a named player's numbered jersey is placed in one round trip, with its claim", func(t *testing.T) {
		before := e.placing.OneRoundTrip()
		res, err := e.checkout(token, numbered.ID, hh.Players[0].ID, jerseyData(12))
		if err != nil || res.Order.Status != orders.StatusPaid || res.Order.PlayerName != "Ann Doe" || res.Order.ProductName != numbered.Name {
			t.Fatalf("checkout: %+v, %v", res.Order, err)
		}
		if e.placing.OneRoundTrip() != before+1 {
			t.Errorf("the checkout took the ordinary way")
		}
		got, err := e.orders.Get(e.ctx, e.tenant.ID, res.Order.ID)
		if err != nil || len(got.Events) != 1 || got.Events[0].To != orders.StatusPaid {
			t.Errorf("stored order %+v, %v: want it with its event", got, err)
		}
	})
	t.Run("the same number for the other player is a 409 naming the field, with nothing written", func(t *testing.T) {
		_, err := e.checkout(token, numbered.ID, hh.Players[1].ID, jerseyData(12))
		var conflict *apperr.Conflict
		if !errors.As(err, &conflict) || len(conflict.Fields) != 1 || conflict.Fields[0].Field != "/custom_data/jersey_number" {
			t.Fatalf("err %v, want a conflict on the number", err)
		}
		list, err := e.orders.List(e.ctx, e.tenant.ID, orders.Filter{PlayerID: &hh.Players[1].ID})
		if err != nil || len(list.Data) != 0 {
			t.Errorf("orders of the refused player: %v, %v", list.Data, err)
		}
	})
	t.Run("a second order of the same player and product is a 409 with the existing order", func(t *testing.T) {
		_, err := e.checkout(token, numbered.ID, hh.Players[0].ID, jerseyData(12))
		var conflict *apperr.Conflict
		if !errors.As(err, &conflict) || conflict.OrderID == "" {
			t.Fatalf("err %v, want a duplicate-order conflict", err)
		}
	})
	t.Run("a token of another household is a 401, with nothing written", func(t *testing.T) {
		_, err := e.checkout(soloToken, optOut.ID, hh.Players[0].ID, `{}`)
		if !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("err %v, want the player not found in that household", err)
		}
		if _, err := e.checkout("rt_unknown", optOut.ID, hh.Players[0].ID, `{}`); !errors.Is(err, apperr.ErrUnauthorized) {
			t.Fatalf("err %v, want unauthorized", err)
		}
	})
	t.Run("the tenant set for the batch does not outlive it on the pooled connection", func(t *testing.T) {
		for _, conn := range e.db.Pool.AcquireAllIdle(e.ctx) {
			var tenant *string
			err := conn.QueryRow(e.ctx, `SELECT nullif(current_setting('app.tenant_id', true), '')`).Scan(&tenant)
			conn.Release()
			if err != nil || tenant != nil {
				t.Errorf("an idle connection has app.tenant_id %v (%v)", tenant, err)
			}
		}
	})
	t.Run("a one-player household's opt-out without a player is placed in one round trip", func(t *testing.T) {
		before := e.placing.OneRoundTrip()
		res, err := e.placing.Checkout(e.ctx, checkout.Request{TenantID: e.tenant.ID, OriginAllowed: e.tenant.OriginAllowed,
			Input: checkout.Input{RegistrationToken: soloToken, ProductID: optOut.ID.String()}})
		if err != nil || res.Order.PlayerID != solo.Players[0].ID {
			t.Fatalf("checkout: %+v, %v", res.Order, err)
		}
		if e.placing.OneRoundTrip() != before+1 {
			t.Errorf("the checkout took the ordinary way")
		}
	})
}

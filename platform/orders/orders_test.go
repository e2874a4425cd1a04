package orders_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/internal/testkit/apptest"
	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/orderio"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/settlement"
	"github.com/leaguepay/checkout/tenants"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// env is one fresh tenant with the services wired by app.New, as
// checkout serve wires them (Stripe unreachable unless a test says where).
type env struct {
	t         *testing.T
	ctx       context.Context
	db        *db.DB
	app       *app.App
	tenant    tenants.Tenant
	catalog   *catalog.Service
	customers *customers.Store
	orders    *orders.Store
	placing   *checkout.Service
	settling  *settlement.Service
	io        *orderio.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, "http://127.0.0.1:1", app.Options{})
}

// newEnvOn is newEnv with Stripe's API at stripeURL, wired with o.
func newEnvOn(t *testing.T, stripeURL string, o app.Options) *env {
	t.Helper()
	return envOf(t, apptest.New(t, apptest.Config(stripeURL), o))
}

// newQuietEnv is newEnv without the app's jobs (which take pooled
// connections of their own now and then).
func newQuietEnv(t *testing.T) *env {
	t.Helper()
	return envOf(t, apptest.Wire(t, apptest.Config("http://127.0.0.1:1"), app.Options{}))
}

func envOf(t *testing.T, a *app.App) *env {
	t.Helper()
	ctx := context.Background()
	ten, err := a.Tenants.Create(ctx, tenants.NewTenant{Slug: "league-" + uuid.NewString()[:8], Name: "Test League"})
	if err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	return &env{t: t, ctx: ctx, db: a.DB, app: a, tenant: ten, catalog: a.Catalog, customers: a.Customers, orders: a.Orders,
		placing: a.Checkout, settling: a.Settlement, io: a.OrderIO}
}

// jerseyConfig offers sizes YS and YM and numbers 0-99 unique within scope.
func jerseyConfig(scope string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"top_sizes":["YS","YM"],"bottom_sizes":["YS","YM"],"number_scope":%q}`, scope))
}

const contractConfig = `{"season":"2026","terms_version":"2026.1","terms_text":"The player agrees to the code of conduct."}`

func (e *env) product(typ, name string, price int64, config string) catalog.Product {
	e.t.Helper()
	p, err := e.catalog.Create(e.ctx, e.tenant.ID, e.tenant.Currency, catalog.Input{Type: typ, Name: name,
		PriceCents: &price, Config: json.RawMessage(config)})
	if err != nil {
		e.t.Fatalf("create product %s: %v", name, err)
	}
	return p
}

// household creates a household with players given as "First Last".
func (e *env) household(email string, players ...string) (customers.Customer, string) {
	e.t.Helper()
	in := customers.Input{Name: email, Email: email}
	for _, p := range players {
		first, last, _ := strings.Cut(p, " ")
		in.Players = append(in.Players, customers.PlayerInput{FirstName: first, LastName: last})
	}
	c, err := e.customers.Create(e.ctx, e.tenant.ID, in)
	if err != nil {
		e.t.Fatalf("create household %s: %v", email, err)
	}
	return c.Customer, c.RegistrationToken
}

func (e *env) checkout(token string, productID, playerID uuid.UUID, data string) (checkout.Result, error) {
	pl := playerID.String()
	return e.placing.Checkout(e.ctx, checkout.Request{TenantID: e.tenant.ID,
		OriginAllowed: e.tenant.OriginAllowed, Input: checkout.Input{RegistrationToken: token,
			ProductID: productID.String(), PlayerID: &pl, CustomData: json.RawMessage(data)}})
}

// importCSV imports csv and returns the summary and the report's lines.
func (e *env) importCSV(csv string) (orderio.ImportSummary, []string) {
	e.t.Helper()
	var report strings.Builder
	sum, err := e.io.Import(e.ctx, e.tenant.ID, strings.NewReader(csv), &report)
	if err != nil {
		e.t.Fatalf("Import: %v", err)
	}
	var lines []string
	if s := strings.TrimSpace(report.String()); s != "" {
		lines = strings.Split(s, "\n")
	}
	return sum, lines
}

// byLegacyID returns the imported order with this legacy_id.
func (e *env) byLegacyID(legacyID string) orders.Order {
	e.t.Helper()
	var id uuid.UUID
	err := e.db.InTenant(e.ctx, e.tenant.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(e.ctx, `SELECT id FROM orders WHERE legacy_ref = $1`, legacyID).Scan(&id)
	})
	if err != nil {
		e.t.Fatalf("find order %s: %v", legacyID, err)
	}
	o, err := e.orders.Get(e.ctx, e.tenant.ID, id)
	if err != nil {
		e.t.Fatalf("get order %s: %v", legacyID, err)
	}
	return o
}

func jerseyData(n int) string {
	return fmt.Sprintf(`{"top_size":"YS","bottom_size":"YS","jersey_number":%d}`, n)
}

// conflictOf returns err as a Conflict, or fails the test.
func conflictOf(t *testing.T, err error) *apperr.Conflict {
	t.Helper()
	var c *apperr.Conflict
	if !errors.As(err, &c) {
		t.Fatalf("err = %v, want *apperr.Conflict", err)
	}
	return c
}

func TestCanTransition(t *testing.T) {
	all := []orders.Status{orders.StatusPending, orders.StatusPaid, orders.StatusFailed, orders.StatusExpired,
		orders.StatusCanceled, orders.StatusPartiallyRefunded, orders.StatusRefunded}
	edges := map[[2]orders.Status]bool{
		{orders.StatusPending, orders.StatusPaid}:                        true,
		{orders.StatusPending, orders.StatusFailed}:                      true,
		{orders.StatusPending, orders.StatusExpired}:                     true,
		{orders.StatusPending, orders.StatusCanceled}:                    true,
		{orders.StatusPaid, orders.StatusPartiallyRefunded}:              true,
		{orders.StatusPaid, orders.StatusRefunded}:                       true,
		{orders.StatusPaid, orders.StatusCanceled}:                       true, // no card payment only (Cancel checks)
		{orders.StatusPartiallyRefunded, orders.StatusPartiallyRefunded}: true,
		{orders.StatusPartiallyRefunded, orders.StatusRefunded}:          true,
	}
	for _, from := range all {
		for _, to := range all {
			want := edges[[2]orders.Status{from, to}]
			verb := "may not"
			if want {
				verb = "may"
			}
			t.Run(fmt.Sprintf("a %s order %s become %s", from, verb, to), func(t *testing.T) {
				if got := orders.CanTransition(from, to); got != want {
					t.Errorf("CanTransition(%s, %s) = %t, want %t", from, to, got, want)
				}
			})
		}
	}
	t.Run("an unknown status has no edges", func(t *testing.T) {
		for _, s := range all {
			if orders.CanTransition("shipped", s) || orders.CanTransition(s, "shipped") {
				t.Errorf("an edge between shipped and %s exists", s)
			}
		}
	})
}

func TestStatusPredicates(t *testing.T) {
	tests := []struct {
		status      orders.Status
		valid, live bool
	}{
		{orders.StatusPending, true, true},
		{orders.StatusPaid, true, true},
		{orders.StatusPartiallyRefunded, true, true},
		{orders.StatusFailed, true, false},
		{orders.StatusExpired, true, false},
		{orders.StatusCanceled, true, false},
		{orders.StatusRefunded, true, false},
		{"shipped", false, false},
		{"", false, false},
		{"PAID", false, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q is valid=%t and live=%t", tt.status, tt.valid, tt.live), func(t *testing.T) {
			if got := tt.status.Valid(); got != tt.valid {
				t.Errorf("Valid() = %t, want %t", got, tt.valid)
			}
			if got := tt.status.Live(); got != tt.live {
				t.Errorf("Live() = %t, want %t", got, tt.live)
			}
		})
	}
}

func TestConcurrentCheckouts(t *testing.T) {
	e := newEnv(t)
	products := []struct {
		name, typ, config, data string
	}{
		{"the opt-out jersey", "jersey", `{"opt_out":true}`, `{}`},
		{"a free numbered jersey", "jersey", string(jerseyConfig("race")), ``},
		{"the contract", "contract", contractConfig,
			`{"signer_name":"Pat","signer_relationship":"parent","accept_terms":true,"terms_version":"2026.1"}`},
	}
	for i, pp := range products {
		p := e.product(pp.typ, pp.name, 0, pp.config)
		t.Run("two simultaneous checkouts of "+pp.name+" for one player make one order and one Conflict", func(t *testing.T) {
			for round := range 5 {
				hh, token := e.household(fmt.Sprintf("race%d-%d@example.com", i, round), "Kit Racer")
				player := hh.Players[0].ID
				data := pp.data
				if data == "" {
					// The same player may hold the same number on both
					// attempts; the loser must still lose on the live order.
					data = jerseyData(10 + round)
				}
				var wg sync.WaitGroup
				start := make(chan struct{})
				results := make([]checkout.Result, 2)
				errs := make([]error, 2)
				for k := range 2 {
					wg.Go(func() {
						<-start
						results[k], errs[k] = e.checkout(token, p.ID, player, data)
					})
				}
				close(start)
				wg.Wait()
				won := 0
				if errs[1] == nil {
					won = 1
				}
				if errs[won] != nil {
					t.Fatalf("round %d: both checkouts failed: %v / %v", round, errs[0], errs[1])
				}
				c := conflictOf(t, errs[1-won])
				if c.OrderID != results[won].Order.ID.String() {
					t.Errorf("round %d: Conflict.OrderID = %q, want the winner's %s", round, c.OrderID, results[won].Order.ID)
				}
				if results[won].Order.Status != orders.StatusPaid {
					t.Errorf("round %d: winner status = %s, want paid (free product)", round, results[won].Order.Status)
				}
				page, err := e.orders.List(e.ctx, e.tenant.ID, orders.Filter{PlayerID: &player})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Data) != 1 {
					t.Errorf("round %d: the player has %d orders, want 1", round, len(page.Data))
				}
			}
		})
	}
}

func TestClaimsFollowTheOrderLifecycle(t *testing.T) {
	e := newEnv(t)
	jerseyP := e.product("jersey", "Home jersey", 4500, string(jerseyConfig("team-5")))
	free := e.product("jersey", "Practice jersey", 0, string(jerseyConfig("team-5")))
	_, sumLines := e.importCSV("legacy_id,customer_email,player_first_name,player_last_name,product_id,status,custom_data\n" +
		"A-1,holder@example.com,Hal,Holder," + jerseyP.ID.String() + `,pending,"{""top_size"":""YS"",""bottom_size"":""YS"",""jersey_number"":5}"` + "\n")
	if len(sumLines) != 0 {
		t.Fatalf("import report = %v, want none", sumLines)
	}
	imported := e.byLegacyID("A-1")
	other, token := e.household("other@example.com", "Ola Other")

	t.Run("a pending imported order keeps its number from another player", func(t *testing.T) {
		_, err := e.checkout(token, free.ID, other.Players[0].ID, jerseyData(5))
		c := conflictOf(t, err)
		if len(c.Fields) != 1 || c.Fields[0].Field != "/custom_data/jersey_number" {
			t.Errorf("Conflict fields = %+v, want /custom_data/jersey_number", c.Fields)
		}
	})
	t.Run("canceling a pending order records who did it and releases its number", func(t *testing.T) {
		o, err := e.settling.Cancel(e.ctx, e.tenant.ID, imported.ID, "api-key:test")
		if err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		if o.Status != orders.StatusCanceled {
			t.Errorf("status = %s, want canceled", o.Status)
		}
		last := o.Events[len(o.Events)-1]
		if last.Actor != "api-key:test" || last.From == nil || *last.From != orders.StatusPending || last.To != orders.StatusCanceled {
			t.Errorf("last event = %+v, want api-key:test pending -> canceled", last)
		}
		res, err := e.checkout(token, free.ID, other.Players[0].ID, jerseyData(5))
		if err != nil {
			t.Fatalf("checkout of the released number: %v", err)
		}
		if res.Order.Status != orders.StatusPaid {
			t.Errorf("status = %s, want paid", res.Order.Status)
		}
	})
	t.Run("canceling an order that is not pending is a Conflict that changes nothing", func(t *testing.T) {
		_, err := e.settling.Cancel(e.ctx, e.tenant.ID, imported.ID, "api-key:test")
		conflictOf(t, err)
		o, err := e.orders.Get(e.ctx, e.tenant.ID, imported.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Events) != 2 {
			t.Errorf("events = %d, want 2 (import, cancel)", len(o.Events))
		}
	})
	t.Run("canceling an unknown order is not found", func(t *testing.T) {
		if _, err := e.settling.Cancel(e.ctx, e.tenant.ID, uuid.New(), "x"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("Cancel = %v, want ErrNotFound", err)
		}
	})
	t.Run("another tenant cannot cancel the order", func(t *testing.T) {
		stranger := newEnv(t)
		if _, err := stranger.settling.Cancel(e.ctx, stranger.tenant.ID, imported.ID, "x"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("Cancel from another tenant = %v, want ErrNotFound", err)
		}
	})
}

func TestTransition(t *testing.T) {
	e := newEnv(t)
	p := e.product("jersey", "Jersey", 0, `{"opt_out":true}`)
	hh, token := e.household("tx@example.com", "Tia Trans")
	res, err := e.checkout(token, p.ID, hh.Players[0].ID, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		to   orders.Status
		ok   bool
	}{
		{"a paid order cannot go back to pending", orders.StatusPending, false},
		{"a paid order may be partially refunded", orders.StatusPartiallyRefunded, true},
		{"a partially refunded order may be partially refunded again", orders.StatusPartiallyRefunded, true},
		{"a partially refunded order cannot be paid again", orders.StatusPaid, false},
		{"a partially refunded order may be refunded", orders.StatusRefunded, true},
		{"a refunded order is final", orders.StatusPartiallyRefunded, false},
		{"a refunded order cannot be canceled", orders.StatusCanceled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.db.InTenant(e.ctx, e.tenant.ID, func(tx pgx.Tx) error {
				o := res.Order
				if err := orders.Transition(e.ctx, tx, e.tenant.ID, &o, tt.to, "test", tt.name); err != nil {
					return err
				}
				res.Order = o
				return nil
			})
			if tt.ok && err != nil {
				t.Fatalf("Transition to %s: %v", tt.to, err)
			}
			if !tt.ok && !errors.Is(err, orders.ErrTransition) {
				t.Fatalf("Transition to %s = %v, want ErrTransition", tt.to, err)
			}
			got, err := e.orders.Get(e.ctx, e.tenant.ID, res.Order.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != res.Order.Status {
				t.Errorf("stored status = %s, want %s", got.Status, res.Order.Status)
			}
		})
	}
	t.Run("every applied transition left an audit event and paid_at was kept", func(t *testing.T) {
		got, err := e.orders.Get(e.ctx, e.tenant.ID, res.Order.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Events) != 4 { // paid at checkout + three transitions
			t.Errorf("events = %d, want 4: %+v", len(got.Events), got.Events)
		}
		if got.PaidAt == nil {
			t.Error("paid_at was cleared")
		}
	})
}

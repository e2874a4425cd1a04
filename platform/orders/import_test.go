package orders_test

import (
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"text/template"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/orderio"
	"github.com/leaguepay/checkout/platform/orders"
)

// legacyFixture renders testdata/legacy_orders.csv with the env's products.
func legacyFixture(t *testing.T, products map[string]string) string {
	t.Helper()
	tmpl, err := template.ParseFiles("testdata/legacy_orders.csv")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, products); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var reportLine = regexp.MustCompile(`^line (\d+): (.+)$`)

// byLine indexes report lines by their line number.
func byLine(t *testing.T, lines []string) map[int]string {
	t.Helper()
	out := map[int]string{}
	for _, l := range lines {
		m := reportLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("report line %q does not start with its line number", l)
		}
		n, _ := strconv.Atoi(m[1])
		if _, dup := out[n]; dup {
			t.Errorf("line %d is reported twice", n)
		}
		out[n] = m[2]
	}
	return out
}

// wantReport is the bad rows of testdata/legacy_orders.csv: the line each is
// on and what its report must name.
var wantReport = []struct {
	name string
	line int
	says []string
}{
	{"a product_id that is not a UUID", 6, []string{"product_id", "UUID"}},
	{"a product_id of no product", 7, []string{"product_id", "not found"}},
	{"an unknown status", 8, []string{"status", "not an order status"}},
	{"a fractional amount", 9, []string{"amount_cents"}},
	{"a size the jersey does not offer", 10, []string{"/custom_data/top_size"}},
	{"a jersey number an earlier row holds in the same scope", 11, []string{"/custom_data/jersey_number", "taken"}},
	{"a missing customer_email", 12, []string{"customer_email"}},
	{"a quote in the middle of a field", 13, []string{"quote"}},
	{"a quote in the middle of the first field", 14, []string{"quote"}},
	{"a missing legacy_id", 15, []string{"legacy_id", "required"}},
	{"a created_at that is not RFC 3339", 17, []string{"created_at", "RFC 3339"}},
	{"custom_data that is not a JSON object", 18, []string{"/custom_data", "JSON object"}},
	{"a missing player_last_name", 19, []string{"player_last_name"}},
}

func TestImport(t *testing.T) {
	e := newEnv(t)
	jerseyP := e.product("jersey", "Home jersey", 4500, string(jerseyConfig("imp-2026")))
	free := e.product("jersey", "Practice jersey", 0, string(jerseyConfig("imp-2026")))
	contractP := e.product("contract", "Contract", 0, contractConfig)
	csv := legacyFixture(t, map[string]string{"Jersey": jerseyP.ID.String(), "Contract": contractP.ID.String(),
		"Unknown": uuid.NewString()})

	sum, report := e.importCSV(csv)
	got := byLine(t, report)

	t.Run("the summary counts the good rows as imported and the bad rows as failed", func(t *testing.T) {
		want := orderio.ImportSummary{Imported: 4, Skipped: 0, Failed: len(wantReport)}
		if sum != want {
			t.Errorf("summary = %+v, want %+v", sum, want)
		}
	})
	for _, w := range wantReport {
		t.Run("the report names line "+strconv.Itoa(w.line)+" for "+w.name, func(t *testing.T) {
			msg, ok := got[w.line]
			if !ok {
				t.Fatalf("line %d is not reported; report:\n%s", w.line, strings.Join(report, "\n"))
			}
			for _, s := range w.says {
				if !strings.Contains(msg, s) {
					t.Errorf("line %d: %q does not mention %q", w.line, msg, s)
				}
			}
		})
	}
	t.Run("only the bad rows are reported", func(t *testing.T) {
		if len(got) != len(wantReport) {
			t.Errorf("report has %d lines, want %d:\n%s", len(got), len(wantReport), strings.Join(report, "\n"))
		}
	})

	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	paid100 := ts("2025-03-01T10:05:00Z")
	goods := []struct {
		name      string
		legacyID  string
		product   uuid.UUID
		status    orders.Status
		amount    int64
		createdAt time.Time // zero: about now
		paidAt    *time.Time
		data      map[string]any
		line      string
	}{
		{"a paid row keeps its amount, timestamps and custom data", "L-100", jerseyP.ID, orders.StatusPaid, 4200,
			ts("2025-03-01T10:00:00Z"), &paid100,
			map[string]any{"top_size": "YS", "bottom_size": "YS", "jersey_number": 7.0}, "line 2"},
		{"a pending row takes the product's price, converts created_at to UTC and normalizes its data", "L-101",
			jerseyP.ID, orders.StatusPending, 4500, ts("2025-03-02T14:00:00Z"), nil,
			map[string]any{"top_size": "YM", "bottom_size": "YM", "jersey_number": 8.0}, "line 3"},
		{"a row without status or timestamps is paid now at the product's price", "L-102", contractP.ID,
			orders.StatusPaid, 0, time.Time{}, nil,
			map[string]any{"signer_name": "Ana Rivera", "signer_relationship": "parent", "accept_terms": true,
				"terms_version": "2026.1"}, "line 5"},
		{"a canceled row is imported even though it names a number", "L-112", jerseyP.ID, orders.StatusCanceled, 4500,
			ts("2025-04-01T12:00:00Z"), nil,
			map[string]any{"top_size": "YM", "bottom_size": "YM", "jersey_number": 23.0}, "line 16"},
	}
	for _, g := range goods {
		t.Run(g.name, func(t *testing.T) {
			o := e.byLegacyID(g.legacyID)
			if o.ProductID != g.product || o.Status != g.status || o.AmountCents != g.amount || o.Currency != "usd" {
				t.Errorf("order = product %s status %s amount %d %s; want product %s status %s amount %d usd",
					o.ProductID, o.Status, o.AmountCents, o.Currency, g.product, g.status, g.amount)
			}
			if g.createdAt.IsZero() {
				if time.Since(o.CreatedAt) > time.Minute || o.PaidAt == nil || !o.PaidAt.Equal(o.CreatedAt) {
					t.Errorf("created_at = %v, paid_at = %v; want now and equal", o.CreatedAt, o.PaidAt)
				}
			} else {
				if !o.CreatedAt.Equal(g.createdAt) {
					t.Errorf("created_at = %v, want %v", o.CreatedAt, g.createdAt)
				}
				if (o.PaidAt == nil) != (g.paidAt == nil) || (o.PaidAt != nil && !o.PaidAt.Equal(*g.paidAt)) {
					t.Errorf("paid_at = %v, want %v", o.PaidAt, g.paidAt)
				}
			}
			var data map[string]any
			if err := json.Unmarshal(o.CustomData, &data); err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(data, g.data) {
				t.Errorf("custom_data = %v, want %v", data, g.data)
			}
			if len(o.Events) != 1 || o.Events[0].Actor != "import" || o.Events[0].To != g.status ||
				!strings.Contains(o.Events[0].Detail, g.line+" ") {
				t.Errorf("events = %+v, want one import event naming %s", o.Events, g.line)
			}
		})
	}

	t.Run("one household is created per email and one player per name", func(t *testing.T) {
		rivera, err := e.customers.FindByEmail(e.ctx, e.tenant.ID, "Rivera@Example.com")
		if err != nil {
			t.Fatal(err)
		}
		if rivera.Name != "Rivera family" || len(rivera.Players) != 2 ||
			rivera.Players[0].FirstName != "Maya" || rivera.Players[1].FirstName != "Leo" {
			t.Errorf("rivera household = %+v, want Rivera family with Maya and Leo", rivera)
		}
		chen, err := e.customers.FindByEmail(e.ctx, e.tenant.ID, "chen@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if len(chen.Players) != 1 || chen.Players[0].FirstName != "Sam" {
			t.Errorf("chen household = %+v, want Sam only", chen)
		}
		o100, o101, o102, o112 := e.byLegacyID("L-100"), e.byLegacyID("L-101"), e.byLegacyID("L-102"), e.byLegacyID("L-112")
		if o100.CustomerID != rivera.ID || o101.CustomerID != rivera.ID || o102.CustomerID != rivera.ID || o112.CustomerID != chen.ID {
			t.Errorf("orders are not attached to their households")
		}
		if o100.PlayerID != rivera.Players[0].ID || o102.PlayerID != rivera.Players[0].ID || o101.PlayerID != rivera.Players[1].ID {
			t.Errorf("orders are not attached to their players")
		}
		var households, players int
		err = e.db.InTenant(e.ctx, e.tenant.ID, func(tx pgx.Tx) error {
			if err := tx.QueryRow(e.ctx, `SELECT count(*) FROM customers`).Scan(&households); err != nil {
				return err
			}
			return tx.QueryRow(e.ctx, `SELECT count(*) FROM players`).Scan(&players)
		})
		if err != nil {
			t.Fatal(err)
		}
		if households != 2 || players != 3 {
			t.Errorf("%d households and %d players, want 2 and 3 (bad rows leave nothing behind)", households, players)
		}
	})

	t.Run("running the same file again imports nothing, skips the imported rows and reports the bad ones again", func(t *testing.T) {
		sum, again := e.importCSV(csv)
		want := orderio.ImportSummary{Imported: 0, Skipped: 4, Failed: len(wantReport)}
		if sum != want {
			t.Errorf("summary = %+v, want %+v", sum, want)
		}
		if strings.Join(again, "\n") != strings.Join(report, "\n") {
			t.Errorf("second report differs:\n%s\nfirst:\n%s", strings.Join(again, "\n"), strings.Join(report, "\n"))
		}
		page, err := e.orders.List(e.ctx, e.tenant.ID, orders.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Data) != 4 {
			t.Errorf("%d orders, want 4", len(page.Data))
		}
	})

	buyer, token := e.household("buyer@example.com", "Bo Buyer")
	t.Run("an imported pending order holds its jersey number against another player's checkout", func(t *testing.T) {
		_, err := e.checkout(token, free.ID, buyer.Players[0].ID, jerseyData(8))
		c := conflictOf(t, err)
		if len(c.Fields) != 1 || c.Fields[0].Field != "/custom_data/jersey_number" {
			t.Errorf("Conflict fields = %+v, want /custom_data/jersey_number", c.Fields)
		}
	})
	t.Run("an imported canceled order holds no number", func(t *testing.T) {
		res, err := e.checkout(token, free.ID, buyer.Players[0].ID, jerseyData(23))
		if err != nil {
			t.Fatalf("checkout of the canceled order's number: %v", err)
		}
		if res.Order.Status != orders.StatusPaid {
			t.Errorf("status = %s, want paid", res.Order.Status)
		}
	})
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestImportHeader(t *testing.T) {
	e := newEnv(t)
	full := []string{"legacy_id", "customer_email", "player_first_name", "player_last_name", "product_id"}
	for i, missing := range full {
		t.Run("a header without "+missing+" is refused naming the column", func(t *testing.T) {
			cols := append(append([]string{}, full[:i]...), full[i+1:]...)
			var report strings.Builder
			sum, err := e.io.Import(e.ctx, e.tenant.ID, strings.NewReader(strings.Join(cols, ",")+"\nx,y,z,w\n"), &report)
			if err == nil || !strings.Contains(err.Error(), `"`+missing+`"`) {
				t.Fatalf("Import = %v, want an error naming %q", err, missing)
			}
			if sum != (orderio.ImportSummary{}) || report.Len() != 0 {
				t.Errorf("summary %+v, report %q; want nothing done", sum, report.String())
			}
		})
	}
	t.Run("an empty file is refused", func(t *testing.T) {
		if _, err := e.io.Import(e.ctx, e.tenant.ID, strings.NewReader(""), &strings.Builder{}); err == nil {
			t.Fatal("Import of an empty file succeeded")
		}
	})
	t.Run("a read error stops the import with an error instead of looping", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader(strings.Join(full, ",")+"\n"), iotest.ErrReader(errors.New("disk gone")))
		_, err := e.io.Import(e.ctx, e.tenant.ID, r, &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), "disk gone") {
			t.Fatalf("Import = %v, want the read error", err)
		}
	})
	t.Run("a header in any order, with a byte order mark and spaces, is accepted", func(t *testing.T) {
		p := e.product("jersey", "Opt-out", 0, `{"opt_out":true}`)
		csv := "\ufeffproduct_id , player_last_name,player_first_name,customer_email,legacy_id\n" +
			p.ID.String() + ",Park,Jin,park@example.com,H-1\n"
		sum, report := e.importCSV(csv)
		if sum.Imported != 1 || len(report) != 0 {
			t.Fatalf("summary %+v, report %v; want one row imported", sum, report)
		}
		if o := e.byLegacyID("H-1"); o.Status != orders.StatusPaid || o.AmountCents != 0 {
			t.Errorf("order = %+v, want paid at 0", o)
		}
	})
}

package api_test

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"
)

// exportColumns are the export's fixed columns, in the documented order.
var exportColumns = []string{"id", "created_at", "status", "product_id", "product_name", "product_type", "category",
	"customer_id", "customer_email", "customer_name", "player_id", "player_name", "amount_cents", "amount_refunded_cents",
	"currency", "paid_at", "legacy_id"}

// csvExport is a parsed orders.csv: the header and each row by column name.
type csvExport struct {
	Header []string
	Rows   []map[string]string
}

func (x csvExport) ids() []string {
	out := []string{}
	for _, r := range x.Rows {
		out = append(out, r["id"])
	}
	return out
}

// export fetches and parses /admin/orders.csv with the given query.
func (e *env) export(l league, query ...string) csvExport {
	e.t.Helper()
	r := e.must(200, "GET", withQuery(l.Base+"/admin/orders.csv", query...), nil, bearer(l.Viewer)...)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		e.t.Errorf("content type %q, want text/csv", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="`+l.Slug+"-orders-"+time.Now().UTC().Format("2006-01-02")+`.csv"` {
		e.t.Errorf("Content-Disposition %q, want the league and the day in the filename", cd)
	}
	body, ok := strings.CutPrefix(string(r.Body), "\ufeff")
	if !ok {
		e.t.Errorf("the export does not open with a UTF-8 byte-order mark: %q", r.Body[:min(len(r.Body), 8)])
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		e.t.Fatalf("the export is not valid CSV: %v\n%s", err, r.Body)
	}
	if len(records) == 0 {
		e.t.Fatalf("the export has no header row")
	}
	x := csvExport{Header: records[0]}
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, h := range x.Header {
			row[h] = rec[i]
		}
		x.Rows = append(x.Rows, row)
	}
	return x
}

// customerOf is the household id of a registration token.
func (e *env) customerOf(l league, token string) string {
	e.t.Helper()
	orders := e.must(200, "GET", l.Base+"/orders", nil, "X-Registration-Token", token).JSON()["data"].([]any)
	return orders[0].(map[string]any)["customer_id"].(string)
}

func TestExportOrders(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	home := e.product(l, freeJersey("Home jersey"))["id"].(string)
	deal := e.product(l, map[string]any{"type": "contract", "name": "Contract, \"2026\"", "price_cents": 0, "config": contractConfig})["id"].(string)
	optOut := e.product(l, map[string]any{"type": "jersey", "name": "No jersey", "price_cents": 0, "config": optOutConfig})["id"].(string)
	annHH, annToken, annPlayers := e.householdWithEmail(l, "ann@example.com", "Ann")
	_, eveToken, _ := e.householdWithEmail(l, "eve@example.com", "=Eve")

	jersey := e.buy(l, annToken, home, "", jerseyData(7))
	formula := `=HYPERLINK("https://evil.example/?a,b","click")`
	contract := e.buy(l, eveToken, deal, "", contractData(formula))
	quoted := `Too big, "really"`
	optedOut := e.buy(l, annToken, optOut, "", map[string]any{"reason": quoted})

	all := e.export(l)

	t.Run("the header is the documented columns then the custom_data keys seen, sorted", func(t *testing.T) {
		want := append(slices.Clone(exportColumns), "custom_data.accept_terms", "custom_data.bottom_size",
			"custom_data.jersey_number", "custom_data.reason", "custom_data.signer_name", "custom_data.signer_relationship",
			"custom_data.terms_version", "custom_data.top_size")
		if !slices.Equal(all.Header, want) {
			t.Errorf("header %v\nwant %v", all.Header, want)
		}
	})

	t.Run("there is one row per order, newest first", func(t *testing.T) {
		want := []string{optedOut["id"].(string), contract["id"].(string), jersey["id"].(string)}
		if got := all.ids(); !slices.Equal(got, want) {
			t.Errorf("ids %v, want %v", got, want)
		}
	})

	t.Run("a row carries the order, its product, household and player", func(t *testing.T) {
		row := all.Rows[2]
		want := map[string]string{"id": jersey["id"].(string), "status": "paid", "product_id": home, "product_name": "Home jersey",
			"product_type": "jersey", "category": "uniforms", "customer_id": annHH, "customer_email": "ann@example.com",
			"customer_name": "Family ann@example.com", "legacy_id": "", "player_id": annPlayers[0], "player_name": "Ann Doe", "amount_cents": "0", "amount_refunded_cents": "0", "currency": "usd",
			"custom_data.jersey_number": "7", "custom_data.top_size": "YM", "custom_data.bottom_size": "YM",
			"custom_data.reason": "", "custom_data.signer_name": ""}
		for k, v := range want {
			if row[k] != v {
				t.Errorf("%s = %q, want %q", k, row[k], v)
			}
		}
		for _, k := range []string{"created_at", "paid_at"} {
			if _, err := time.Parse(time.RFC3339, row[k]); err != nil {
				t.Errorf("%s = %q: %v", k, row[k], err)
			}
		}
	})

	t.Run("names in any alphabet survive, as UTF-8 after the byte-order mark", func(t *testing.T) {
		_, chenToken, _ := e.householdWithEmail(l, "chen@example.com", "CHÉN")
		e.buy(l, chenToken, home, "", jerseyData(8))
		if got := e.export(l, "customer_id="+e.customerOf(l, chenToken)).Rows[0]["player_name"]; got != "CHÉN Doe" {
			t.Errorf("player_name %q, want CHÉN Doe", got)
		}
	})

	t.Run("commas and quotes survive CSV escaping", func(t *testing.T) {
		if got := all.Rows[0]["custom_data.reason"]; got != quoted {
			t.Errorf("reason %q, want %q", got, quoted)
		}
		if got := all.Rows[1]["product_name"]; got != `Contract, "2026"` {
			t.Errorf("product_name %q", got)
		}
	})

	t.Run("a buyer-supplied formula is neutralised", func(t *testing.T) {
		row := all.Rows[1]
		for col, value := range map[string]string{"custom_data.signer_name": formula, "player_name": "=Eve Doe"} {
			got := row[col]
			if strings.HasPrefix(got, "=") || !strings.HasSuffix(got, value) {
				t.Errorf("%s = %q, want %q defused", col, got, value)
			}
		}
	})

	for _, prefix := range []string{"+", "-", "@"} {
		t.Run("a cell starting with "+prefix+" is neutralised too", func(t *testing.T) {
			_, tok, _ := e.household(l, "Kid"+map[string]string{"+": "P", "-": "M", "@": "A"}[prefix])
			value := prefix + "1+cmd|' /C calc'!A0"
			o := e.buy(l, tok, optOut, "", map[string]any{"reason": value})
			for _, row := range e.export(l, "product_id", optOut).Rows {
				if row["id"] != o["id"] {
					continue
				}
				if got := row["custom_data.reason"]; strings.HasPrefix(got, prefix) || !strings.HasSuffix(got, value) {
					t.Errorf("reason %q, want %q defused", got, value)
				}
				return
			}
			t.Errorf("order %v is not in the export", o["id"])
		})
	}

	filters := []struct {
		name  string
		query []string
		keys  []string
	}{
		{"type", []string{"type", "contract"}, []string{"accept_terms", "signer_name", "signer_relationship", "terms_version"}},
		{"product_id", []string{"product_id", home}, []string{"bottom_size", "jersey_number", "top_size"}},
		{"customer_id", []string{"customer_id", annHH}, []string{"bottom_size", "jersey_number", "reason", "top_size"}},
		{"status with no match", []string{"status", "pending"}, nil},
		{"created_to in the past", []string{"created_to", "2000-01-01T00:00:00Z"}, nil},
		{"category", []string{"category", "contracts"}, []string{"accept_terms", "signer_name", "signer_relationship", "terms_version"}},
	}
	for _, tc := range filters {
		t.Run("the "+tc.name+" filter gives the listing's orders and their keys", func(t *testing.T) {
			x := e.export(l, tc.query...)
			want := itemIDs(e.allOrders(l, tc.query...))
			if got := x.ids(); !slices.Equal(got, want) {
				t.Errorf("ids %v, want %v", got, want)
			}
			header := slices.Clone(exportColumns)
			for _, k := range tc.keys {
				header = append(header, "custom_data."+k)
			}
			if !slices.Equal(x.Header, header) {
				t.Errorf("header %v\nwant %v", x.Header, header)
			}
		})
	}

	bad := []struct {
		name  string
		query []string
		field string
	}{
		{"an unknown status", []string{"status", "bogus"}, "query:status"},
		{"a malformed created_from", []string{"created_from", "yesterday"}, "query:created_from"},
		{"a malformed product_id", []string{"product_id", "x"}, "query:product_id"},
		{"an unregistered type", []string{"type", "hoodie"}, "query:type"},
		{"a cursor", []string{"cursor", "abc"}, "query:cursor"},
	}
	for _, tc := range bad {
		t.Run("a bad filter is a 400: "+tc.name, func(t *testing.T) {
			r := e.must(400, "GET", withQuery(l.Base+"/admin/orders.csv", tc.query...), nil, bearer(l.Viewer)...)
			r.wantProblem(t)
			if !slices.Equal(r.Fields(), []string{tc.field}) {
				t.Errorf("fields %v, want [%s]", r.Fields(), tc.field)
			}
		})
	}
}

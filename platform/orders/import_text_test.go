package orders_test

import (
	"strings"
	"testing"

	"github.com/leaguepay/checkout/platform/orderio"
)

// Rows that PostgreSQL could not store, or the API could not render back,
// found by FuzzImportRow: they used to be reported with the driver's error
// (or, for the timestamps, imported and then broke every listing of the
// league's orders with a 500).
func TestImportRefusesWhatTheDatabaseCannotHold(t *testing.T) {
	e := newEnv(t)
	optOut := e.product("jersey", "Opt-out", 0, `{"opt_out":true}`).ID.String()
	row := func(legacyID, name, first, createdAt, customData string) string {
		return strings.Join([]string{legacyID, "text@example.com", name, first, "Lee", optOut, "paid", createdAt, customData}, ",")
	}
	cases := []struct {
		name, row string
		says      []string
	}{
		{"a legacy_id holding U+0000", row("T-\x001", "", "Sam", "", ""), []string{"legacy_id", "U+0000"}},
		{"a legacy_id that is not UTF-8", row("T-\xff2", "", "Sam", "", ""), []string{"legacy_id", "UTF-8"}},
		{"a legacy_id of 201 characters", row(strings.Repeat("é", 201), "", "Sam", "", ""), []string{"legacy_id", "at most 200"}},
		{"a customer name holding U+0000", row("T-4", "Lee\x00", "Sam", "", ""), []string{"customer_name", "U+0000"}},
		{"a player name that is not UTF-8", row("T-5", "", "S\xe9m", "", ""), []string{"player_first_name", "UTF-8"}},
		{"a created_at in the year 10000 in UTC", row("T-6", "", "Sam", "9999-12-31T23:59:59-01:00", ""), []string{"created_at", "9999"}},
		{"a created_at before the year 0000 in UTC", row("T-7", "", "Sam", "0000-01-01T00:00:00+01:00", ""), []string{"created_at", "0000"}},
		{"custom_data holding U+0000", row("T-8", "", "Sam", "", `"{""reason"":""no\u0000thanks""}"`), []string{"/custom_data/reason", "U+0000"}},
	}
	var csv strings.Builder
	csv.WriteString("legacy_id,customer_email,customer_name,player_first_name,player_last_name,product_id,status,created_at,custom_data\n")
	for _, c := range cases {
		csv.WriteString(c.row + "\n")
	}
	sum, report := e.importCSV(csv.String())
	if sum != (orderio.ImportSummary{Failed: len(cases)}) {
		t.Errorf("summary %+v, want %d failed; report:\n%s", sum, len(cases), strings.Join(report, "\n"))
	}
	got := byLine(t, report)
	for i, c := range cases {
		t.Run("the report names "+c.name, func(t *testing.T) {
			msg := got[i+2]
			for _, s := range c.says {
				if !strings.Contains(msg, s) {
					t.Errorf("line %d: %q does not mention %q", i+2, msg, s)
				}
			}
			if strings.Contains(msg, "ERROR") || strings.Contains(msg, "SQLSTATE") {
				t.Errorf("line %d is reported with the driver's error: %q", i+2, msg)
			}
		})
	}
}

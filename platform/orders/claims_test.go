package orders_test

import (
	"fmt"
	"sync"
	"testing"
)

// TestReleaseRacingTheSameHolder races, round after round, the cancel of a
// player's pending home jersey against the checkout of their away jersey
// with the same number in the same scope: the away order ends up live, so
// the claim on the number must survive and another player cannot take it.
func TestReleaseRacingTheSameHolder(t *testing.T) {
	e := newEnv(t)
	home := e.product("jersey", "Home", 4500, string(jerseyConfig("race")))
	away := e.product("jersey", "Away", 0, string(jerseyConfig("race")))
	rival, rivalToken := e.household("rival@example.com", "Rex Rival")
	for n := 1; n <= 25; n++ {
		legacy := fmt.Sprintf("R-%d", n)
		_, lines := e.importCSV("legacy_id,customer_email,player_first_name,player_last_name,product_id,status,custom_data\n" +
			legacy + "," + fmt.Sprintf("racer%d@example.com", n) + ",Rae,Racer," + home.ID.String() +
			fmt.Sprintf(`,pending,"{""top_size"":""YS"",""bottom_size"":""YS"",""jersey_number"":%d}"`, n) + "\n")
		if len(lines) != 0 {
			t.Fatalf("import: %v", lines)
		}
		pending := e.byLegacyID(legacy)
		token, err := e.customers.RotateToken(e.ctx, e.tenant.ID, pending.CustomerID)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var checkoutErr, cancelErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, checkoutErr = e.checkout(token, away.ID, pending.PlayerID, jerseyData(n))
		}()
		go func() {
			defer wg.Done()
			_, cancelErr = e.settling.Cancel(e.ctx, e.tenant.ID, pending.ID, "test")
		}()
		wg.Wait()
		if checkoutErr != nil || cancelErr != nil {
			t.Fatalf("number %d: checkout %v, cancel %v", n, checkoutErr, cancelErr)
		}
		if _, err := e.checkout(rivalToken, away.ID, rival.Players[0].ID, jerseyData(n)); err == nil {
			t.Fatalf("number %d: another player took it while the racer's away order is live", n)
		}
	}
}

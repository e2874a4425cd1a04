package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/ids"
)

// TestClaimCostIsLinear: the claim's plan must not depend on how many
// events the statistics think are pending. Planned (generically, as the
// dispatcher runs it) while the statistics said none were, an earlier form
// joined the pick to the table and ran the pick once per pending event; with
// 5,000 pending that read about 1.5 million buffers for a batch of 500, and
// the dispatcher fell ever further behind. Counted in buffers, not timed.
func TestClaimCostIsLinear(t *testing.T) {
	d := dbtest.DB(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dbtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	// Statistics taken while nothing of this tenant is pending.
	if _, err := admin.Exec(ctx, `ANALYZE events`); err != nil {
		t.Fatal(err)
	}
	tn := ids.New()
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), `UPDATE events SET dispatched_at = now() WHERE tenant_id = $1`, tn)
	})
	err = d.InTenant(ctx, tn, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO events (tenant_id, id, type, object_id, data)
			SELECT $1, gen_random_uuid(), 'test.event', gen_random_uuid(), '{}' FROM generate_series(1, 5000)`, tn)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var plan []struct {
		Plan struct {
			Hit  int64 `json:"Shared Hit Blocks"`
			Read int64 `json:"Shared Read Blocks"`
			Rows int64 `json:"Actual Rows"`
		}
	}
	err = d.InTenant(ctx, tn, func(tx pgx.Tx) error {
		var raw []byte
		if _, err := tx.Exec(ctx, `PREPARE claim_probe (uuid, bigint, int) AS `+claimSQL); err != nil {
			return err
		}
		// A utility statement takes no parameters: the values are written in.
		q := fmt.Sprintf(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE claim_probe ('%s', %d, 500)`, tn, LockKey(tn))
		if err := tx.QueryRow(ctx, q).Scan(&raw); err != nil {
			return err
		}
		return json.Unmarshal(raw, &plan)
	})
	if err != nil {
		t.Fatal(err)
	}
	p := plan[0].Plan
	if p.Rows != 500 {
		t.Fatalf("claimed %d events, want 500", p.Rows)
	}
	if blocks := p.Hit + p.Read; blocks > 20_000 {
		t.Errorf("claiming 500 of 5,000 pending events read %d buffers; a plan linear in the batch reads a few thousand", blocks)
	}
}

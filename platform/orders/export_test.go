package orders_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/orders"
)

// poolWatchingWriter buffers what it is given and counts the writes made
// while a connection of pool was acquired.
type poolWatchingWriter struct {
	pool         *pgxpool.Pool
	buf          bytes.Buffer
	writes, held int
}

func (w *poolWatchingWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.pool.Stat().AcquiredConns() > 0 {
		w.held++
	}
	return w.buf.Write(p)
}

// fillOrders bulk-inserts n orders of one product, household and player,
// one second apart, as the owner role.
func (e *env) fillOrders(productID, customerID, playerID uuid.UUID, n int) {
	e.t.Helper()
	conn, err := pgx.Connect(e.ctx, dbtest.AdminURL(e.t))
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(e.ctx, `INSERT INTO orders (tenant_id, id, product_id, product_type, category, customer_id,
		player_id, status, amount_cents, currency, custom_data, schema_version, created_at, updated_at)
		SELECT $1, gen_random_uuid(), $2, 'jersey', 'uniforms', $3, $4, 'expired', 4500, 'usd',
		       jsonb_build_object('jersey_number', i % 100), 1, now() - i * interval '1 second', now()
		FROM generate_series(1, $5::int) AS i`, e.tenant.ID, productID, customerID, playerID, n)
	if err != nil {
		e.t.Fatalf("fill orders: %v", err)
	}
}

func TestExportWritesOutsideTransactions(t *testing.T) {
	const n = 2500 // two full batches and a partial one
	e := newQuietEnv(t)
	p := e.product("jersey", "Jersey", 4500, string(jerseyConfig("export")))
	hh, _ := e.household("export@example.com", "Ann Doe")
	e.fillOrders(p.ID, hh.ID, hh.Players[0].ID, n)

	w := &poolWatchingWriter{pool: e.db.Pool}
	if err := e.io.Export(e.ctx, e.tenant.ID, orders.Filter{}, w); err != nil {
		t.Fatalf("Export: %v", err)
	}
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(w.buf.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("the export is not valid CSV: %v", err)
	}

	t.Run("no pooled connection is held while the export writes", func(t *testing.T) {
		if w.writes == 0 || w.held > 0 {
			t.Errorf("%d of %d writes were made with a connection acquired", w.held, w.writes)
		}
	})

	t.Run("the batches together give every order once, newest first", func(t *testing.T) {
		if len(records) != n+1 {
			t.Fatalf("%d records, want the header and %d orders", len(records), n)
		}
		seen := map[string]bool{}
		var prev time.Time
		for i, r := range records[1:] {
			seen[r[0]] = true
			at, err := time.Parse(time.RFC3339, r[1])
			if err != nil {
				t.Fatalf("row %d: created_at %q: %v", i+1, r[1], err)
			}
			if i > 0 && !at.Before(prev) {
				t.Fatalf("row %d: created_at %v is not before %v", i+1, at, prev)
			}
			prev = at
		}
		if len(seen) != n {
			t.Errorf("%d distinct orders, want %d", len(seen), n)
		}
	})
}

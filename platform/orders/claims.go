package orders

import (
	"context"
	"fmt"
	"sort"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/producttypes"
)

// SortedClaims is claims in the one order every transaction takes them
// in, so two checkouts wanting the same values cannot deadlock.
func SortedClaims(claims []producttypes.Claim) []producttypes.Claim {
	sorted := append([]producttypes.Claim(nil), claims...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Scope != sorted[j].Scope {
			return sorted[i].Scope < sorted[j].Scope
		}
		return sorted[i].Value < sorted[j].Value
	})
	return sorted
}

// claimCTE takes one claim ($1 tenant, $2 scope, $3 value, $4 holder, $5
// field) for the order $6: the no-op update locks a row of the same holder
// (so a release cannot delete it underneath) and returns nothing for
// another holder's; the link to the order follows it in the same
// statement.
const claimCTE = `WITH c AS (
		INSERT INTO claims (tenant_id, scope, value, holder, field) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, scope, value) DO UPDATE SET holder = EXCLUDED.holder
		WHERE claims.holder = EXCLUDED.holder
		RETURNING scope, value)
	INSERT INTO order_claims (tenant_id, order_id, scope, value)
	SELECT $1::uuid, $6::uuid, scope, value FROM c`

// OneTripClaim is claimCTE for a pipelined batch: a value another holder
// has makes it fail (a NULL into a NOT NULL column), and so does an order
// the batch did not insert (its foreign key), which rolls back the batch's
// implicit transaction and everything in it.
const OneTripClaim = claimCTE + `
	UNION ALL SELECT $1::uuid, $6::uuid, NULL::text, NULL::text WHERE NOT EXISTS (SELECT 1 FROM c)`

// ClaimArgs are the arguments of claimCTE and OneTripClaim for claim c of
// the order.
func ClaimArgs(tenantID, orderID uuid.UUID, c producttypes.Claim) []any {
	holder := c.Holder
	if holder == "" {
		holder = "order:" + orderID.String()
	}
	return []any{tenantID, c.Scope, c.Value, holder, c.Field, orderID}
}

// AcquireClaims takes the order's claims inside its transaction. A value
// held by another holder is a Conflict naming the claim's field. Claims are
// taken in a fixed order so two checkouts cannot deadlock on them.
func AcquireClaims(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, claims []producttypes.Claim) error {
	for _, c := range SortedClaims(claims) {
		tag, err := tx.Exec(ctx, claimCTE+` ON CONFLICT DO NOTHING`, ClaimArgs(tenantID, orderID, c)...)
		if err != nil {
			return fmt.Errorf("take claim: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return &apperr.Conflict{Detail: "a value that must be unique is taken", Fields: apperr.Field(c.Field, "is already taken")}
		}
	}
	return nil
}

// releaseClaims drops an order's claims once it stops being live; a value
// stays claimed while another live order of the same holder still uses it.
//
// The claim rows are locked first, in the order AcquireClaims takes them,
// and the orphan check runs as a later statement: under READ COMMITTED each
// statement sees what committed before it started, so a concurrent checkout
// of the same holder that linked the claim (and held its lock) is seen, and
// the claim it relies on is kept.
func releaseClaims(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID) error {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM claims c JOIN order_claims oc
			ON oc.tenant_id = c.tenant_id AND oc.scope = c.scope AND oc.value = c.value
		WHERE c.tenant_id = $1 AND oc.order_id = $2 ORDER BY c.scope, c.value FOR UPDATE OF c`, tenantID, orderID); err != nil {
		return fmt.Errorf("lock claims: %w", err)
	}
	rows, err := tx.Query(ctx, `DELETE FROM order_claims WHERE tenant_id = $1 AND order_id = $2 RETURNING scope, value`,
		tenantID, orderID)
	if err != nil {
		return fmt.Errorf("unlink claims: %w", err)
	}
	type key struct{ scope, value string }
	gone, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (key, error) {
		var k key
		return k, r.Scan(&k.scope, &k.value)
	})
	if err != nil {
		return fmt.Errorf("unlink claims: %w", err)
	}
	for _, k := range gone {
		if _, err := tx.Exec(ctx, `DELETE FROM claims c WHERE c.tenant_id = $1 AND c.scope = $2 AND c.value = $3
			AND NOT EXISTS (SELECT 1 FROM order_claims oc WHERE oc.tenant_id = $1 AND oc.scope = $2 AND oc.value = $3)`,
			tenantID, k.scope, k.value); err != nil {
			return fmt.Errorf("release claim: %w", err)
		}
	}
	return nil
}

package discounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
)

// This file is what a checkout does with the league's discounts, inside
// its write transaction: read the rules that apply (ForCheckout), check a
// promotion code (CheckCode), redeem it (Redeem) and give it back when the
// checkout ends unpaid (Release). The discount_redemptions table and the
// redemptions counter are written only here.

// codeField is where a checkout's promotion code errors point.
const codeField = "/promotion_code"

// ForCheckout reads, inside tx, the league's active sibling discounts
// (oldest first) and the discount whose code is code (any state: CheckCode
// says what is wrong with it; nil when no discount has it). code "" reads
// no promotion.
func ForCheckout(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, code string) (siblings []Discount, promo *Discount, err error) {
	rows, err := tx.Query(ctx, `SELECT `+cols+` FROM discounts WHERE tenant_id = $1
		AND ((kind = 'sibling' AND active) OR ($2 <> '' AND code = upper($2)))
		ORDER BY created_at, id`, tenantID, code)
	if err != nil {
		return nil, nil, fmt.Errorf("read discounts: %w", err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Discount, error) { return scan(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("read discounts: %w", err)
	}
	for i := range all {
		if all[i].Kind == KindPromotion {
			promo = &all[i]
		} else {
			siblings = append(siblings, all[i])
		}
	}
	return siblings, promo, nil
}

// CheckCode says, as a field error on /promotion_code, why a checkout at
// now cannot use the promotion d that code named (nil d: no such code), or
// nil when it may (the household's limit and the last redemptions are
// Redeem's to enforce). lines are the checkout's items.
func CheckCode(code string, d *Discount, now time.Time, lines []Line) *apperr.Invalid {
	bad := func(msg string) *apperr.Invalid {
		return &apperr.Invalid{Detail: "the promotion code cannot be used", Fields: apperr.Field(codeField, msg)}
	}
	switch {
	case d == nil:
		return bad(fmt.Sprintf("%q is not a promotion code of this league", strings.ToUpper(code)))
	case !d.Active:
		return bad("is not active")
	case d.StartsAt != nil && now.Before(*d.StartsAt):
		return bad("is not valid before " + d.StartsAt.Format(time.RFC3339))
	case d.EndsAt != nil && !now.Before(*d.EndsAt):
		return bad("expired at " + d.EndsAt.Format(time.RFC3339))
	case d.MaxRedemptions != nil && d.Redemptions >= *d.MaxRedemptions:
		return bad("has been used up")
	}
	for _, l := range lines {
		if d.AppliesTo.Matches(l.ProductID, l.Category, l.Type) {
			return nil
		}
	}
	return bad("applies to none of the items")
}

// ErrUsedUp and ErrHouseholdLimit are Redeem's refusals, as field errors on
// /promotion_code.
var (
	ErrUsedUp = &apperr.Invalid{Detail: "the promotion code cannot be used",
		Fields: apperr.Field(codeField, "has been used up")}
	ErrHouseholdLimit = &apperr.Invalid{Detail: "the promotion code cannot be used",
		Fields: apperr.Field(codeField, "has been used as often as one household may")}
)

// Redeem counts one use of promotion d by checkout for the household,
// inside the checkout's transaction. The counter moves by a conditional
// UPDATE that holds the discount's row until the transaction ends, so
// concurrent checkouts cannot pass max_redemptions; the household's limit
// is counted by the next statement, which (under READ COMMITTED) sees every
// redemption committed before the row was ours. A refusal is ErrUsedUp or
// ErrHouseholdLimit, and the caller's rollback undoes the count.
func Redeem(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, d Discount, checkoutID, customerID uuid.UUID) error {
	var limit *int
	err := tx.QueryRow(ctx, `UPDATE discounts SET redemptions = redemptions + 1
		WHERE tenant_id = $1 AND id = $2 AND active AND (max_redemptions IS NULL OR redemptions < max_redemptions)
			AND (starts_at IS NULL OR starts_at <= now()) AND (ends_at IS NULL OR ends_at > now())
		RETURNING per_household_limit`, tenantID, d.ID).Scan(&limit)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrUsedUp
	}
	if err != nil {
		return fmt.Errorf("redeem promotion: %w", err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO discount_redemptions (tenant_id, checkout_id, discount_id, customer_id)
		SELECT $1, $2, $3, $4 WHERE $5::int IS NULL OR (SELECT count(*) FROM discount_redemptions
			WHERE tenant_id = $1 AND discount_id = $3 AND customer_id = $4 AND released_at IS NULL) < $5::int`,
		tenantID, checkoutID, d.ID, customerID, limit)
	if err != nil {
		return fmt.Errorf("record redemption: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrHouseholdLimit
	}
	return nil
}

// Release gives back the checkout's redemption, if it has a live one,
// inside the transaction that ends the checkout unpaid.
func Release(ctx context.Context, tx pgx.Tx, tenantID, checkoutID uuid.UUID) error {
	_, err := tx.Exec(ctx, `WITH r AS (
			UPDATE discount_redemptions SET released_at = now()
			WHERE tenant_id = $1 AND checkout_id = $2 AND released_at IS NULL RETURNING discount_id)
		UPDATE discounts d SET redemptions = d.redemptions - 1 FROM r
		WHERE d.tenant_id = $1 AND d.id = r.discount_id`, tenantID, checkoutID)
	if err != nil {
		return fmt.Errorf("release redemption: %w", err)
	}
	return nil
}

package orders

import (
	"context"
	"fmt"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/keyset"
)

// Filter selects orders for the admin listing and the CSV export. Zero
// values mean "any".
type Filter struct {
	Status      Status
	Category    string
	Type        string
	ProductID   *uuid.UUID
	PlayerID    *uuid.UUID
	CustomerID  *uuid.UUID
	CheckoutID  *uuid.UUID
	CreatedFrom *time.Time // inclusive
	CreatedTo   *time.Time // exclusive
	Limit       int
	Cursor      string
}

// Page is one page of the listing.
type Page struct {
	Data       []Order `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// The listing's limits.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// cursor is the keyset position after which the next page starts.
type cursor = keyset.Position

// CursorAfter returns the cursor of the unfiltered listing's page that
// starts after o: what it returns as next_cursor when o ends a page.
func CursorAfter(o Order) string { return Filter{}.encodeCursor(o) }

func (f Filter) encodeCursor(o Order) string { return keyset.Encode(o.CreatedAt, o.ID, f.digest()) }

func (f Filter) decodeCursor(s string) (cursor, error) { return keyset.Decode(s, f.digest()) }

// digest names the filter's conditions (not its limit or cursor).
func (f Filter) digest() string {
	return keyset.Digest(string(f.Status), f.Category, f.Type, uuidText(f.ProductID), uuidText(f.PlayerID),
		uuidText(f.CustomerID), timeText(f.CreatedFrom), timeText(f.CreatedTo), uuidText(f.CheckoutID))
}

func uuidText(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// where applies the filter's conditions (not the cursor or limit).
func (f Filter) where(q sq.SelectBuilder, tenantID uuid.UUID) sq.SelectBuilder {
	q = q.Where(sq.Eq{"o.tenant_id": tenantID})
	if f.Status != "" {
		q = q.Where(sq.Eq{"o.status": f.Status})
	}
	if f.Category != "" {
		q = q.Where(sq.Eq{"o.category": f.Category})
	}
	if f.Type != "" {
		q = q.Where(sq.Eq{"o.product_type": f.Type})
	}
	if f.ProductID != nil {
		q = q.Where(sq.Eq{"o.product_id": *f.ProductID})
	}
	if f.PlayerID != nil {
		q = q.Where(sq.Eq{"o.player_id": *f.PlayerID})
	}
	if f.CustomerID != nil {
		q = q.Where(sq.Eq{"o.customer_id": *f.CustomerID})
	}
	if f.CheckoutID != nil {
		q = q.Where(sq.Eq{"o.checkout_id": *f.CheckoutID})
	}
	if f.CreatedFrom != nil {
		q = q.Where(sq.GtOrEq{"o.created_at": *f.CreatedFrom})
	}
	if f.CreatedTo != nil {
		q = q.Where(sq.Lt{"o.created_at": *f.CreatedTo})
	}
	return q
}

// after restricts q to the rows after the cursor position (newest first).
func after(q sq.SelectBuilder, c cursor) sq.SelectBuilder {
	return q.Where(sq.Expr("(o.created_at, o.id) < (?, ?)", c.CreatedAt, c.ID))
}

// List returns one page of the tenant's orders, newest first, with keyset
// pagination on (created_at, id).
func (s *Store) List(ctx context.Context, tenantID uuid.UUID, f Filter) (Page, error) {
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	q := f.where(sq.Select(orderCols).From("orders o"), tenantID).
		OrderBy("o.created_at DESC", "o.id DESC").Limit(uint64(f.Limit + 1)).PlaceholderFormat(sq.Dollar)
	if f.Cursor != "" {
		c, err := f.decodeCursor(f.Cursor)
		if err != nil {
			return Page{}, err
		}
		q = after(q, c)
	}
	sqlText, args, err := q.ToSql()
	if err != nil {
		return Page{}, fmt.Errorf("build order query: %w", err)
	}
	page := Page{Data: []Order{}}
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sqlText, args...)
		if err != nil {
			return err
		}
		page.Data, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Order, error) { return scanOrder(r) })
		return err
	})
	if err != nil {
		return Page{}, fmt.Errorf("list orders: %w", err)
	}
	if len(page.Data) > f.Limit {
		page.Data = page.Data[:f.Limit]
		next := f.encodeCursor(page.Data[f.Limit-1])
		page.NextCursor = &next
	}
	return page, nil
}

// ForHousehold returns every order of one household, newest first.
func (s *Store) ForHousehold(ctx context.Context, tenantID, customerID uuid.UUID) ([]Order, error) {
	var out []Order
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		out, err = queryOrders(ctx, tx, "read", `SELECT `+orderCols+` FROM orders o
			WHERE o.tenant_id = $1 AND o.customer_id = $2 ORDER BY o.created_at DESC, o.id DESC`, tenantID, customerID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list household orders: %w", err)
	}
	if out == nil {
		out = []Order{}
	}
	return out, nil
}

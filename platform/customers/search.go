package customers

import (
	"context"
	"fmt"
	"strings"

	sq "github.com/Masterminds/squirrel"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/keyset"
)

// Filter selects households for staff: Email exactly (case-insensitive),
// Q a case-insensitive substring of the household's name or a player's
// "first last" name.
type Filter struct {
	Email  string
	Q      string
	Limit  int
	Cursor string
}

// Page is one page of households, newest first.
type Page struct {
	Data       []Customer `json:"data"`
	NextCursor *string    `json:"next_cursor"`
}

// The listing's limits.
const (
	DefaultLimit = 50
	MaxLimit     = 200
	maxQuery     = 100
)

// digest names the filter's conditions, so a cursor is used only with the
// filters it was issued for.
func (f Filter) digest() string { return keyset.Digest(strings.ToLower(f.Email), f.Q) }

// likeEscaper makes a search string match itself literally in ILIKE.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// List returns one page of the tenant's households matching f, newest
// first, each with its players.
func (s *Store) List(ctx context.Context, tenantID uuid.UUID, f Filter) (Page, error) {
	f.Email, f.Q = strings.TrimSpace(f.Email), strings.TrimSpace(f.Q)
	var fields []apperr.FieldError
	if len(f.Email) > 254 {
		fields = append(fields, apperr.FieldError{Field: "email", Message: "must be at most 254 characters"})
	}
	if len([]rune(f.Q)) > maxQuery {
		fields = append(fields, apperr.FieldError{Field: "q", Message: fmt.Sprintf("must be at most %d characters", maxQuery)})
	}
	if len(fields) > 0 {
		return Page{}, &apperr.BadFilter{Detail: "bad filter", Filters: fields}
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	q := sq.Select(`c.id, c.name, c.email, c.created_at,
		coalesce((SELECT json_agg(json_build_object('id', p.id, 'first_name', p.first_name, 'last_name', p.last_name,
			'external_ref', p.external_ref) ORDER BY p.position)
			FROM players p WHERE p.tenant_id = c.tenant_id AND p.customer_id = c.id), '[]')`).
		From("customers c").Where(sq.Eq{"c.tenant_id": tenantID}).
		OrderBy("c.created_at DESC", "c.id DESC").Limit(uint64(f.Limit + 1)).PlaceholderFormat(sq.Dollar)
	if f.Email != "" {
		q = q.Where(sq.Expr("lower(c.email) = lower(?)", f.Email))
	}
	if f.Q != "" {
		pattern := "%" + likeEscaper.Replace(f.Q) + "%"
		q = q.Where(sq.Expr(`(c.name ILIKE ? OR EXISTS (SELECT 1 FROM players p WHERE p.tenant_id = c.tenant_id
			AND p.customer_id = c.id AND p.first_name || ' ' || p.last_name ILIKE ?))`, pattern, pattern))
	}
	if f.Cursor != "" {
		c, err := keyset.Decode(f.Cursor, f.digest())
		if err != nil {
			return Page{}, err
		}
		q = q.Where(sq.Expr("(c.created_at, c.id) < (?, ?)", c.CreatedAt, c.ID))
	}
	sqlText, args, err := q.ToSql()
	if err != nil {
		return Page{}, fmt.Errorf("build customer query: %w", err)
	}
	page := Page{Data: []Customer{}}
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sqlText, args...)
		if err != nil {
			return err
		}
		page.Data, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Customer, error) {
			var c Customer
			err := r.Scan(&c.ID, &c.Name, &c.Email, &c.CreatedAt, &c.Players)
			c.CreatedAt = c.CreatedAt.UTC()
			return c, err
		})
		return err
	})
	if err != nil {
		return Page{}, fmt.Errorf("list customers: %w", err)
	}
	if len(page.Data) > f.Limit {
		page.Data = page.Data[:f.Limit]
		last := page.Data[f.Limit-1]
		next := keyset.Encode(last.CreatedAt, last.ID, f.digest())
		page.NextCursor = &next
	}
	return page, nil
}

// AddPlayer adds a player to an existing household. The household row is
// locked while its players are counted, so concurrent additions cannot
// pass MaxPlayers.
func (s *Store) AddPlayer(ctx context.Context, tenantID, customerID uuid.UUID, in PlayerInput) (Player, error) {
	in.FirstName, in.LastName = strings.TrimSpace(in.FirstName), strings.TrimSpace(in.LastName)
	var fields []apperr.FieldError
	if in.FirstName == "" || len(in.FirstName) > 100 {
		fields = append(fields, apperr.FieldError{Field: "/first_name", Message: "must be 1 to 100 characters"})
	}
	if in.LastName == "" || len(in.LastName) > 100 {
		fields = append(fields, apperr.FieldError{Field: "/last_name", Message: "must be 1 to 100 characters"})
	}
	if in.ExternalRef != nil && len(*in.ExternalRef) > 200 {
		fields = append(fields, apperr.FieldError{Field: "/external_ref", Message: "must be at most 200 characters"})
	}
	if len(fields) > 0 {
		return Player{}, &apperr.Invalid{Detail: "the player is invalid", Fields: fields}
	}
	p := Player{ID: ids.New(), FirstName: in.FirstName, LastName: in.LastName, ExternalRef: in.ExternalRef}
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		// Lock first, count in the next statement: under READ COMMITTED a
		// statement sees what committed before it began, so the count
		// includes every player added by whoever held the lock before us.
		tag, err := tx.Exec(ctx, `SELECT 1 FROM customers WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, customerID)
		if err != nil {
			return fmt.Errorf("lock customer: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return apperr.ErrNotFound
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM players WHERE tenant_id = $1 AND customer_id = $2`,
			tenantID, customerID).Scan(&n); err != nil {
			return fmt.Errorf("count players: %w", err)
		}
		if n >= MaxPlayers {
			return &apperr.Invalid{Detail: "the household is full",
				Fields: apperr.Field("/", fmt.Sprintf("the household already has %d players, the most it may have", MaxPlayers))}
		}
		_, err = tx.Exec(ctx, `INSERT INTO players (tenant_id, id, customer_id, position, first_name, last_name, external_ref)
			VALUES ($1, $2, $3, (SELECT coalesce(max(position), -1) + 1 FROM players WHERE tenant_id = $1 AND customer_id = $3),
			$4, $5, $6)`, tenantID, p.ID, customerID, p.FirstName, p.LastName, p.ExternalRef)
		if err != nil {
			return fmt.Errorf("insert player: %w", err)
		}
		return nil
	})
	if err != nil {
		return Player{}, err
	}
	return p, nil
}

// Package customers stores households (the buyers) and their players, and
// the registration token a household buys with. Tokens are shown once and
// stored only as hashes; rotating one makes the old one stop working.
package customers

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/secrets"
)

// Customer is a household.
type Customer struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Players   []Player  `json:"players"`
	CreatedAt time.Time `json:"created_at"`
}

// PlayerName is the "first last" name of the household's player id, or "".
func (c Customer) PlayerName(id uuid.UUID) string {
	for _, p := range c.Players {
		if p.ID == id {
			return p.FirstName + " " + p.LastName
		}
	}
	return ""
}

// Player is a child of a household (or an adult player).
type Player struct {
	ID          uuid.UUID `json:"id"`
	FirstName   string    `json:"first_name"`
	LastName    string    `json:"last_name"`
	ExternalRef *string   `json:"external_ref"`
}

// Input is the body that creates a household.
type Input struct {
	Name    string        `json:"name"`
	Email   string        `json:"email"`
	Players []PlayerInput `json:"players"`
}

// PlayerInput is one player of Input.
type PlayerInput struct {
	FirstName   string  `json:"first_name"`
	LastName    string  `json:"last_name"`
	ExternalRef *string `json:"external_ref"`
}

// Created is a new household with its registration token, shown once.
type Created struct {
	Customer          Customer `json:"customer"`
	RegistrationToken string   `json:"registration_token"`
}

// Store reads and writes households.
type Store struct{ db *db.DB }

// NewStore returns a household store on d.
func NewStore(d *db.DB) *Store { return &Store{db: d} }

// MaxPlayers bounds a household's players.
const MaxPlayers = 20

func (in *Input) validate() []apperr.FieldError {
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.TrimSpace(in.Email)
	var f []apperr.FieldError
	if in.Name == "" || len(in.Name) > 200 {
		f = append(f, apperr.FieldError{Field: "/name", Message: "must be 1 to 200 characters"})
	}
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
		f = append(f, apperr.FieldError{Field: "/email", Message: "must be an email address"})
	}
	if len(in.Players) == 0 || len(in.Players) > MaxPlayers {
		f = append(f, apperr.FieldError{Field: "/players", Message: fmt.Sprintf("must list 1 to %d players", MaxPlayers)})
	}
	for i := range in.Players {
		p := &in.Players[i]
		p.FirstName, p.LastName = strings.TrimSpace(p.FirstName), strings.TrimSpace(p.LastName)
		if p.FirstName == "" || len(p.FirstName) > 100 {
			f = append(f, apperr.FieldError{Field: fmt.Sprintf("/players/%d/first_name", i), Message: "must be 1 to 100 characters"})
		}
		if p.LastName == "" || len(p.LastName) > 100 {
			f = append(f, apperr.FieldError{Field: fmt.Sprintf("/players/%d/last_name", i), Message: "must be 1 to 100 characters"})
		}
		if p.ExternalRef != nil && len(*p.ExternalRef) > 200 {
			f = append(f, apperr.FieldError{Field: fmt.Sprintf("/players/%d/external_ref", i), Message: "must be at most 200 characters"})
		}
	}
	return f
}

// Create stores a household and its players and returns its first token.
func (s *Store) Create(ctx context.Context, tenantID uuid.UUID, in Input) (Created, error) {
	if f := in.validate(); len(f) > 0 {
		return Created{}, &apperr.Invalid{Detail: "the customer is invalid", Fields: f}
	}
	token := NewToken()
	var c Customer
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		c, err = Insert(ctx, tx, tenantID, in, token)
		return err
	})
	if err != nil {
		return Created{}, err
	}
	return Created{Customer: c, RegistrationToken: token}, nil
}

// Insert writes a validated household inside tx. Exported for the importer
// and the demo seed, which create households within their own transactions.
func Insert(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, in Input, token string) (Customer, error) {
	c := Customer{ID: ids.New(), Name: in.Name, Email: in.Email}
	err := tx.QueryRow(ctx, `INSERT INTO customers (tenant_id, id, name, email, token_hash)
		VALUES ($1, $2, $3, $4, $5) RETURNING created_at`,
		tenantID, c.ID, c.Name, c.Email, secrets.Hash(token)).Scan(&c.CreatedAt)
	if err != nil {
		return Customer{}, fmt.Errorf("insert customer: %w", err)
	}
	c.CreatedAt = c.CreatedAt.UTC()
	// One statement for every player (COPY is not allowed under row-level security).
	n := len(in.Players)
	playerIDs, positions := make([]uuid.UUID, n), make([]int32, n)
	firsts, lasts, refs := make([]string, n), make([]string, n), make([]*string, n)
	for i, p := range in.Players {
		playerIDs[i], positions[i], firsts[i], lasts[i], refs[i] = ids.New(), int32(i), p.FirstName, p.LastName, p.ExternalRef
		c.Players = append(c.Players, Player{ID: playerIDs[i], FirstName: p.FirstName, LastName: p.LastName, ExternalRef: p.ExternalRef})
	}
	_, err = tx.Exec(ctx, `INSERT INTO players (tenant_id, id, customer_id, position, first_name, last_name, external_ref)
		SELECT $1, u.id, $2, u.position, u.first_name, u.last_name, u.external_ref
		FROM unnest($3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[]) AS u(id, position, first_name, last_name, external_ref)`,
		tenantID, c.ID, playerIDs, positions, firsts, lasts, refs)
	if err != nil {
		return Customer{}, fmt.Errorf("insert players: %w", err)
	}
	return c, nil
}

// NewToken makes a registration token.
func NewToken() string { return "rt_" + secrets.Random() }

// Get returns a household with its players, or apperr.ErrNotFound.
func (s *Store) Get(ctx context.Context, tenantID, id uuid.UUID) (Customer, error) {
	var c Customer
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		c, err = load(ctx, tx, tenantID, `id = $2`, id)
		return err
	})
	return c, err
}

// ByToken returns the household whose registration token is token, or
// apperr.ErrUnauthorized.
func (s *Store) ByToken(ctx context.Context, tenantID uuid.UUID, token string) (Customer, error) {
	if token == "" {
		return Customer{}, apperr.ErrUnauthorized
	}
	var c Customer
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		c, err = load(ctx, tx, tenantID, `token_hash = $2`, secrets.Hash(token))
		return err
	})
	if errors.Is(err, apperr.ErrNotFound) {
		return Customer{}, apperr.ErrUnauthorized
	}
	return c, err
}

// ByTokenTx is ByToken inside an existing tenant transaction.
func ByTokenTx(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, token string) (Customer, error) {
	if token == "" {
		return Customer{}, apperr.ErrUnauthorized
	}
	c, err := load(ctx, tx, tenantID, `token_hash = $2`, secrets.Hash(token))
	if errors.Is(err, apperr.ErrNotFound) {
		return Customer{}, apperr.ErrUnauthorized
	}
	return c, err
}

// load reads one customer matching where (with $1 the tenant and $2 arg)
// and its players, in one query.
func load(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, where string, arg any) (Customer, error) {
	q := `SELECT c.id, c.name, c.email, c.created_at,
		coalesce(json_agg(json_build_object('id', p.id, 'first_name', p.first_name,
			'last_name', p.last_name, 'external_ref', p.external_ref) ORDER BY p.position)
			FILTER (WHERE p.id IS NOT NULL), '[]')
		FROM customers c LEFT JOIN players p ON p.tenant_id = c.tenant_id AND p.customer_id = c.id
		WHERE c.tenant_id = $1 AND c.` + where + ` GROUP BY c.tenant_id, c.id`
	var c Customer
	err := tx.QueryRow(ctx, q, tenantID, arg).Scan(&c.ID, &c.Name, &c.Email, &c.CreatedAt, &c.Players)
	if errors.Is(err, pgx.ErrNoRows) {
		return Customer{}, apperr.ErrNotFound
	}
	if err != nil {
		return Customer{}, fmt.Errorf("read customer: %w", err)
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return c, nil
}

// RotateToken gives the household a new registration token; the old one
// stops working at once.
func (s *Store) RotateToken(ctx context.Context, tenantID, id uuid.UUID) (string, error) {
	token := NewToken()
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE customers SET token_hash = $3 WHERE tenant_id = $1 AND id = $2`,
			tenantID, id, secrets.Hash(token))
		if err != nil {
			return fmt.Errorf("rotate token: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return apperr.ErrNotFound
		}
		return nil
	})
	return token, err
}

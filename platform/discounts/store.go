package discounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/ids"
)

// Discount is a league's discount as the admin API shows it; fields that
// do not apply to its kind are null.
type Discount struct {
	ID                uuid.UUID  `json:"id"`
	Kind              string     `json:"kind"`
	Name              string     `json:"name"`
	Code              *string    `json:"code"`
	PercentOff        *int       `json:"percent_off"`
	AmountOffCents    *int64     `json:"amount_off_cents"`
	Tiers             []Tier     `json:"tiers"`
	AppliesTo         AppliesTo  `json:"applies_to"`
	StartsAt          *time.Time `json:"starts_at"`
	EndsAt            *time.Time `json:"ends_at"`
	MaxRedemptions    *int       `json:"max_redemptions"`
	PerHouseholdLimit *int       `json:"per_household_limit"`
	Active            bool       `json:"active"`
	Redemptions       int        `json:"redemptions"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// Input is the body that makes a discount.
type Input struct {
	Kind              string     `json:"kind"`
	Name              string     `json:"name"`
	Code              *string    `json:"code"`
	PercentOff        *int       `json:"percent_off"`
	AmountOffCents    *int64     `json:"amount_off_cents"`
	Tiers             []Tier     `json:"tiers"`
	AppliesTo         *AppliesTo `json:"applies_to"`
	StartsAt          *time.Time `json:"starts_at"`
	EndsAt            *time.Time `json:"ends_at"`
	MaxRedemptions    *int       `json:"max_redemptions"`
	PerHouseholdLimit *int       `json:"per_household_limit"`
	Active            *bool      `json:"active"`
}

// Patch is the body that changes a discount.
type Patch struct {
	Name           *string    `json:"name"`
	Active         *bool      `json:"active"`
	EndsAt         *time.Time `json:"ends_at"`
	MaxRedemptions *int       `json:"max_redemptions"`
}

// CodeRE is what a promotion code looks like (matched case-insensitively;
// stored upper-case).
var CodeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{2,31}$`)

// The bounds of a discount.
const (
	MaxTiers       = 10
	MaxAppliesTo   = 100
	MaxAmountCents = 100_000_000
)

// Catalog is what the store asks of the products a discount applies to.
type Catalog interface {
	// Exists reports which of ids are products of the tenant.
	Exists(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error)
	// KnownType reports whether a product type is registered.
	KnownType(name string) bool
}

// Store keeps the league's discounts.
type Store struct {
	db      *db.DB
	catalog Catalog
}

// NewStore returns the discount store.
func NewStore(d *db.DB, c Catalog) *Store { return &Store{db: d, catalog: c} }

var categoryRE = regexp.MustCompile(`^[a-z0-9-]{1,40}$`)

// check returns what is wrong with in.
func (s *Store) check(ctx context.Context, tenantID uuid.UUID, in *Input) ([]apperr.FieldError, error) {
	var f []apperr.FieldError
	add := func(field, msg string) { f = append(f, apperr.FieldError{Field: field, Message: msg}) }
	if n := len(strings.TrimSpace(in.Name)); n == 0 || len(in.Name) > 200 {
		add("/name", "must be 1 to 200 characters")
	}
	switch in.Kind {
	case KindSibling:
		for _, name := range []struct {
			field string
			set   bool
		}{{"/code", in.Code != nil}, {"/percent_off", in.PercentOff != nil}, {"/amount_off_cents", in.AmountOffCents != nil},
			{"/starts_at", in.StartsAt != nil}, {"/ends_at", in.EndsAt != nil}, {"/max_redemptions", in.MaxRedemptions != nil},
			{"/per_household_limit", in.PerHouseholdLimit != nil}} {
			if name.set {
				add(name.field, "does not apply to a sibling discount (its reductions are its tiers)")
			}
		}
		checkTiers(in.Tiers, add)
	case KindPromotion:
		if in.Tiers != nil {
			add("/tiers", "only a sibling discount has tiers")
		}
		if in.Code == nil {
			add("/code", "is required")
		} else if up := strings.ToUpper(*in.Code); !CodeRE.MatchString(up) {
			add("/code", "must match ^[A-Z0-9][A-Z0-9_-]{2,31}$ (letters are matched in any case)")
		} else {
			in.Code = &up
		}
		checkOff(Off{PercentOff: in.PercentOff, AmountOffCents: in.AmountOffCents}, "", add)
		if in.StartsAt != nil && in.EndsAt != nil && !in.EndsAt.After(*in.StartsAt) {
			add("/ends_at", "must be after starts_at")
		}
		if in.MaxRedemptions != nil && *in.MaxRedemptions < 1 {
			add("/max_redemptions", "must be at least 1")
		}
		if in.PerHouseholdLimit != nil && *in.PerHouseholdLimit < 1 {
			add("/per_household_limit", "must be at least 1")
		}
	default:
		add("/kind", `must be "sibling" or "promotion"`)
	}
	if in.AppliesTo != nil {
		more, err := s.checkAppliesTo(ctx, tenantID, *in.AppliesTo)
		if err != nil {
			return nil, err
		}
		f = append(f, more...)
	}
	return f, nil
}

func checkTiers(tiers []Tier, add func(field, msg string)) {
	if len(tiers) == 0 || len(tiers) > MaxTiers {
		add("/tiers", fmt.Sprintf("must have 1 to %d tiers", MaxTiers))
		return
	}
	seen := map[int]bool{}
	for i, t := range tiers {
		p := fmt.Sprintf("/tiers/%d", i)
		switch {
		case t.Nth < 1 || t.Nth > 20:
			add(p+"/nth", "must be 1 to 20 (the nth player counted in the household)")
		case seen[t.Nth]:
			add(p+"/nth", "is given twice")
		}
		seen[t.Nth] = true
		checkOff(t.Off, p, add)
	}
}

// checkOff checks that exactly one of percent_off and amount_off_cents is
// given, within bounds; prefix is where they are ("" or "/tiers/N").
func checkOff(o Off, prefix string, add func(field, msg string)) {
	switch {
	case o.PercentOff != nil && o.AmountOffCents != nil:
		add(prefix+"/amount_off_cents", "must not be given with percent_off: a discount takes a percentage or an amount")
	case o.PercentOff != nil:
		if *o.PercentOff < 1 || *o.PercentOff > 100 {
			add(prefix+"/percent_off", "must be 1 to 100")
		}
	case o.AmountOffCents != nil:
		if *o.AmountOffCents < 1 || *o.AmountOffCents > MaxAmountCents {
			add(prefix+"/amount_off_cents", fmt.Sprintf("must be 1 to %d", MaxAmountCents))
		}
	default:
		add(prefix+"/percent_off", "is required (or amount_off_cents)")
	}
}

func (s *Store) checkAppliesTo(ctx context.Context, tenantID uuid.UUID, a AppliesTo) ([]apperr.FieldError, error) {
	var f []apperr.FieldError
	if len(a.ProductIDs)+len(a.Categories)+len(a.Types) > MaxAppliesTo {
		return apperr.Field("/applies_to", fmt.Sprintf("must name at most %d products, categories and types", MaxAppliesTo)), nil
	}
	if len(a.ProductIDs) > 0 {
		found, err := s.catalog.Exists(ctx, tenantID, a.ProductIDs)
		if err != nil {
			return nil, err
		}
		for i, id := range a.ProductIDs {
			if !found[id] {
				f = append(f, apperr.FieldError{Field: fmt.Sprintf("/applies_to/product_ids/%d", i), Message: "is not a product of this league"})
			}
		}
	}
	for i, c := range a.Categories {
		if !categoryRE.MatchString(c) {
			f = append(f, apperr.FieldError{Field: fmt.Sprintf("/applies_to/categories/%d", i), Message: "must match ^[a-z0-9-]{1,40}$"})
		}
	}
	for i, t := range a.Types {
		if !s.catalog.KnownType(t) {
			f = append(f, apperr.FieldError{Field: fmt.Sprintf("/applies_to/types/%d", i), Message: "is not a registered product type"})
		}
	}
	return f, nil
}

const cols = `id, kind, name, code, percent_off, amount_off_cents, tiers, applies_to, starts_at, ends_at,
	max_redemptions, per_household_limit, active, redemptions, created_at, updated_at`

func scan(r pgx.Row) (Discount, error) {
	var d Discount
	var tiers, applies []byte
	err := r.Scan(&d.ID, &d.Kind, &d.Name, &d.Code, &d.PercentOff, &d.AmountOffCents, &tiers, &applies, &d.StartsAt,
		&d.EndsAt, &d.MaxRedemptions, &d.PerHouseholdLimit, &d.Active, &d.Redemptions, &d.CreatedAt, &d.UpdatedAt)
	if err != nil {
		return d, err
	}
	if tiers != nil {
		if err := json.Unmarshal(tiers, &d.Tiers); err != nil {
			return d, fmt.Errorf("decode tiers: %w", err)
		}
	}
	if err := json.Unmarshal(applies, &d.AppliesTo); err != nil {
		return d, fmt.Errorf("decode applies_to: %w", err)
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	for _, t := range []**time.Time{&d.StartsAt, &d.EndsAt} {
		if *t != nil {
			u := (**t).UTC()
			*t = &u
		}
	}
	return d, nil
}

// Create makes a discount; a promotion code the league already has is a
// Conflict.
func (s *Store) Create(ctx context.Context, tenantID uuid.UUID, in Input) (Discount, error) {
	fields, err := s.check(ctx, tenantID, &in)
	if err != nil {
		return Discount{}, err
	}
	if len(fields) > 0 {
		return Discount{}, &apperr.Invalid{Detail: "the discount is invalid", Fields: fields}
	}
	applies := AppliesTo{}
	if in.AppliesTo != nil {
		applies = *in.AppliesTo
	}
	appliesJSON, err := json.Marshal(applies)
	if err != nil {
		return Discount{}, err
	}
	var tiersJSON []byte
	if in.Tiers != nil {
		if tiersJSON, err = json.Marshal(in.Tiers); err != nil {
			return Discount{}, err
		}
	}
	active := in.Active == nil || *in.Active
	var d Discount
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		d, err = scan(tx.QueryRow(ctx, `INSERT INTO discounts (tenant_id, id, kind, name, code, percent_off, amount_off_cents,
				tiers, applies_to, starts_at, ends_at, max_redemptions, per_household_limit, active)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING `+cols,
			tenantID, ids.New(), in.Kind, strings.TrimSpace(in.Name), in.Code, in.PercentOff, in.AmountOffCents, tiersJSON,
			appliesJSON, in.StartsAt, in.EndsAt, in.MaxRedemptions, in.PerHouseholdLimit, active))
		return err
	})
	if db.IsUniqueViolation(err, "discounts_code") {
		return Discount{}, &apperr.Conflict{Detail: "the league already has a promotion with this code",
			Fields: apperr.Field("/code", "is taken")}
	}
	if err != nil {
		return Discount{}, fmt.Errorf("insert discount: %w", err)
	}
	return d, nil
}

// List returns the league's discounts, newest first.
func (s *Store) List(ctx context.Context, tenantID uuid.UUID) ([]Discount, error) {
	list := []Discount{}
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+cols+` FROM discounts WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, tenantID)
		if err != nil {
			return fmt.Errorf("list discounts: %w", err)
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Discount, error) { return scan(r) })
		list = append(list, got...)
		return err
	})
	return list, err
}

// Get returns one discount, or apperr.ErrNotFound.
func (s *Store) Get(ctx context.Context, tenantID, id uuid.UUID) (Discount, error) {
	var d Discount
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		d, err = scan(tx.QueryRow(ctx, `SELECT `+cols+` FROM discounts WHERE tenant_id = $1 AND id = $2`, tenantID, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.ErrNotFound
		}
		return err
	})
	return d, err
}

// Update changes a discount's name, activity, end and redemption bound.
// A bound below the redemptions already made is refused.
func (s *Store) Update(ctx context.Context, tenantID, id uuid.UUID, in Patch) (Discount, error) {
	var f []apperr.FieldError
	if in.Name != nil && (len(strings.TrimSpace(*in.Name)) == 0 || len(*in.Name) > 200) {
		f = append(f, apperr.FieldError{Field: "/name", Message: "must be 1 to 200 characters"})
	}
	if in.MaxRedemptions != nil && *in.MaxRedemptions < 1 {
		f = append(f, apperr.FieldError{Field: "/max_redemptions", Message: "must be at least 1"})
	}
	if len(f) > 0 {
		return Discount{}, &apperr.Invalid{Detail: "the discount change is invalid", Fields: f}
	}
	var d Discount
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		if d, err = scan(tx.QueryRow(ctx, `SELECT `+cols+` FROM discounts WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
			tenantID, id)); errors.Is(err, pgx.ErrNoRows) {
			return apperr.ErrNotFound
		} else if err != nil {
			return err
		}
		var f []apperr.FieldError
		if d.Kind == KindSibling && in.EndsAt != nil {
			f = append(f, apperr.FieldError{Field: "/ends_at", Message: "does not apply to a sibling discount"})
		}
		if d.Kind == KindSibling && in.MaxRedemptions != nil {
			f = append(f, apperr.FieldError{Field: "/max_redemptions", Message: "does not apply to a sibling discount"})
		}
		if in.EndsAt != nil && d.StartsAt != nil && !in.EndsAt.After(*d.StartsAt) {
			f = append(f, apperr.FieldError{Field: "/ends_at", Message: "must be after starts_at"})
		}
		if in.MaxRedemptions != nil && *in.MaxRedemptions < d.Redemptions {
			f = append(f, apperr.FieldError{Field: "/max_redemptions",
				Message: fmt.Sprintf("must be at least %d, the redemptions already made", d.Redemptions)})
		}
		if len(f) > 0 {
			return &apperr.Invalid{Detail: "the discount change is invalid", Fields: f}
		}
		name := d.Name
		if in.Name != nil {
			name = strings.TrimSpace(*in.Name)
		}
		d, err = scan(tx.QueryRow(ctx, `UPDATE discounts SET name = $3, active = coalesce($4, active),
				ends_at = coalesce($5, ends_at), max_redemptions = coalesce($6, max_redemptions), updated_at = now()
			WHERE tenant_id = $1 AND id = $2 RETURNING `+cols, tenantID, id, name, in.Active, in.EndsAt, in.MaxRedemptions))
		return err
	})
	return d, err
}

// Rule is what Price needs of d.
func (d Discount) Rule() Rule {
	r := Rule{ID: d.ID, Kind: d.Kind, AppliesTo: d.AppliesTo, Tiers: slices.Clone(d.Tiers),
		Off: Off{PercentOff: d.PercentOff, AmountOffCents: d.AmountOffCents}}
	if d.Code != nil {
		r.Code = *d.Code
	}
	return r
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/leaguepay/checkout/app"

	"github.com/spf13/cobra"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/discounts"
	"github.com/leaguepay/checkout/tenants"
)

// The demo league's fixed names; seeding finds them before creating them,
// so running the seed again changes nothing.
const (
	demoSlug  = "demo-league"
	demoEmail = "rivera.family@example.com"
)

var demoProducts = []catalog.Input{
	{Type: "jersey", Name: "Home jersey 2026", Description: ptr("Blue home kit with your number"), PriceCents: ptr[int64](4500),
		Config: json.RawMessage(`{"top_sizes":["YS","YM","YL","AS","AM","AL"],"bottom_sizes":["YS","YM","YL","AS","AM","AL"],"number_min":0,"number_max":99,"number_required":true,"number_scope":"demo-2026","name_on_back":true}`)},
	{Type: "jersey", Name: "Away jersey 2026", Description: ptr("White away kit; same number as the home jersey"), PriceCents: ptr[int64](4000),
		Config: json.RawMessage(`{"top_sizes":["YS","YM","YL","AS","AM","AL"],"bottom_sizes":["YS","YM","YL","AS","AM","AL"],"number_min":0,"number_max":99,"number_required":true,"number_scope":"demo-2026"}`)},
	{Type: "jersey", Name: "Jersey opt-out 2026", Description: ptr("We already have a jersey from last season"), PriceCents: ptr[int64](0),
		Config: json.RawMessage(`{"opt_out":true}`)},
	{Type: "contract", Name: "Player contract 2026", Description: ptr("Season agreement, signed by a parent or guardian"), PriceCents: ptr[int64](0),
		Config: json.RawMessage(`{"season":"2026","terms_version":"2026.1","terms_text":"The player agrees to the league's code of conduct for the 2026 season.","signer_relationships":["parent","guardian"]}`)},
}

func ptr[T any](v T) *T { return &v }

// demoPromoCode is the demo league's promotion code.
const demoPromoCode = "WELCOME5"

// demoDiscounts are the demo league's discounts: a sibling tier on
// uniforms (10 % off the second player's, 15 % from the third) and a
// promotion code ($5 off a checkout).
var demoDiscounts = []discounts.Input{
	{Kind: discounts.KindSibling, Name: "Sibling discount on uniforms",
		AppliesTo: &discounts.AppliesTo{Categories: []string{"uniforms"}},
		Tiers:     []discounts.Tier{{Nth: 2, Off: discounts.Off{PercentOff: ptr(10)}}, {Nth: 3, Off: discounts.Off{PercentOff: ptr(15)}}}},
	{Kind: discounts.KindPromotion, Name: "Welcome: $5 off", Code: ptr(demoPromoCode), AmountOffCents: ptr[int64](500)},
}

// demo is what the seed made or found.
type demo struct {
	Tenant            tenants.Tenant     `json:"tenant"`
	Products          []catalog.Product  `json:"products"`
	Household         customers.Customer `json:"household"`
	RegistrationToken string             `json:"registration_token,omitempty"`
}

func seedCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "seed", Short: "Seed data"}
	cmd.AddCommand(&cobra.Command{
		Use:   "demo",
		Short: "Create the demo league (idempotent): jerseys incl. a $0 opt-out, a contract, one household",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withServices(cmd, func(s *app.App, _ config.Config) error {
				d, err := seedDemo(cmd.Context(), s, nil)
				if err != nil {
					return err
				}
				return printJSON(cmd, d)
			})
		},
	})
	return cmd
}

// seedDemo creates whatever part of the demo league is missing. The
// household's token is returned only when the household is created.
func seedDemo(ctx context.Context, s *app.App, origins []string) (demo, error) {
	var d demo
	t, err := s.Tenants.BySlug(ctx, demoSlug)
	if errors.Is(err, apperr.ErrNotFound) {
		if origins == nil {
			origins = []string{"http://localhost:8080"}
		}
		t, err = s.Tenants.Create(ctx, tenants.NewTenant{Slug: demoSlug, Name: "Demo League", AllowedRedirectOrigins: &origins})
	}
	if err != nil {
		return d, fmt.Errorf("demo tenant: %w", err)
	}
	d.Tenant = t
	existing, err := s.Catalog.List(ctx, t.ID, catalog.Filter{})
	if err != nil {
		return d, err
	}
	byName := map[string]catalog.Product{}
	for _, p := range existing {
		byName[p.Name] = p
	}
	for _, in := range demoProducts {
		p, ok := byName[in.Name]
		if !ok {
			if p, err = s.Catalog.Create(ctx, t.ID, t.Currency, in); err != nil {
				return d, fmt.Errorf("demo product %q: %w", in.Name, err)
			}
		}
		d.Products = append(d.Products, p)
	}
	have, err := s.Discounts.List(ctx, t.ID)
	if err != nil {
		return d, err
	}
	for _, in := range demoDiscounts {
		if !slices.ContainsFunc(have, func(x discounts.Discount) bool { return x.Name == in.Name }) {
			if _, err := s.Discounts.Create(ctx, t.ID, in); err != nil {
				return d, fmt.Errorf("demo discount %q: %w", in.Name, err)
			}
		}
	}
	d.Household, err = s.Customers.FindByEmail(ctx, t.ID, demoEmail)
	if errors.Is(err, apperr.ErrNotFound) {
		var created customers.Created
		created, err = s.Customers.Create(ctx, t.ID, customers.Input{Name: "Rivera family", Email: demoEmail,
			Players: []customers.PlayerInput{{FirstName: "Maya", LastName: "Rivera"}, {FirstName: "Leo", LastName: "Rivera"}}})
		d.Household, d.RegistrationToken = created.Customer, created.RegistrationToken
	}
	if err != nil {
		return d, fmt.Errorf("demo household: %w", err)
	}
	return d, nil
}

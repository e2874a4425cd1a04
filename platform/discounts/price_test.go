package discounts_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"github.com/leaguepay/checkout/platform/discounts"
)

func pct(n int) discounts.Off                        { return discounts.Off{PercentOff: &n} }
func amount(c int64) discounts.Off                   { return discounts.Off{AmountOffCents: &c} }
func tier(nth int, off discounts.Off) discounts.Tier { return discounts.Tier{Nth: nth, Off: off} }

var (
	kit       = uuid.MustParse("0190f1d4-0000-7000-8000-000000000001")
	jersey    = uuid.MustParse("0190f1d4-0000-7000-8000-000000000002")
	ann, ben  = uuid.MustParse("0190f1d4-0000-7000-8000-0000000000a1"), uuid.MustParse("0190f1d4-0000-7000-8000-0000000000b1")
	cat, dora = uuid.MustParse("0190f1d4-0000-7000-8000-0000000000c1"), uuid.MustParse("0190f1d4-0000-7000-8000-0000000000d1")
)

func line(product uuid.UUID, player uuid.UUID, price int64) discounts.Line {
	category := "registration"
	if product == jersey {
		category = "uniforms"
	}
	return discounts.Line{ProductID: product, Category: category, Type: "jersey", PlayerID: player, PriceCents: price}
}

func TestPrice(t *testing.T) {
	sibling := discounts.Rule{ID: uuid.New(), Kind: discounts.KindSibling,
		AppliesTo: discounts.AppliesTo{Categories: []string{"registration"}},
		Tiers:     []discounts.Tier{tier(2, pct(10)), tier(3, pct(20))}}
	cases := []struct {
		name         string
		lines        []discounts.Line
		earlier      []discounts.Earlier
		siblings     []discounts.Rule
		promo        *discounts.Rule
		wantDiscount []int64
	}{
		{name: "no discount: the amounts are the prices",
			lines:        []discounts.Line{line(kit, ann, 10000), line(jersey, ann, 4500)},
			wantDiscount: []int64{0, 0}},
		{name: "the 2nd and 3rd players of a household get their tiers, counted by price, highest first",
			lines:        []discounts.Line{line(kit, ann, 10000), line(kit, ben, 12000), line(kit, cat, 10000), line(jersey, ben, 4500)},
			siblings:     []discounts.Rule{sibling},
			wantDiscount: []int64{1000, 0, 2000, 0}}, // ben 1st (12000), ann 2nd, cat 3rd; the jersey does not match
		{name: "an earlier live order counts its player first",
			lines:        []discounts.Line{line(kit, ben, 10000)},
			earlier:      []discounts.Earlier{{ProductID: kit, Category: "registration", Type: "jersey", PlayerID: ann}},
			siblings:     []discounts.Rule{sibling},
			wantDiscount: []int64{1000}},
		{name: "a 4th player keeps the highest tier",
			lines:        []discounts.Line{line(kit, ann, 100), line(kit, ben, 100), line(kit, cat, 100), line(kit, dora, 100)},
			siblings:     []discounts.Rule{sibling},
			wantDiscount: []int64{0, 10, 20, 20}},
		{name: "a percentage rounds down to the cent, per line",
			lines:        []discounts.Line{line(kit, ann, 999), line(kit, ben, 999)},
			promo:        &discounts.Rule{ID: uuid.New(), Kind: discounts.KindPromotion, Code: "SAVE15", Off: pct(15)},
			wantDiscount: []int64{149, 149}},
		{name: "a promotion applies to what the sibling tier left",
			lines:        []discounts.Line{line(kit, ann, 10000), line(kit, ben, 10000)},
			siblings:     []discounts.Rule{sibling},
			promo:        &discounts.Rule{ID: uuid.New(), Kind: discounts.KindPromotion, Code: "HALF", Off: pct(50)},
			wantDiscount: []int64{5000, 5500}}, // ben: 10 % then 50 % of 9000
		{name: "an amount larger than a line empties the highest-priced line first, then the next",
			lines:        []discounts.Line{line(jersey, ann, 4500), line(kit, ann, 10000), line(kit, ben, 10000)},
			promo:        &discounts.Rule{ID: uuid.New(), Kind: discounts.KindPromotion, Code: "BIG", Off: amount(12500)},
			wantDiscount: []int64{0, 10000, 2500}},
		{name: "an amount larger than the whole checkout makes it free, not negative",
			lines:        []discounts.Line{line(kit, ann, 1000), line(jersey, ann, 500)},
			promo:        &discounts.Rule{ID: uuid.New(), Kind: discounts.KindPromotion, Code: "ALL", Off: amount(99999)},
			wantDiscount: []int64{1000, 500}},
		{name: "100 % is free",
			lines:        []discounts.Line{line(kit, ann, 1000)},
			promo:        &discounts.Rule{ID: uuid.New(), Kind: discounts.KindPromotion, Code: "FREE", Off: pct(100)},
			wantDiscount: []int64{1000}},
		{name: "two sibling discounts never stack: a line takes the larger",
			lines: []discounts.Line{line(kit, ann, 1000), line(kit, ben, 1000)},
			siblings: []discounts.Rule{sibling, {ID: uuid.New(), Kind: discounts.KindSibling,
				Tiers: []discounts.Tier{tier(2, amount(300))}}},
			wantDiscount: []int64{0, 300}},
		{name: "a promotion matching some products only reduces those",
			lines: []discounts.Line{line(kit, ann, 1000), line(jersey, ann, 1000)},
			promo: &discounts.Rule{ID: uuid.New(), Kind: discounts.KindPromotion, Code: "KIT",
				AppliesTo: discounts.AppliesTo{ProductIDs: []uuid.UUID{jersey}}, Off: pct(10)},
			wantDiscount: []int64{0, 100}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := discounts.Price(c.lines, c.earlier, c.siblings, c.promo)
			if !slices.Equal(p.Discount, c.wantDiscount) {
				t.Errorf("line discounts %v, want %v", p.Discount, c.wantDiscount)
			}
			checkInvariants(t, c.lines, p)
		})
	}
}

// checkInvariants holds for every checkout: lines add up to the totals, no
// line is below 0 or discounted beyond its price, every applied discount's
// share adds up, and nothing is discounted that no rule reduced.
func checkInvariants(t interface {
	Helper()
	Errorf(string, ...any)
}, lines []discounts.Line, p discounts.Priced) {
	t.Helper()
	var sub, disc, amt int64
	for i, l := range lines {
		if p.Discount[i] < 0 || p.Amount[i] < 0 || p.Discount[i]+p.Amount[i] != l.PriceCents {
			t.Errorf("line %d: price %d, discount %d, amount %d", i, l.PriceCents, p.Discount[i], p.Amount[i])
		}
		sub, disc, amt = sub+l.PriceCents, disc+p.Discount[i], amt+p.Amount[i]
	}
	if sub != p.SubtotalCents || disc != p.DiscountCents || amt != p.AmountCents || sub-disc != amt {
		t.Errorf("totals %d - %d = %d, lines %d - %d = %d", p.SubtotalCents, p.DiscountCents, p.AmountCents, sub, disc, amt)
	}
	var applied int64
	for _, a := range p.Discounts {
		if a.AmountCents <= 0 || len(a.Lines) == 0 {
			t.Errorf("an applied discount that takes nothing: %+v", a)
		}
		applied += a.AmountCents
	}
	if applied != p.DiscountCents {
		t.Errorf("applied discounts add up to %d, the checkout's discount is %d", applied, p.DiscountCents)
	}
}

// TestPriceProperties: for random carts, earlier orders and rules, the
// invariants hold, pricing is deterministic (a preview equals the checkout
// placed after it), and a promotion never takes more than what the sibling
// tiers left.
func TestPriceProperties(t *testing.T) {
	products := []uuid.UUID{kit, jersey, uuid.MustParse("0190f1d4-0000-7000-8000-000000000003")}
	players := []uuid.UUID{ann, ben, cat, dora}
	genOff := rapid.Custom(func(t *rapid.T) discounts.Off {
		if rapid.Bool().Draw(t, "percent") {
			return pct(rapid.IntRange(1, 100).Draw(t, "percent_off"))
		}
		return amount(rapid.Int64Range(1, 50000).Draw(t, "amount_off_cents"))
	})
	genApplies := rapid.Custom(func(t *rapid.T) discounts.AppliesTo {
		var a discounts.AppliesTo
		if rapid.Bool().Draw(t, "narrow") {
			a.ProductIDs = []uuid.UUID{rapid.SampledFrom(products).Draw(t, "product")}
		}
		return a
	})
	rapid.Check(t, func(t *rapid.T) {
		lines := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) discounts.Line {
			return line(rapid.SampledFrom(products).Draw(t, "product"), rapid.SampledFrom(players).Draw(t, "player"),
				rapid.Int64Range(0, 100000).Draw(t, "price"))
		}), 1, 20).Draw(t, "lines")
		earlier := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) discounts.Earlier {
			return discounts.Earlier{ProductID: rapid.SampledFrom(products).Draw(t, "product"),
				PlayerID: rapid.SampledFrom(players).Draw(t, "player")}
		}), 0, 4).Draw(t, "earlier")
		siblings := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) discounts.Rule {
			tiers := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) discounts.Tier {
				return tier(rapid.IntRange(1, 5).Draw(t, "nth"), genOff.Draw(t, "off"))
			}), 1, 3).Draw(t, "tiers")
			return discounts.Rule{ID: uuid.New(), Kind: discounts.KindSibling, AppliesTo: genApplies.Draw(t, "applies"), Tiers: tiers}
		}), 0, 2).Draw(t, "siblings")
		var promo *discounts.Rule
		if rapid.Bool().Draw(t, "has_promo") {
			promo = &discounts.Rule{ID: uuid.New(), Kind: discounts.KindPromotion, Code: "CODE",
				AppliesTo: genApplies.Draw(t, "promo_applies"), Off: genOff.Draw(t, "promo_off")}
		}

		p := discounts.Price(lines, earlier, siblings, promo)
		checkInvariants(t, lines, p)
		again := discounts.Price(lines, earlier, siblings, promo)
		if !slices.Equal(again.Discount, p.Discount) || again.AmountCents != p.AmountCents {
			t.Errorf("the same checkout priced twice differs: %v then %v", p.Discount, again.Discount)
		}
		tiersOnly := discounts.Price(lines, earlier, siblings, nil)
		for i := range lines {
			if p.Discount[i] < tiersOnly.Discount[i] {
				t.Errorf("line %d: a promotion lowered the sibling discount (%d < %d)", i, p.Discount[i], tiersOnly.Discount[i])
			}
		}
		if promo != nil && promo.AmountOffCents != nil && p.DiscountCents-tiersOnly.DiscountCents > *promo.AmountOffCents {
			t.Errorf("a promotion of %d took %d", *promo.AmountOffCents, p.DiscountCents-tiersOnly.DiscountCents)
		}
	})
}

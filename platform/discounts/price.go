// Package discounts owns the league's discounts — sibling tiers and
// promotion codes — and computes, in one place and in integer cents, what a
// household checkout costs: every line's price, its discount and its amount,
// and the checkout's totals, which are the lines' sums (API.md, "Household
// checkouts" and "Discounts").
//
// Price is pure: it reads nothing and writes nothing, so a preview and the
// checkout placed right after it compute the same money from the same
// inputs.
package discounts

import (
	"slices"

	"github.com/google/uuid"
)

// Kinds of discount.
const (
	KindSibling   = "sibling"
	KindPromotion = "promotion"
)

// AppliesTo narrows a discount to products; an empty one matches every
// product. A product matches when it is named, or its category or type is.
type AppliesTo struct {
	ProductIDs []uuid.UUID `json:"product_ids,omitempty"`
	Categories []string    `json:"categories,omitempty"`
	Types      []string    `json:"types,omitempty"`
}

// Matches reports whether a product is one the discount applies to.
func (a AppliesTo) Matches(productID uuid.UUID, category, typ string) bool {
	if len(a.ProductIDs) == 0 && len(a.Categories) == 0 && len(a.Types) == 0 {
		return true
	}
	return slices.Contains(a.ProductIDs, productID) || slices.Contains(a.Categories, category) ||
		slices.Contains(a.Types, typ)
}

// Off is one reduction: PercentOff (1..100) or AmountOffCents (> 0).
type Off struct {
	PercentOff     *int   `json:"percent_off,omitempty"`
	AmountOffCents *int64 `json:"amount_off_cents,omitempty"`
}

// Tier is a sibling discount's reduction for the Nth counted player and
// every later one, until a tier with a higher Nth.
type Tier struct {
	Nth int `json:"nth"`
	Off
}

// Rule is what Price needs of a discount.
type Rule struct {
	ID        uuid.UUID
	Kind      string
	Code      string // promotions
	AppliesTo AppliesTo
	Tiers     []Tier // sibling discounts
	Off              // promotions
}

// Line is one item of a checkout, in the request's order.
type Line struct {
	ProductID  uuid.UUID
	Category   string
	Type       string
	PlayerID   uuid.UUID
	PriceCents int64
}

// Earlier is a live order the household placed before this checkout, for
// sibling counting.
type Earlier struct {
	ProductID uuid.UUID
	Category  string
	Type      string
	PlayerID  uuid.UUID
}

// Applied is one discount's share of a checkout.
type Applied struct {
	Kind        string
	DiscountID  uuid.UUID
	Code        string
	AmountCents int64
	Lines       []int // the indexes of the lines it reduced
}

// Priced is a checkout's money.
type Priced struct {
	// Discount and Amount per line, in the lines' order; Amount is the
	// line's price less its discount, never below 0.
	Discount []int64
	Amount   []int64
	// The checkout's totals: the sums of its lines.
	SubtotalCents, DiscountCents, AmountCents int64
	Discounts                                 []Applied
}

// Price computes a checkout: sibling tiers first, then the promotion code
// (nil: none) on what remains.
//
// Sibling counting: per sibling discount, the household's players are
// counted 1st, 2nd, 3rd… — first those with an earlier live order of a
// matching product (earlier is oldest first), then those buying a matching
// product in this checkout, by their highest matching line price (highest
// first; equal prices in request order). Each matching line of the nth
// player gets the tier with the highest Nth ≤ n. A line takes at most one
// sibling discount, the one that takes the most off it (the first in
// siblings on a tie), so two sibling discounts never stack.
//
// Rounding and allocation: a percentage takes floor(price × percent / 100)
// of each line it applies to; an amount is taken from the matching lines
// by price, highest first (equal prices in request order), each line down
// to 0 before the next is touched, so it never exceeds what the lines have
// left.
func Price(lines []Line, earlier []Earlier, siblings []Rule, promo *Rule) Priced {
	p := Priced{Discount: make([]int64, len(lines)), Amount: make([]int64, len(lines))}
	for i, l := range lines {
		p.SubtotalCents += l.PriceCents
		p.Amount[i] = l.PriceCents
	}
	// Sibling tiers: each line's best offer among the sibling discounts.
	best := make([]int64, len(lines))
	bestRule := make([]int, len(lines))
	for i := range bestRule {
		bestRule[i] = -1
	}
	for r, rule := range siblings {
		for i, off := range siblingOffs(lines, earlier, rule) {
			if off > best[i] {
				best[i], bestRule[i] = off, r
			}
		}
	}
	for r, rule := range siblings {
		a := Applied{Kind: KindSibling, DiscountID: rule.ID}
		for i := range lines {
			if bestRule[i] == r {
				a.AmountCents += best[i]
				a.Lines = append(a.Lines, i)
				p.take(i, best[i])
			}
		}
		if a.AmountCents > 0 {
			p.Discounts = append(p.Discounts, a)
		}
	}
	if promo != nil {
		a := Applied{Kind: KindPromotion, DiscountID: promo.ID, Code: promo.Code}
		var matching []int
		for i, l := range lines {
			if promo.AppliesTo.Matches(l.ProductID, l.Category, l.Type) {
				matching = append(matching, i)
			}
		}
		for i, off := range p.offs(lines, matching, promo.Off) {
			if off > 0 {
				a.AmountCents += off
				a.Lines = append(a.Lines, i)
				p.take(i, off)
			}
		}
		slices.Sort(a.Lines)
		if a.AmountCents > 0 {
			p.Discounts = append(p.Discounts, a)
		}
	}
	for i := range lines {
		p.DiscountCents += p.Discount[i]
		p.AmountCents += p.Amount[i]
	}
	return p
}

// take moves off (never more than the line has left) from line i's amount
// to its discount.
func (p *Priced) take(i int, off int64) {
	off = min(off, p.Amount[i])
	p.Discount[i] += off
	p.Amount[i] -= off
}

// offs is how much off would take from each of the lines at indexes, given
// what they have left: a percentage per line, or an amount allocated by
// price (highest first, equal prices in request order).
func (p *Priced) offs(lines []Line, indexes []int, off Off) map[int]int64 {
	out := map[int]int64{}
	switch {
	case off.PercentOff != nil:
		for _, i := range indexes {
			out[i] = p.Amount[i] * int64(*off.PercentOff) / 100
		}
	case off.AmountOffCents != nil:
		rest := *off.AmountOffCents
		for _, i := range byPrice(lines, indexes) {
			take := min(rest, p.Amount[i])
			out[i], rest = take, rest-take
		}
	}
	return out
}

// siblingOffs is what one sibling discount would take off each line it
// applies to (a line's full price is its base: tiers come first).
func siblingOffs(lines []Line, earlier []Earlier, rule Rule) map[int]int64 {
	rank := map[uuid.UUID]int{}
	for _, e := range earlier {
		if _, seen := rank[e.PlayerID]; !seen && rule.AppliesTo.Matches(e.ProductID, e.Category, e.Type) {
			rank[e.PlayerID] = len(rank) + 1
		}
	}
	var matching []int
	for i, l := range lines {
		if rule.AppliesTo.Matches(l.ProductID, l.Category, l.Type) {
			matching = append(matching, i)
		}
	}
	for _, i := range byPrice(lines, matching) {
		if _, seen := rank[lines[i].PlayerID]; !seen {
			rank[lines[i].PlayerID] = len(rank) + 1
		}
	}
	out := map[int]int64{}
	for _, i := range matching {
		tier, ok := tierFor(rule.Tiers, rank[lines[i].PlayerID])
		if !ok {
			continue
		}
		price := lines[i].PriceCents
		switch {
		case tier.PercentOff != nil:
			out[i] = price * int64(*tier.PercentOff) / 100
		case tier.AmountOffCents != nil:
			out[i] = min(*tier.AmountOffCents, price)
		}
	}
	return out
}

// tierFor is the tier with the highest Nth ≤ n.
func tierFor(tiers []Tier, n int) (Tier, bool) {
	var best Tier
	found := false
	for _, t := range tiers {
		if t.Nth <= n && (!found || t.Nth > best.Nth) {
			best, found = t, true
		}
	}
	return best, found
}

// byPrice orders the line indexes by price, highest first; equal prices
// keep the request's order.
func byPrice(lines []Line, indexes []int) []int {
	sorted := slices.Clone(indexes)
	slices.SortStableFunc(sorted, func(a, b int) int {
		switch pa, pb := lines[a].PriceCents, lines[b].PriceCents; {
		case pa > pb:
			return -1
		case pa < pb:
			return 1
		}
		return 0
	})
	return sorted
}

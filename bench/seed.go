package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// The seeded data is generated, never stored: a league's generator is a
// pure function of (run seed, league), so each COPY pass (customers, then
// players, then orders, …) walks the same households again and emits its
// own table's rows. Memory stays flat whatever the size.

// household is one family with its players and their order history.
type household struct {
	l         *league
	id        uuid.UUID
	created   time.Time
	tokenHash []byte
	first     string // the parent's first name
	last      string
	emailN    int
	players   []player
	orders    []order
	// stripeCustomer is its Stripe customer when it ever paid ("" if not).
	stripeCustomer   string
	stripeCustomerAt time.Time
}

type player struct {
	id    uuid.UUID
	first string
	ref   string // external_ref, "" for none
}

// Product kinds (the league's four products).
const (
	kindHome = iota
	kindOptOut
	kindKit
	kindContract
	kindAbandoned // a home jersey checkout left to expire (a retry follows)
)

type order struct {
	id               uuid.UUID
	player           int
	kind             int
	status           string
	created, updated time.Time
	paidAt           time.Time // zero: not paid
	expires          time.Time // the Checkout Session's expiry (priced orders)
	amount, refunded int64
	top, bottom      string
	number           int  // jersey number, -1 for none
	claim            bool // holds a claim (live numbered jersey, live contract)
	nameOnBack       bool
	reason           bool
	signer           string
	events           []event
}

type event struct {
	id               uuid.UUID
	at               time.Time
	actor, from, to  string
	detail           string
	stripeEvent      string // the Stripe event id when Stripe caused it
	stripeEventType  string
	recordedByServer bool // its webhook event id is still kept (90 days)
}

// source yields households in roughly increasing created time.
type source interface {
	next() (*household, bool)
}

var (
	firstNames = []string{"Emma", "Liam", "Olivia", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Isabella", "Lucas",
		"Mia", "Mateo", "Amelia", "Levi", "Harper", "Ezra", "Evelyn", "Leo", "Aria", "Kai", "Chloe", "Jayden", "Zoe",
		"Hiro", "Priya", "Aarav", "Fatima", "Omar", "Mei", "Sven", "Ingrid", "José", "Lucía", "Chidi", "Amara",
		"Dmitri", "Anya", "Siobhán", "Niamh", "Kwame", "Yuki", "Rafael", "Camila", "Noa", "Elif", "Tomás"}
	lastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
		"Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
		"Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
		"Nguyen", "Kim", "Patel", "O'Brien", "Müller", "Kowalski", "Haddad", "Okafor", "Tanaka", "Silva", "Rossi",
		"Dubois", "Novak", "Jensen", "Ivanova", "Murphy", "Chen", "Singh", "St. James", "Smith-Jones"}
	emailDomains = []string{"example.com", "example.org", "example.net", "mail.example", "family.example"}
)

// bgGen generates a league's background households until it has made
// l.orders orders, their times spread over the past 400 days.
type bgGen struct {
	l          *league
	rng        *rand.Rand
	start, end time.Time
	now        time.Time
	produced   int
	numbers    int // jersey numbers 0..99 handed to live home jerseys so far
	n          int
}

func newBgGen(seed uint64, l *league, now time.Time) *bgGen {
	return &bgGen{l: l, rng: rand.New(rand.NewPCG(seed, uint64(l.idx)+1)), now: now,
		start: now.Add(-400 * 24 * time.Hour), end: now.Add(-48 * time.Hour)}
}

func (g *bgGen) next() (*household, bool) {
	if g.produced >= g.l.orders {
		return nil, false
	}
	r := g.rng
	span := float64(g.end.Sub(g.start))
	at := g.start.Add(time.Duration(span * (float64(g.produced) + 3*r.Float64()) / float64(g.l.orders)))
	h := &household{l: g.l, created: at, first: pick(r, firstNames), last: pick(r, lastNames), emailN: g.n % 1000}
	g.n++
	h.id = uuidAt(at, r)
	h.tokenHash = randomHash(r)
	players := 1
	if p := r.Float64(); p > 0.9 {
		players = 3
	} else if p > 0.55 {
		players = 2
	}
	for range players {
		pl := player{id: uuidAt(at, r), first: pick(r, firstNames)}
		if r.Float64() < 0.4 {
			pl.ref = "REG-" + strconv.Itoa(100000+r.IntN(900000))
		}
		h.players = append(h.players, pl)
	}
	t := at.Add(time.Minute + time.Duration(r.Int64N(int64(2*time.Hour))))
	for p := range h.players {
		for _, kind := range g.wants(r) {
			if g.produced >= g.l.orders {
				break
			}
			t = minTime(t.Add(time.Duration(r.Int64N(int64(72*time.Hour)))), g.end)
			g.addOrder(h, p, kind, t, r)
		}
	}
	return h, true
}

// wants is what one player buys: a contract, a jersey (or its opt-out),
// sometimes a practice kit; a jersey is now and then preceded by an
// abandoned (expired) attempt.
func (g *bgGen) wants(r *rand.Rand) []int {
	var out []int
	if r.Float64() < 0.97 {
		out = append(out, kindContract)
	}
	switch j := r.Float64(); {
	case j < 0.05:
		out = append(out, kindAbandoned, kindHome)
	case j < 0.85:
		out = append(out, kindHome)
	case j < 0.97:
		out = append(out, kindOptOut)
	}
	if r.Float64() < 0.35 {
		out = append(out, kindKit)
	}
	return out
}

func (g *bgGen) addOrder(h *household, p, kind int, t time.Time, r *rand.Rand) {
	abandoned := kind == kindAbandoned
	if abandoned {
		kind = kindHome
	}
	o := order{id: uuidAt(t, r), player: p, kind: kind, created: t, number: -1}
	switch kind {
	case kindHome, kindKit:
		o.amount = 2500
		if kind == kindHome {
			o.amount = 4500
		}
		o.top, o.bottom = pick(r, bottomSizes), pick(r, bottomSizes)
		if kind == kindHome {
			o.top = pick(r, topSizes)
			o.nameOnBack = r.Float64() < 0.3
		}
		g.priced(&o, h, abandoned, r)
	case kindOptOut:
		o.reason = r.Float64() < 0.3
		g.free(&o, r)
	case kindContract:
		o.signer = h.first + " " + h.last
		g.free(&o, r)
		o.claim = o.status == "paid"
	}
	if kind == kindHome {
		live := o.status == "paid" || o.status == "partially_refunded"
		switch {
		case live && g.numbers < 100 && r.Float64() < 0.5:
			o.number, o.claim = g.numbers, true
			g.numbers++
		case !live && r.Float64() < 0.5:
			o.number = r.IntN(100)
		}
	}
	o.updated = o.events[len(o.events)-1].at
	h.orders = append(h.orders, o)
	g.produced++
}

// priced settles a priced order as Stripe and staff would have: most are
// paid, some expired, failed or refunded; an abandoned one expires.
func (g *bgGen) priced(o *order, h *household, abandoned bool, r *rand.Rand) {
	o.expires = o.created.Add(time.Hour)
	g.event(o, o.created, "buyer", "", "pending", "checkout started", r)
	status := "paid"
	switch s := r.Float64(); {
	case abandoned:
		status = "expired"
	case s < 0.90:
	case s < 0.92:
		status = "refunded"
	case s < 0.94:
		status = "partially_refunded"
	case s < 0.97:
		status = "expired"
	default:
		status = "failed"
	}
	if o.kind == kindKit && status != "paid" && status != "expired" {
		status = "paid"
	}
	switch status {
	case "expired":
		g.stripe(o, o.expires, "pending", "expired", "checkout.session.expired", r)
	case "failed":
		g.stripe(o, o.created.Add(time.Duration(1+r.IntN(30))*time.Minute), "pending", "failed",
			"checkout.session.async_payment_failed", r)
	default:
		o.paidAt = o.created.Add(time.Duration(30+r.IntN(900)) * time.Second)
		g.stripe(o, o.paidAt, "pending", "paid", "checkout.session.completed", r)
		if h.stripeCustomer == "" {
			h.stripeCustomer, h.stripeCustomerAt = "cus_"+hex.EncodeToString(h.id[9:]), o.created
		}
	}
	refundAt := minTime(o.paidAt.Add(time.Duration(1+r.IntN(30*24))*time.Hour), g.end)
	switch status {
	case "refunded":
		o.refunded = o.amount
		g.event(o, refundAt, "staff:admin", "paid", "refunded", "refunded "+strconv.FormatInt(o.amount, 10)+" usd", r)
	case "partially_refunded":
		o.refunded = 1500
		g.event(o, refundAt, "staff:admin", "paid", "partially_refunded", "refunded 1500 usd", r)
	}
	o.status = status
}

// free completes a $0 order at once; a few are canceled by staff later.
func (g *bgGen) free(o *order, r *rand.Rand) {
	o.paidAt = o.created
	g.event(o, o.created, "buyer", "", "paid", "free product: paid at checkout", r)
	o.status = "paid"
	if r.Float64() < 0.04 {
		g.event(o, minTime(o.created.Add(time.Duration(1+r.IntN(240))*time.Hour), g.end), "staff:admin", "paid", "canceled",
			"canceled by staff", r)
		o.status = "canceled"
	}
}

func (g *bgGen) event(o *order, at time.Time, actor, from, to, detail string, r *rand.Rand) {
	o.events = append(o.events, event{id: uuidAt(at, r), at: at, actor: actor, from: from, to: to, detail: detail})
}

// stripe is an event caused by a Stripe webhook, whose id the server
// keeps for 90 days.
func (g *bgGen) stripe(o *order, at time.Time, from, to, typ string, r *rand.Rand) {
	sum := sha256.Sum256(append(o.id[:], byte(len(o.events))))
	evt := "evt_" + hex.EncodeToString(sum[:12])
	o.events = append(o.events, event{id: uuidAt(at, r), at: at, actor: "stripe", from: from, to: to,
		detail: typ + " (" + evt + ")", stripeEvent: evt, stripeEventType: typ,
		recordedByServer: at.After(g.now.Add(-90 * 24 * time.Hour))})
}

// uuidAt is a version 7 UUID for time t, as the platform makes them
// (ids.New), with random bits from r.
func uuidAt(t time.Time, r *rand.Rand) uuid.UUID {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[8:], r.Uint64())
	binary.BigEndian.PutUint64(u[0:], uint64(t.UnixMilli())<<16|r.Uint64()&0xffff)
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return u
}

// uuidFrom is a version 7 UUID for time t whose random bits come from
// sum: the benchmark recomputes it instead of keeping it.
func uuidFrom(t time.Time, sum [32]byte) uuid.UUID {
	var u uuid.UUID
	copy(u[:], sum[:16])
	binary.BigEndian.PutUint64(u[0:], uint64(t.UnixMilli())<<16|uint64(binary.BigEndian.Uint16(sum[6:8])))
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return u
}

func randomHash(r *rand.Rand) []byte {
	var b [32]byte
	for i := 0; i < 32; i += 8 {
		binary.BigEndian.PutUint64(b[i:], r.Uint64())
	}
	sum := sha256.Sum256(b[:])
	return sum[:]
}

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

func minTime(a, b time.Time) time.Time {
	if a.After(b) {
		return b
	}
	return a
}

// tokens makes the registration tokens of the benchmark's own households:
// rt_ and 43 base64url characters, like the platform's, derived from the
// run's key so none has to be kept.
type tokens struct{ key string }

func (k tokens) token(pool string, i int64) string {
	sum := sha256.Sum256([]byte(k.key + ":" + pool + ":" + strconv.FormatInt(i, 10)))
	return "rt_" + base64.RawURLEncoding.EncodeToString(sum[:])
}

func (k tokens) sum(what string, i int64) [32]byte {
	return sha256.Sum256([]byte(k.key + ":" + what + ":" + strconv.FormatInt(i, 10)))
}

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
)

// The benchmark's own households, in the large league: one player each,
// a registration token derived from the run's key (tokens), so request i
// of a scenario uses household i of its pool and succeeds. The webhook
// pool's households each have a pending order of the practice kit with an
// open Checkout Session, as a priced checkout leaves it.
const (
	poolFree      = "free"     // POST /checkout of the $0 opt-out
	poolFloor     = "floor"    // the minimal-SQL floor of that checkout
	poolSandbox   = "sandbox"  // priced checkout, sandbox payments
	poolStripe    = "stripe"   // priced checkout against stripe-mock
	poolRejected  = "rejected" // the rejected custom_data requests (one household)
	poolHooks     = "hooks"    // pending orders settled by webhooks
	hookAmount    = 2500       // the practice kit's price
	hookDuplicate = int64(-1)  // the hooks pool's extra order, redelivered
)

// poolGen generates n households of one pool.
type poolGen struct {
	l     *league
	name  string
	n     int64
	i     int64
	at    time.Time
	toks  tokens
	rng   *rand.Rand
	hooks bool
}

func newPoolGen(l *league, name string, n int64, at time.Time, toks tokens, seed uint64) *poolGen {
	h := sha256.Sum256([]byte(name))
	return &poolGen{l: l, name: name, n: n, at: at, toks: toks, hooks: name == poolHooks,
		rng: rand.New(rand.NewPCG(seed, uint64(h[0])<<8|uint64(h[1])))}
}

func (g *poolGen) next() (*household, bool) {
	if g.i >= g.n {
		return nil, false
	}
	i := g.i
	g.i++
	if g.hooks && i == g.n-1 {
		i = hookDuplicate
	}
	r := g.rng
	at := g.at.Add(time.Duration(g.i) * time.Microsecond)
	h := &household{l: g.l, created: at, first: pick(r, firstNames), last: pick(r, lastNames), emailN: int(g.i % 1000)}
	h.id = uuidAt(at, r)
	sum := sha256.Sum256([]byte(g.toks.token(g.name, i)))
	h.tokenHash = sum[:]
	h.players = []player{{id: uuidAt(at, r), first: pick(r, firstNames)}}
	if g.hooks {
		o := order{id: g.toks.hookOrder(i, g.at), kind: kindKit, status: "pending", created: at, updated: at,
			amount: hookAmount, top: "AM", bottom: "AM", number: -1, expires: time.Now().Add(24 * time.Hour)}
		o.events = []event{{id: uuidAt(at, r), at: at, actor: "buyer", to: "pending", detail: "checkout started"}}
		h.orders = []order{o}
		h.stripeCustomer, h.stripeCustomerAt = "cus_"+hex.EncodeToString(h.id[9:]), at
	}
	return h, true
}

// hookOrder is the id of the hooks pool's i-th pending order.
func (k tokens) hookOrder(i int64, at time.Time) uuid.UUID {
	return uuidFrom(at, k.sum("hook-order", i))
}

package main

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// table is one COPY target and how a household becomes its rows.
type table struct {
	name string
	cols []string
	rows func(h *household, emit func(...any))
}

var termsSHA = func() string { s := sha256.Sum256([]byte(termsText)); return hex.EncodeToString(s[:]) }()

// tables are the seeded tables in foreign-key order.
var tables = []table{
	{"customers", []string{"tenant_id", "id", "name", "email", "token_hash", "created_at"}, func(h *household, emit func(...any)) {
		emit(h.l.ID, h.id, h.first+" "+h.last, email(h), h.tokenHash, h.created)
	}},
	{"players", []string{"tenant_id", "id", "customer_id", "position", "first_name", "last_name", "external_ref"},
		func(h *household, emit func(...any)) {
			for i, p := range h.players {
				emit(h.l.ID, p.id, h.id, i, p.first, h.last, nullString(p.ref))
			}
		}},
	{"stripe_customers", []string{"tenant_id", "customer_id", "account_ref", "stripe_customer_id", "created_at"},
		func(h *household, emit func(...any)) {
			if h.stripeCustomer != "" {
				emit(h.l.ID, h.id, h.l.accountRef, h.stripeCustomer, h.stripeCustomerAt)
			}
		}},
	{"orders", []string{"tenant_id", "id", "product_id", "product_type", "category", "customer_id", "player_id", "status",
		"amount_cents", "amount_refunded_cents", "currency", "custom_data", "schema_version", "evidence", "checkout_url",
		"stripe_checkout_session_id", "stripe_payment_intent_id", "created_at", "updated_at", "paid_at", "checkout_expires_at"},
		func(h *household, emit func(...any)) {
			for i := range h.orders {
				o := &h.orders[i]
				p, typ, cat := h.l.productOf(o.kind)
				var url, session, intent, evidence any
				if o.amount > 0 {
					s := "cs_test_" + hex.EncodeToString(o.id[:])
					session, url = s, "https://checkout.stripe.com/c/pay/"+s
					if !o.paidAt.IsZero() {
						intent = "pi_" + hex.EncodeToString(o.id[4:])
					}
				}
				if o.kind == kindContract {
					evidence = contractEvidence(o)
				}
				emit(h.l.ID, o.id, p, typ, cat, h.id, h.players[o.player].id, o.status, o.amount, o.refunded, "usd",
					customData(h, o), 1, evidence, url, session, intent, o.created, o.updated, nullTime(o.paidAt), nullTime(o.expires))
			}
		}},
	{"order_events", []string{"tenant_id", "id", "order_id", "at", "actor", "from_status", "to_status", "detail"},
		func(h *household, emit func(...any)) {
			for _, o := range h.orders {
				for _, e := range o.events {
					emit(h.l.ID, e.id, o.id, e.at, e.actor, nullString(e.from), e.to, e.detail)
				}
			}
		}},
	{"claims", []string{"tenant_id", "scope", "value", "holder", "field"}, func(h *household, emit func(...any)) {
		for _, o := range h.orders {
			if o.claim {
				scope, value, holder, field := claimOf(h, &o)
				emit(h.l.ID, scope, value, holder, field)
			}
		}
	}},
	{"order_claims", []string{"tenant_id", "order_id", "scope", "value"}, func(h *household, emit func(...any)) {
		for _, o := range h.orders {
			if o.claim {
				scope, value, _, _ := claimOf(h, &o)
				emit(h.l.ID, o.id, scope, value)
			}
		}
	}},
	{"webhook_events", []string{"tenant_id", "event_id", "type", "outcome", "order_id", "received_at"},
		func(h *household, emit func(...any)) {
			for _, o := range h.orders {
				for _, e := range o.events {
					if e.recordedByServer {
						emit(h.l.ID, e.stripeEvent, e.stripeEventType, "processed", o.id, e.at)
					}
				}
			}
		}},
}

func (l *league) productOf(kind int) (id any, typ, category string) {
	switch kind {
	case kindHome:
		return l.Home.ID, "jersey", "uniforms"
	case kindOptOut:
		return l.OptOut.ID, "jersey", "uniforms"
	case kindKit:
		return l.Kit.ID, "jersey", "uniforms"
	}
	return l.Contract.ID, "contract", "contracts"
}

// claimOf is the claim a live order holds, as the product types make
// them: a jersey number within its scope held by the player, or the
// player's contract for the season held by the order.
func claimOf(h *household, o *order) (scope, value, holder, field string) {
	pl := h.players[o.player].id.String()
	if o.kind == kindContract {
		return "contract-season:2026", pl, "order:" + o.id.String(), "/player_id"
	}
	return "jersey:home-2026", strconv.Itoa(o.number), "player:" + pl, "/custom_data/jersey_number"
}

// customData is the order's custom_data as the server stores it
// (normalized, keys sorted).
func customData(h *household, o *order) []byte {
	b := []byte{'{'}
	field := func(k string, v []byte) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, k)
		b = append(append(b, ':'), v...)
	}
	str := func(s string) []byte { return strconv.AppendQuote(nil, s) }
	switch o.kind {
	case kindHome, kindKit:
		field("bottom_size", str(o.bottom))
		if o.number >= 0 {
			field("jersey_number", strconv.AppendInt(nil, int64(o.number), 10))
		}
		if o.nameOnBack {
			field("name_on_back", str(strings.ToUpper(h.last)))
		}
		field("top_size", str(o.top))
	case kindOptOut:
		if o.reason {
			field("reason", str("Has last season's jersey"))
		}
	case kindContract:
		field("accept_terms", []byte("true"))
		field("signer_name", str(o.signer))
		field("signer_relationship", str("parent"))
		field("terms_version", str("v3"))
	}
	return append(b, '}')
}

func contractEvidence(o *order) []byte {
	b, _ := json.Marshal(map[string]string{"terms_sha256": termsSHA, "terms_version": "v3",
		"accepted_at": o.created.UTC().Format(time.RFC3339Nano), "client_ip": "198.51.100." + strconv.Itoa(1+int(o.id[15])%254)})
	return b
}

func email(h *household) string {
	return asciiLower(h.first) + "." + asciiLower(h.last) + strconv.Itoa(h.emailN) + "@" + emailDomains[h.emailN%len(emailDomains)]
}

func asciiLower(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// tableStat is how one table's COPY went.
type tableStat struct {
	table string
	rows  int64
	took  time.Duration
}

// seedTables COPYs every table from the sources, one table after the other
// (foreign keys), each with one connection per group of sources working
// at once. Foreign-key triggers are off for the load (the rows are
// consistent by construction and checked afterwards).
func seedTables(ctx context.Context, dbURL string, groups [][]func() source, progress func(string)) ([]tableStat, error) {
	conns := make([]*pgx.Conn, len(groups))
	for i := range groups {
		c, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			return nil, err
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(ctx, "SET session_replication_role = replica"); err != nil {
			return nil, err
		}
		conns[i] = c
	}
	var stats []tableStat
	for _, t := range tables {
		start := time.Now()
		counts := make([]int64, len(groups))
		errs := make([]error, len(groups))
		var wg sync.WaitGroup
		for i, g := range groups {
			wg.Add(1)
			go func() {
				defer wg.Done()
				srcs := make([]source, len(g))
				for j, mk := range g {
					srcs[j] = mk()
				}
				counts[i], errs[i] = copyRows(ctx, conns[i], t, srcs)
			}()
		}
		wg.Wait()
		st := tableStat{table: t.name, took: time.Since(start)}
		for i := range groups {
			if errs[i] != nil {
				return stats, fmt.Errorf("copy %s: %w", t.name, errs[i])
			}
			st.rows += counts[i]
		}
		stats = append(stats, st)
		progress(fmt.Sprintf("  %-16s %9d rows in %v", t.name, st.rows, st.took.Round(time.Millisecond)))
	}
	return stats, nil
}

func copyRows(ctx context.Context, conn *pgx.Conn, t table, srcs []source) (int64, error) {
	next, stop := iter.Pull(func(yield func([]any) bool) {
		merged(srcs, func(h *household) bool {
			ok := true
			t.rows(h, func(vals ...any) {
				if ok {
					ok = yield(vals)
				}
			})
			return ok
		})
	})
	defer stop()
	return conn.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, &pullSource{next: next})
}

// pullSource adapts a pulled sequence of rows to pgx.CopyFromSource.
type pullSource struct {
	next func() ([]any, bool)
	row  []any
}

func (s *pullSource) Next() bool {
	var ok bool
	s.row, ok = s.next()
	return ok
}
func (s *pullSource) Values() ([]any, error) { return s.row, nil }
func (s *pullSource) Err() error             { return nil }

// merged yields the households of every source, earliest first, so the
// leagues' rows interleave in time as a live database's do.
func merged(srcs []source, yield func(*household) bool) {
	q := &queue{}
	for _, s := range srcs {
		if h, ok := s.next(); ok {
			*q = append(*q, head{h, s})
		}
	}
	heap.Init(q)
	for q.Len() > 0 {
		top := (*q)[0]
		if !yield(top.h) {
			return
		}
		if h, ok := top.s.next(); ok {
			(*q)[0].h = h
			heap.Fix(q, 0)
		} else {
			heap.Pop(q)
		}
	}
}

type head struct {
	h *household
	s source
}

type queue []head

func (q queue) Len() int           { return len(q) }
func (q queue) Less(i, j int) bool { return q[i].h.created.Before(q[j].h.created) }
func (q queue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)        { *q = append(*q, x.(head)) }
func (q *queue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

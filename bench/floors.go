package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stripe/stripe-go/v76"

	"github.com/leaguepay/checkout/platform/ids"
)

// staticApp is a plain Fiber handler returning body, the exact bytes of
// the public product list: the cost of HTTP and Fiber with no work behind
// them.
func staticApp(body []byte) *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/v1/tenants/:tenant/products", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	return app
}

// staticFloor serves staticApp in this process on loopback; it returns
// the base URL and a stop.
func staticFloor(body []byte) (string, func(), error) {
	app := staticApp(body)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go func() { _ = app.Listener(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = app.Shutdown() }, nil
}

// The same handler in a child process (this program run again), like the
// server, so that it does not share the load generator's Go runtime.
const (
	staticAddrEnv = "BENCH_STATIC_FLOOR_ADDR"
	staticBodyEnv = "BENCH_STATIC_FLOOR_BODY"
)

// startStaticChild runs this program as the static handler's process.
func startStaticChild(body []byte, dir string) (*child, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	file := filepath.Join(dir, "products.json")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		return nil, "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	c, err := startChild("static floor", exe, nil, childEnv(map[string]string{staticAddrEnv: addr, staticBodyEnv: file}),
		filepath.Join(dir, "static-floor.log"))
	if err != nil {
		return nil, "", err
	}
	base := "http://" + addr
	if err := c.waitHTTP(base+"/v1/tenants/x/products", nil, http.StatusOK, 30*time.Second); err != nil {
		c.stop(time.Second)
		return nil, "", err
	}
	return c, base, nil
}

// serveStaticChild is the child's main: serve until SIGTERM.
func serveStaticChild(addr, file string) error {
	body, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	app := staticApp(body)
	done := make(chan os.Signal, 1)
	signal.Notify(done, syscall.SIGTERM, os.Interrupt)
	go func() { <-done; _ = app.Shutdown() }()
	return app.Listen(addr)
}

// sqlFloor is the least SQL a $0 checkout needs, written from first
// principles and run on a pool of the server's size as the application
// role: one transaction that sets the tenant, finds the household (and its
// one player) by the token's hash, reads the product, and inserts what the
// contract says a checkout is — the checkout, its paid order, the order's
// audit row and the outbox's events of the change (order.created,
// order.paid, checkout.completed, their data rendered in Go). It is sent as
// two pipelined round trips (begin, tenant, household, product; then check
// in Go; checkout, order, audit, events, commit): no checkout can need
// fewer, since what it writes depends on what it read. Dispatching the
// events is background work the floor does not do.
type sqlFloor struct {
	pool    *pgxpool.Pool
	tenant  uuid.UUID
	product uuid.UUID
	toks    tokens
}

const (
	floorHousehold = `SELECT c.id, (array_agg(p.id))[1], count(p.id) FROM customers c
		JOIN players p ON p.tenant_id = c.tenant_id AND p.customer_id = c.id
		WHERE c.tenant_id = $1 AND c.token_hash = $2 GROUP BY c.id`
	floorProduct = `SELECT type, category, price_cents, currency, schema_version, active FROM products
		WHERE tenant_id = $1 AND id = $2`
	floorCheckout = `INSERT INTO checkouts (tenant_id, id, customer_id, status, subtotal_cents, amount_cents, currency)
		VALUES ($1, $2, $3, 'complete', $4, $4, $5)`
	floorOrder = `INSERT INTO orders (tenant_id, id, product_id, product_type, category, customer_id, player_id,
		status, amount_cents, currency, custom_data, schema_version, paid_at, checkout_id, line)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'paid', $8, $9, '{}', $10, now(), $11, 0)`
	floorEvents = `INSERT INTO events (tenant_id, id, type, object_id, data)
		SELECT $1, e.id, e.type, e.object, e.data FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::jsonb[])
		AS e (id, type, object, data)`
	floorEvent = `INSERT INTO order_events (tenant_id, id, order_id, actor, to_status, detail)
		VALUES ($1, $2, $3, 'buyer', 'paid', 'free product: paid at checkout')`
)

func newSQLFloor(ctx context.Context, appURL string, tenant, product uuid.UUID, toks tokens) (*sqlFloor, error) {
	cfg, err := pgxpool.ParseConfig(appURL)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &sqlFloor{pool: pool, tenant: tenant, product: product, toks: toks}, nil
}

func (f *sqlFloor) maxConns() int { return int(f.pool.Config().MaxConns) }

func (f *sqlFloor) close() { f.pool.Close() }

func (f *sqlFloor) checkout(ctx context.Context, i int64) (err error) {
	hash := sha256.Sum256([]byte(f.toks.token(poolFloor, i)))
	conn, err := f.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	defer func() {
		if err != nil {
			if _, rbErr := conn.Exec(context.Background(), "ROLLBACK"); rbErr != nil {
				_ = conn.Conn().Close(context.Background())
			}
		}
	}()
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(`SELECT set_config('app.tenant_id', $1, true)`, f.tenant.String())
	b.Queue(floorHousehold, f.tenant, hash[:])
	b.Queue(floorProduct, f.tenant, f.product)
	br := conn.SendBatch(ctx, b)
	var customer, player uuid.UUID
	var players int
	var typ, category, currency string
	var price int64
	var version int
	var active bool
	if _, err = br.Exec(); err == nil {
		_, err = br.Exec()
	}
	if err == nil {
		err = br.QueryRow().Scan(&customer, &player, &players)
	}
	if err == nil {
		err = br.QueryRow().Scan(&typ, &category, &price, &currency, &version, &active)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if players != 1 || price != 0 || !active {
		return errors.New("not a one-player household buying an active $0 product")
	}
	order, checkout := ids.New(), ids.New()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	data, err := json.Marshal(map[string]any{"id": order, "product_id": f.product, "product_type": typ, "category": category,
		"customer_id": customer, "player_id": player, "status": "paid", "checkout_id": checkout, "price_cents": price,
		"discount_cents": 0, "amount_cents": price, "amount_refunded_cents": 0, "currency": currency, "custom_data": map[string]any{},
		"schema_version": version, "created_at": now, "updated_at": now, "paid_at": now})
	if err != nil {
		return err
	}
	checkoutData, err := json.Marshal(map[string]any{"id": checkout, "status": "complete", "customer_id": customer,
		"items": []json.RawMessage{data}, "subtotal_cents": price, "discount_cents": 0, "amount_cents": price,
		"currency": currency, "discounts": []any{}, "created_at": now})
	if err != nil {
		return err
	}
	b = &pgx.Batch{}
	b.Queue(floorCheckout, f.tenant, checkout, customer, price, currency)
	b.Queue(floorOrder, f.tenant, order, f.product, typ, category, customer, player, price, currency, version, checkout)
	b.Queue(floorEvent, f.tenant, ids.New(), order)
	b.Queue(floorEvents, f.tenant, []uuid.UUID{ids.New(), ids.New(), ids.New()},
		[]string{"order.created", "order.paid", "checkout.completed"}, []uuid.UUID{order, order, checkout},
		[]string{string(data), string(data), string(checkoutData)})
	b.Queue("COMMIT")
	if err = conn.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// stripeFloor is POST /v1/checkout/sessions straight to stripe-mock, with
// the parameters the platform sends for a priced checkout.
func stripeFloor(client *http.Client, base, key, tenant string) httpOp {
	return httpOp{client: client, want: http.StatusOK, check: []byte(`"id":"cs_`),
		build: func(ctx context.Context, i int64) (*http.Request, error) {
			order := ids.New().String()
			v := url.Values{
				"mode":                                   {"payment"},
				"client_reference_id":                    {order},
				"customer":                               {"cus_bench" + strconv.FormatInt(i, 36)},
				"success_url":                            {"https://league.example/checkout/success"},
				"cancel_url":                             {"https://league.example/checkout/canceled"},
				"expires_at":                             {strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)},
				"metadata[order_id]":                     {order},
				"metadata[tenant_id]":                    {tenant},
				"line_items[0][quantity]":                {"1"},
				"line_items[0][price_data][currency]":    {"usd"},
				"line_items[0][price_data][unit_amount]": {"2500"},
				"line_items[0][price_data][product_data][name]": {"Practice kit"},
				"payment_intent_data[metadata][order_id]":       {order},
				"payment_intent_data[metadata][tenant_id]":      {tenant},
			}
			return request(ctx, http.MethodPost, base+"/v1/checkout/sessions", []byte(v.Encode()),
				"Authorization", "Bearer "+key, "Content-Type", "application/x-www-form-urlencoded",
				"Idempotency-Key", "checkout-session:"+order, "Stripe-Version", stripe.APIVersion)
		}}
}

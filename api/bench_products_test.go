package api_test

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// BenchmarkPublicProducts compares the buyer's product listing (served from
// the per-tenant cache) with a static Fiber handler returning the same bytes,
// both through app.Test; "static-ratio" is the listing's share of the static
// handler's throughput (the budget: near 1).
func BenchmarkPublicProducts(b *testing.B) {
	e := &env{t: b, app: buildApp(b, nil)}
	l := e.newLeague()
	for i, cfg := range []map[string]any{jerseyConfig, optOutConfig, contractConfig} {
		typ := "jersey"
		if i == 2 {
			typ = "contract"
		}
		e.product(l, map[string]any{"type": typ, "name": typ + " product", "price_cents": 0, "config": cfg})
	}
	body := e.must(200, "GET", l.Base+"/products", nil).Body
	static := fiber.New(fiber.Config{DisableStartupMessage: true})
	static.Get("/products", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	var staticNs float64
	run := func(b *testing.B, app *fiber.App, path string) {
		for range b.N {
			res, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
			if err != nil || res.StatusCode != 200 {
				b.Fatalf("GET %s: %v %v", path, err, res)
			}
			_, _ = io.Copy(io.Discard, res.Body)
		}
	}
	b.Run("static", func(b *testing.B) {
		run(b, static, "/products")
		staticNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("listing", func(b *testing.B) {
		run(b, e.app, l.Base+"/products")
		if staticNs > 0 {
			b.ReportMetric(staticNs/(float64(b.Elapsed().Nanoseconds())/float64(b.N)), "static-ratio")
		}
	})
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/leaguepay/checkout/app"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/settlement"
	"github.com/leaguepay/checkout/tenants"
)

// devActor is who the audit trail says ended a quick-start order.
const devActor = "checkout dev"

// sandboxSession starts the id of every sandbox checkout session.
const sandboxSession = "cs_sandbox_"

// quickStart is what the printed checkouts buy, as indexes into the demo's
// products and household players: Leo's home jersey (priced), Maya's
// opt-out and Leo's contract ($0), then one household checkout of the away
// jersey for both.
var quickStart = []struct{ product, player int }{{0, 1}, {2, 0}, {3, 1}, {1, 0}, {1, 1}}

// devDemo seeds the demo league, lets its redirect origins admit where dev
// serves, and returns the admin key and registration token the curl lines
// use. With the sandbox it also ends the quick start's orders of an earlier
// run, so that every printed checkout works again.
func devDemo(ctx context.Context, s *app.App, cfg config.Config, log io.Writer) (demo, devCredentials, error) {
	d, err := seedDemo(ctx, s, []string{cfg.PublicURL})
	if err != nil {
		return d, devCredentials{}, err
	}
	if !d.Tenant.OriginAllowed(cfg.PublicURL) {
		origins := append(slices.Clone(d.Tenant.AllowedRedirectOrigins), cfg.PublicURL)
		if d.Tenant, err = s.Tenants.Update(ctx, d.Tenant.Slug, tenants.TenantPatch{AllowedRedirectOrigins: &origins}); err != nil {
			return d, devCredentials{}, fmt.Errorf("demo league origins: %w", err)
		}
	}
	creds, err := devCredentialsFor(ctx, s, d, log)
	if err != nil {
		return d, creds, err
	}
	if cfg.Payments == "sandbox" {
		err = restartQuickStart(ctx, s, d, log)
	}
	return d, creds, err
}

// restartQuickStart ends the live orders of the quick start's players and
// products: a pending or free one is canceled, a paid one refunded (in the
// sandbox nothing leaves anyone's card). Orders of a Stripe session (an
// earlier run with CHECKOUT_PAYMENTS=stripe) and every other order stay as
// they are; an order that cannot be ended is reported and left.
func restartQuickStart(ctx context.Context, s *app.App, d demo, log io.Writer) error {
	ended := 0
	for _, q := range quickStart {
		product, player := d.Products[q.product].ID, d.Household.Players[q.player].ID
		page, err := s.Orders.List(ctx, d.Tenant.ID, orders.Filter{ProductID: &product, PlayerID: &player, Limit: orders.MaxLimit})
		if err != nil {
			return err
		}
		for _, o := range page.Data {
			if !o.Status.Live() || (o.StripeCheckoutSessionID != nil && !strings.HasPrefix(*o.StripeCheckoutSessionID, sandboxSession)) {
				continue
			}
			_, err := s.Settlement.Cancel(ctx, d.Tenant.ID, o.ID, devActor)
			var conflict *apperr.Conflict
			if errors.As(err, &conflict) { // paid in the sandbox: refund it
				_, err = s.Settlement.Refund(ctx, d.Tenant.ID, o.ID, settlement.RefundInput{}, devActor)
			}
			if err != nil {
				fmt.Fprintf(log, "WARNING: cannot end the quick start's order %s of an earlier run, so its line answers 409: %v\n",
					o.ID, forPeople(err))
				continue
			}
			ended++
		}
	}
	if ended > 0 {
		fmt.Fprintf(log, "ended %d quick-start order(s) of an earlier run (canceled, or refunded in the sandbox) so the lines below work again\n", ended)
	}
	return nil
}

// printReady prints where dev serves, how to point the CLI at its database,
// and ready-to-paste curl lines against the demo league.
func printReady(out io.Writer, cfg config.Config, adminURL string, d demo, c devCredentials) {
	public := strings.TrimSuffix(cfg.PublicURL, "/")
	fmt.Fprintf(out, "\ncheckout dev is ready on %s (demo league %q, payments: %s)\n\n", public, d.Tenant.Slug, cfg.Payments)
	fmt.Fprintf(out, "The CLI on this database (as the application role %s; the owner's URL is for checkout migrate):\n"+
		"  export CHECKOUT_DATABASE_URL='%s'\n  export CHECKOUT_MIGRATE_DATABASE_URL='%s'\n\n",
		devLoginRole, redactedURL(cfg.DatabaseURL), redactedURL(adminURL))
	where := "in the user's cache directory"
	if path, err := devStatePath(); err == nil {
		where = "in " + path
	}
	fmt.Fprintf(out, "The admin key and registration token below stay the same on every run (kept %s);\n"+
		"checkout dev --reset starts the demo league afresh.\n", where)
	if cfg.Payments == "sandbox" {
		fmt.Fprint(out, "Each checkout works once per player and run: pasted again it answers 409 with the order_id.\n"+
			"The next run of checkout dev ends these orders (cancels or refunds them) so the lines work again.\n")
	} else {
		fmt.Fprint(out, "Each checkout works once per player: pasted again it answers 409 with the order_id.\n")
	}
	printCurls(out, cfg, d, c.AdminKey, c.RegistrationToken)
}

// printCurls prints ready-to-paste curl lines against the demo league.
func printCurls(out io.Writer, cfg config.Config, d demo, key, token string) {
	public := strings.TrimSuffix(cfg.PublicURL, "/")
	base := public + "/v1/tenants/" + d.Tenant.Slug
	var product, player [5]string // the quick start's checkouts' items
	for i, q := range quickStart {
		product[i], player[i] = d.Products[q.product].ID.String(), d.Household.Players[q.player].ID.String()
	}
	pay := "open checkout_url in a browser and press Pay\n" +
		"  # (or from the shell: curl -sL -d '' with /pay added to checkout_url's path, before any ?, prints the page, now paid)"
	if cfg.Payments != "sandbox" {
		pay = "Stripe mode: the league needs its Stripe settings first (PUT /admin/stripe), else 503"
	}
	fmt.Fprintf(out, `
  # products, as a parent sees them
  curl -s %s/products

  # Leo's home jersey ($45): %s
  curl -s -X POST %s/checkout -H 'Content-Type: application/json' \
    -d '{"registration_token":"%s","product_id":"%s","player_id":"%s","custom_data":{"jersey_number":10,"top_size":"YM","bottom_size":"YM","name_on_back":"Rivera"}}'

  # Maya opts out of a jersey ($0: paid at once)
  curl -s -X POST %s/checkout -H 'Content-Type: application/json' \
    -d '{"registration_token":"%s","product_id":"%s","player_id":"%s"}'

  # a parent signs Leo's contract ($0)
  curl -s -X POST %s/checkout -H 'Content-Type: application/json' \
    -d '{"registration_token":"%s","product_id":"%s","player_id":"%s","custom_data":{"signer_name":"Ana Rivera","signer_relationship":"parent","accept_terms":true,"terms_version":"2026.1"}}'

  # one checkout for both players: their away jerseys, the sibling discount (10 %% off the
  # second player's uniform) and the promotion code %s ($5 off), one payment
  curl -s -X POST %s/checkouts -H 'Content-Type: application/json' \
    -d '{"registration_token":"%s","promotion_code":"%s","items":[{"product_id":"%s","player_id":"%s","custom_data":{"jersey_number":7,"top_size":"YS","bottom_size":"YS"}},{"product_id":"%s","player_id":"%s","custom_data":{"jersey_number":10,"top_size":"YM","bottom_size":"YM"}}]}'

  # the household's orders
  curl -s %s/orders -H 'X-Registration-Token: %s'

  # league staff (admin key): orders, and the CSV export
  curl -s %s/admin/orders -H 'Authorization: Bearer %s'
  curl -s %s/admin/orders.csv -H 'Authorization: Bearer %s'

  # platform operator: tenants
  curl -s %s/v1/platform/tenants -H 'Authorization: Bearer %s'

`, base,
		pay, base, token, product[0], player[0],
		base, token, product[1], player[1],
		base, token, product[2], player[2],
		demoPromoCode, base, token, demoPromoCode, product[3], player[3], product[4], player[4],
		base, token,
		base, key, base, key,
		public, cfg.PlatformToken)
}

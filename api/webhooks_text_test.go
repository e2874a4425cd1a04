package api_test

import "testing"

// Signed events whose ids hold what PostgreSQL cannot store or index (found
// by platform/settlement's FuzzEvent) used to fail in the database and answer
// 503, so Stripe would retry them for days.
func TestWebhookTextTheDatabaseCannotHold(t *testing.T) {
	e := newEnv(t)
	l := e.hookLeague()
	su := asSuperuser(t)
	o := e.pendingOrder(l.league, l.Kit)
	long := randomToken(2500) // 5000 characters that do not compress
	refused := []struct {
		name string
		ev   stripeEvent
	}{
		{"an event id holding U+0000", with(chargeRefunded(o, 100), func(ev *stripeEvent) { ev.ID = "evt_\x00" })},
		{"an event id of 5000 characters", with(chargeRefunded(o, 100), func(ev *stripeEvent) { ev.ID = "evt_" + long })},
		{"an event type holding U+0000", with(chargeRefunded(o, 100), func(ev *stripeEvent) { ev.Type = "charge.refunded\x00" })},
	}
	recorded := func() int { return su.count(`SELECT count(*) FROM webhook_events WHERE tenant_id = $1`, l.ID) }
	for _, tc := range refused {
		t.Run(tc.name+" is a 400 and records nothing", func(t *testing.T) {
			before := recorded()
			if r := e.deliver(l.Hook, tc.ev, l.Keys.WebhookSecret); r.Status != 400 {
				t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
			}
			if n := recorded(); n != before {
				t.Errorf("webhook_events went from %d to %d rows", before, n)
			}
		})
	}
	t.Run("a Connect event whose account holds U+0000 is a 400", func(t *testing.T) {
		ev := with(chargeRefunded(o, 100), func(ev *stripeEvent) { ev.Account = "acct_\x00" })
		if r := e.deliver("/v1/webhooks/stripe", ev, testPayments.PlatformWebhookSecret); r.Status != 400 {
			t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
		}
	})
	ignored := []struct {
		name string
		pi   string
	}{
		{"holding U+0000", "pi_\x00"},
		{"of 5000 characters", "pi_" + long},
	}
	for _, tc := range ignored {
		t.Run("an event whose payment intent id is "+tc.name+" is ignored", func(t *testing.T) {
			for _, ev := range []stripeEvent{
				with(chargeRefunded(o, 100), func(ev *stripeEvent) { ev.Object["payment_intent"] = tc.pi }),
				with(sessionEvent("checkout.session.completed", o, l.ID, "paid"), func(ev *stripeEvent) { ev.Object["payment_intent"] = tc.pi }),
			} {
				r := e.deliver(l.Hook, ev, l.Keys.WebhookSecret)
				if r.Status != 200 || r.JSON()["outcome"] != "ignored" {
					t.Fatalf("%s: status %d: %s", ev.Type, r.Status, r.Body)
				}
			}
			if got := e.order(l.league, o["id"]); got["status"] != "pending" {
				t.Errorf("order %v", got)
			}
		})
	}
}

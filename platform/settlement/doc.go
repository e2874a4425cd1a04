// Package settlement settles orders after they are placed: Stripe's
// webhooks (verified, recorded once in webhook_events, applied in the same
// transaction), the reconciler that asks the provider about orders a lost
// webhook left pending, staff's refunds and cancels, and the product types'
// hooks on payment, run from the outbox after the commit. It owns the
// webhook_events table; orders change only through platform/orders' state
// machine.
package settlement

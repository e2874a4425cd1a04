-- +goose Up
-- A charge.refunded event can arrive before the checkout.session.completed
-- that tells which order the payment intent paid. It is kept with its
-- payment intent and refunded total, and applied when the order is paid.
ALTER TABLE webhook_events ADD COLUMN payment_intent text;
ALTER TABLE webhook_events ADD COLUMN amount_refunded bigint;
CREATE INDEX webhook_events_payment_intent ON webhook_events (tenant_id, payment_intent)
    WHERE payment_intent IS NOT NULL;

-- +goose Down
DROP INDEX webhook_events_payment_intent;
ALTER TABLE webhook_events DROP COLUMN amount_refunded;
ALTER TABLE webhook_events DROP COLUMN payment_intent;

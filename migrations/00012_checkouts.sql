-- +goose Up
-- A checkout is what a household pays at once: one or more orders (one per
-- item, in the request's order: line) sharing one Stripe session, one
-- discount computation and one settlement (platform/orders owns the table,
-- platform/checkout places checkouts). Its money is the sum of its orders':
-- an order's price is amount_cents + discount_cents.
CREATE TABLE checkouts (
    tenant_id                  uuid NOT NULL REFERENCES tenants (id),
    id                         uuid NOT NULL,
    customer_id                uuid NOT NULL,
    status                     text NOT NULL CHECK (status IN ('open', 'complete', 'expired', 'canceled', 'failed')),
    subtotal_cents             bigint NOT NULL CHECK (subtotal_cents >= 0),
    discount_cents             bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0),
    amount_cents               bigint NOT NULL CHECK (amount_cents >= 0),
    currency                   text NOT NULL,
    -- [{kind, discount_id, code, amount_cents, order_ids}], as the API shows them.
    discounts                  jsonb NOT NULL DEFAULT '[]',
    checkout_url               text,
    stripe_checkout_session_id text,
    stripe_payment_intent_id   text,
    expires_at                 timestamptz,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    CHECK (amount_cents = subtotal_cents - discount_cents)
);
CREATE INDEX checkouts_session ON checkouts (tenant_id, stripe_checkout_session_id)
    WHERE stripe_checkout_session_id IS NOT NULL;
CREATE INDEX checkouts_payment_intent ON checkouts (tenant_id, stripe_payment_intent_id)
    WHERE stripe_payment_intent_id IS NOT NULL;

-- Orders placed before checkouts existed, and imported ones, have none.
-- There is deliberately no foreign key to checkouts: an order and its
-- checkout are written by one statement (or one transaction) of
-- platform/orders, never apart, and the key's check — a lookup per order
-- that PostgreSQL plans once per connection, when checkouts may still be
-- empty and a sequential scan looks cheapest — cost a $0 checkout half its
-- throughput under the benchmark as the table grew.
ALTER TABLE orders ADD COLUMN checkout_id uuid;
ALTER TABLE orders ADD COLUMN line integer;
ALTER TABLE orders ADD COLUMN discount_cents bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0);
CREATE INDEX orders_checkout ON orders (tenant_id, checkout_id, line) WHERE checkout_id IS NOT NULL;
-- A household checkout's orders share its session.
DROP INDEX orders_checkout_session;
CREATE INDEX orders_checkout_session ON orders (tenant_id, stripe_checkout_session_id)
    WHERE stripe_checkout_session_id IS NOT NULL;

-- An Idempotency-Key of POST /checkouts remembers its checkout.
ALTER TABLE idempotency_keys ADD COLUMN checkout_id uuid;

-- A checkout's use of a promotion code (platform/discounts owns the table).
-- One per checkout; released_at is set when the checkout expires, is
-- canceled or fails, and the discount's redemptions counter goes down in
-- the same statement.
CREATE TABLE discount_redemptions (
    tenant_id   uuid NOT NULL,
    checkout_id uuid NOT NULL,
    discount_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    released_at timestamptz,
    PRIMARY KEY (tenant_id, checkout_id),
    FOREIGN KEY (tenant_id, discount_id) REFERENCES discounts (tenant_id, id)
);
CREATE INDEX discount_redemptions_household ON discount_redemptions (tenant_id, discount_id, customer_id)
    WHERE released_at IS NULL;

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['checkouts', 'discount_redemptions'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO checkout_app', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE discount_redemptions;
ALTER TABLE idempotency_keys DROP COLUMN checkout_id;
DROP INDEX orders_checkout;
DROP INDEX orders_checkout_session;
CREATE UNIQUE INDEX orders_checkout_session ON orders (tenant_id, stripe_checkout_session_id)
    WHERE stripe_checkout_session_id IS NOT NULL;
ALTER TABLE orders DROP COLUMN discount_cents;
ALTER TABLE orders DROP COLUMN line;
ALTER TABLE orders DROP COLUMN checkout_id;
DROP TABLE checkouts;

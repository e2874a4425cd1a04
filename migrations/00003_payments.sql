-- +goose Up
-- A league's Stripe settings: its own keys (encrypted with AES-GCM by the
-- application) or a Connect account used under the platform's key.
CREATE TABLE stripe_settings (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    mode               text NOT NULL CHECK (mode IN ('own_keys', 'connect')),
    secret_key_enc     bytea,
    webhook_secret_enc bytea,
    secret_key_last4   text,
    account_id         text,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id),
    CHECK ((mode = 'own_keys' AND secret_key_enc IS NOT NULL AND webhook_secret_enc IS NOT NULL AND account_id IS NULL)
        OR (mode = 'connect' AND account_id IS NOT NULL AND secret_key_enc IS NULL))
);

-- Connect events arrive on the platform endpoint without tenant context:
-- this platform table (no row-level security, like tenants) routes an
-- account to its tenant before the tenant-scoped transaction opens.
CREATE TABLE connect_accounts (
    account_id text PRIMARY KEY,
    tenant_id  uuid NOT NULL UNIQUE REFERENCES tenants (id)
);

-- The household's Stripe customer, per Stripe account it was created on
-- (own keys and a Connect account are different customer namespaces).
CREATE TABLE stripe_customers (
    tenant_id          uuid NOT NULL,
    customer_id        uuid NOT NULL,
    account_ref        text NOT NULL,
    stripe_customer_id text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, customer_id, account_ref),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);

-- Every webhook event id is recorded in the transaction that applies it,
-- so a redelivery finds it and changes nothing.
CREATE TABLE webhook_events (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    event_id    text NOT NULL,
    type        text NOT NULL,
    outcome     text NOT NULL,
    order_id    uuid,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, event_id)
);

ALTER TABLE orders ADD COLUMN checkout_expires_at timestamptz;
CREATE INDEX orders_pending_expiry ON orders (tenant_id, checkout_expires_at) WHERE status = 'pending';
CREATE INDEX orders_payment_intent ON orders (tenant_id, stripe_payment_intent_id)
    WHERE stripe_payment_intent_id IS NOT NULL;

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stripe_settings', 'stripe_customers', 'webhook_events'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO checkout_app', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
GRANT SELECT, INSERT, UPDATE, DELETE ON connect_accounts TO checkout_app;

-- +goose Down
DROP INDEX orders_payment_intent;
DROP INDEX orders_pending_expiry;
ALTER TABLE orders DROP COLUMN checkout_expires_at;
DROP TABLE webhook_events, stripe_customers, connect_accounts, stripe_settings;

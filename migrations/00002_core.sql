-- +goose Up
-- Tenants are the platform's own table: it is read to resolve a slug before
-- any tenant context exists, so it has no row-level security.
CREATE TABLE tenants (
    id                       uuid PRIMARY KEY,
    slug                     text NOT NULL UNIQUE,
    name                     text NOT NULL,
    currency                 text NOT NULL,
    allowed_redirect_origins text[] NOT NULL DEFAULT '{}',
    created_at               timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    role       text NOT NULL CHECK (role IN ('viewer', 'manager', 'admin')),
    name       text NOT NULL,
    key_hash   bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, key_hash)
);

CREATE TABLE customers (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    name       text NOT NULL,
    email      text NOT NULL,
    token_hash bytea NOT NULL,
    stripe_customer_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash)
);
CREATE INDEX customers_email ON customers (tenant_id, lower(email));

CREATE TABLE players (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    customer_id  uuid NOT NULL,
    position     int NOT NULL,
    first_name   text NOT NULL,
    last_name    text NOT NULL,
    external_ref text,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, customer_id, position),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);

CREATE TABLE products (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    type           text NOT NULL,
    category       text NOT NULL,
    name           text NOT NULL,
    description    text NOT NULL DEFAULT '',
    price_cents    bigint NOT NULL CHECK (price_cents >= 0),
    currency       text NOT NULL,
    config         jsonb NOT NULL,
    custom_fields  jsonb NOT NULL,
    schema_version int NOT NULL DEFAULT 1,
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX products_listing ON products (tenant_id, active, category, type);

CREATE TABLE orders (
    tenant_id                  uuid NOT NULL,
    id                         uuid NOT NULL,
    product_id                 uuid NOT NULL,
    product_type               text NOT NULL,
    category                   text NOT NULL,
    customer_id                uuid NOT NULL,
    player_id                  uuid NOT NULL,
    status                     text NOT NULL CHECK (status IN
        ('pending', 'paid', 'failed', 'expired', 'canceled', 'partially_refunded', 'refunded')),
    amount_cents               bigint NOT NULL CHECK (amount_cents >= 0),
    amount_refunded_cents      bigint NOT NULL DEFAULT 0 CHECK (amount_refunded_cents >= 0),
    currency                   text NOT NULL,
    custom_data                jsonb NOT NULL DEFAULT '{}',
    schema_version             int NOT NULL,
    evidence                   jsonb,
    checkout_url               text,
    stripe_checkout_session_id text,
    stripe_payment_intent_id   text,
    legacy_ref                 text,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    paid_at                    timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, player_id) REFERENCES players (tenant_id, id)
);
-- One live order per player and product: concurrent double clicks make one order.
CREATE UNIQUE INDEX orders_one_live_per_player ON orders (tenant_id, product_id, player_id)
    WHERE status IN ('pending', 'paid', 'partially_refunded');
CREATE UNIQUE INDEX orders_legacy_ref ON orders (tenant_id, legacy_ref) WHERE legacy_ref IS NOT NULL;
CREATE UNIQUE INDEX orders_checkout_session ON orders (tenant_id, stripe_checkout_session_id)
    WHERE stripe_checkout_session_id IS NOT NULL;
CREATE INDEX orders_listing ON orders (tenant_id, created_at DESC, id DESC);
CREATE INDEX orders_by_customer ON orders (tenant_id, customer_id, created_at DESC, id DESC);
CREATE INDEX orders_by_product ON orders (tenant_id, product_id, created_at DESC, id DESC);
CREATE INDEX orders_by_player ON orders (tenant_id, player_id, created_at DESC, id DESC);
CREATE INDEX orders_by_status ON orders (tenant_id, status, created_at DESC, id DESC);

-- Values a product type needs unique among the tenant's live orders (a
-- jersey number within its team, one contract per player and season). A
-- claim lives while one of its orders (order_claims) is pending or paid;
-- orders with the same holder may share it.
CREATE TABLE claims (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    scope     text NOT NULL,
    value     text NOT NULL,
    holder    text NOT NULL,
    field     text NOT NULL,
    PRIMARY KEY (tenant_id, scope, value)
);

CREATE TABLE order_claims (
    tenant_id uuid NOT NULL,
    order_id  uuid NOT NULL,
    scope     text NOT NULL,
    value     text NOT NULL,
    PRIMARY KEY (tenant_id, order_id, scope, value),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
CREATE INDEX order_claims_by_value ON order_claims (tenant_id, scope, value);

CREATE TABLE order_events (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    order_id    uuid NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    from_status text,
    to_status   text NOT NULL,
    detail      text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
CREATE INDEX order_events_by_order ON order_events (tenant_id, order_id, at, id);

CREATE TABLE idempotency_keys (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    order_id     uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);

-- Row-level security: the second wall behind the application's own
-- tenant-scoped queries. FORCE makes it apply to the table owner as well.
-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['api_keys', 'customers', 'players', 'products', 'orders',
                             'claims', 'order_claims', 'order_events', 'idempotency_keys'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO checkout_app', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
GRANT SELECT, INSERT, UPDATE ON tenants TO checkout_app;
GRANT EXECUTE ON FUNCTION app_tenant_id() TO checkout_app;
GRANT USAGE ON SCHEMA public TO checkout_app;
-- /readyz compares the applied version with the embedded one.
GRANT SELECT ON goose_db_version TO checkout_app;

-- +goose Down
DROP TABLE idempotency_keys, order_events, order_claims, claims, orders, products, players, customers, api_keys, tenants;

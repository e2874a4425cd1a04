-- +goose Up
-- River's tables (the job system: the outbox's dispatcher, webhook deliveries,
-- paid hooks, the reconciler) live in their own schema, outside row-level
-- security: a job carries its tenant's id and opens the tenant-scoped
-- transaction itself. River's own migrations (platform/jobs) create them
-- right after ours, as the same role, so these default privileges apply.
CREATE SCHEMA IF NOT EXISTS river;
GRANT USAGE ON SCHEMA river TO checkout_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA river GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO checkout_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA river GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO checkout_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA river GRANT EXECUTE ON FUNCTIONS TO checkout_app;

-- The outbox: every change of an order (and, later, of a checkout or a
-- waitlist entry) writes its event here in the transaction of the change.
-- seq orders the events of one object: they are written under the object's
-- row lock, so a later change always has a higher seq.
CREATE TABLE events (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    type        text NOT NULL,
    object_id   uuid NOT NULL,
    from_status text,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX events_object ON events (tenant_id, object_id, seq);

-- A league's endpoints for events. The signing secret is sealed
-- (platform/secrets) like the league's Stripe keys.
CREATE TABLE webhook_endpoints (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    url           text NOT NULL,
    events        text[] NOT NULL,
    secret_sealed bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhook_endpoints_listing ON webhook_endpoints (tenant_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;

-- One delivery of one event to one endpoint: pending until a 2xx, given up
-- after three days.
CREATE TABLE webhook_deliveries (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    endpoint_id uuid NOT NULL,
    event_id    uuid NOT NULL,
    event_seq   bigint NOT NULL,
    object_id   uuid NOT NULL,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, endpoint_id, event_id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id)
);
-- In order per object: a delivery waits while an earlier one of the same
-- object to the same endpoint is pending.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (tenant_id, endpoint_id, object_id, event_seq)
    WHERE state = 'pending';

-- Every attempt of a delivery, as GET .../deliveries shows them.
CREATE TABLE webhook_attempts (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    delivery_id     uuid NOT NULL,
    endpoint_id     uuid NOT NULL,
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    attempt         integer NOT NULL,
    status_code     integer,
    error           text,
    at              timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_deliveries (tenant_id, id)
);
CREATE INDEX webhook_attempts_listing ON webhook_attempts (tenant_id, endpoint_id, at DESC, id DESC);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['events', 'webhook_endpoints', 'webhook_deliveries', 'webhook_attempts'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO checkout_app', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE events;
ALTER DEFAULT PRIVILEGES IN SCHEMA river REVOKE ALL ON TABLES FROM checkout_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA river REVOKE ALL ON SEQUENCES FROM checkout_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA river REVOKE ALL ON FUNCTIONS FROM checkout_app;

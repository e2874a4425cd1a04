-- +goose Up
-- The outbox's dispatcher claims committed events itself, in batches per
-- tenant, instead of working one job per change: an event is pending until
-- dispatched_at is set, in the transaction that hands it to its followers.
ALTER TABLE events ADD COLUMN dispatched_at timestamptz;

-- Events written before this migration were dispatched by a job of their
-- own ('outbox.dispatch'); those whose job had not finished stay pending for
-- the new dispatcher, and the jobs go.
-- +goose StatementBegin
DO $$
BEGIN
    IF to_regclass('river.river_job') IS NULL THEN
        UPDATE events SET dispatched_at = created_at;
        RETURN;
    END IF;
    UPDATE events SET dispatched_at = created_at WHERE id NOT IN (
        SELECT jsonb_array_elements_text(args->'event_ids')::uuid FROM river.river_job
        WHERE kind = 'outbox.dispatch' AND state NOT IN ('completed', 'cancelled', 'discarded'));
    DELETE FROM river.river_job WHERE kind = 'outbox.dispatch';
END
$$;
-- +goose StatementEnd

CREATE INDEX events_pending ON events (tenant_id, seq) WHERE dispatched_at IS NULL;

-- Which tenants have pending events is the dispatcher's one read across
-- tenants: a narrow SECURITY DEFINER function answering tenant ids and
-- nothing else, like connect_account_tenant. FORCE binds the owner (the
-- role running this migration, the function's owner) too, so it gets a
-- read-only policy on pending events for that question.
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('CREATE POLICY outbox_routing ON events FOR SELECT TO %I USING (dispatched_at IS NULL)', current_user);
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION outbox_pending_tenants() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    -- One index probe per tenant (a loose scan of events_pending), however
    -- many events are pending.
    WITH RECURSIVE t (tenant_id) AS (
        (SELECT tenant_id FROM public.events WHERE dispatched_at IS NULL ORDER BY tenant_id LIMIT 1)
        UNION ALL
        SELECT (SELECT e.tenant_id FROM public.events e
                WHERE e.dispatched_at IS NULL AND e.tenant_id > t.tenant_id ORDER BY e.tenant_id LIMIT 1)
        FROM t WHERE t.tenant_id IS NOT NULL)
    SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION outbox_pending_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION outbox_pending_tenants() TO checkout_app;

-- +goose Down
DROP FUNCTION outbox_pending_tenants();
DROP POLICY outbox_routing ON events;
DROP INDEX events_pending;
ALTER TABLE events DROP COLUMN dispatched_at;

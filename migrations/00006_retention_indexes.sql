-- +goose Up
-- The reconciler's hourly purge deletes by age; these keep it from walking
-- each tenant's whole history.
CREATE INDEX idempotency_keys_age ON idempotency_keys (tenant_id, created_at);
CREATE INDEX webhook_events_age ON webhook_events (tenant_id, received_at);

-- +goose Down
DROP INDEX webhook_events_age;
DROP INDEX idempotency_keys_age;

-- +goose Up
-- Staff list and search households newest first (GET /admin/customers).
CREATE INDEX customers_listing ON customers (tenant_id, created_at DESC, id DESC);

-- +goose Down
DROP INDEX customers_listing;

-- +goose Up
-- The Stripe account a league's own secret key belongs to, as Stripe
-- reported it (GET /v1/account) when the key was saved. It names the
-- league's customer namespace, so rolling the key keeps its customers.
-- Rows saved before it was recorded keep NULL (the application then falls
-- back to a digest of the key); Connect rows never hold one.
ALTER TABLE stripe_settings ADD COLUMN own_account_id text;
ALTER TABLE stripe_settings ADD CONSTRAINT stripe_settings_own_account_id_check
    CHECK (own_account_id IS NULL OR (mode = 'own_keys' AND own_account_id ~ '^acct_[A-Za-z0-9]+$'));

-- +goose Down
ALTER TABLE stripe_settings DROP CONSTRAINT stripe_settings_own_account_id_check;
ALTER TABLE stripe_settings DROP COLUMN own_account_id;

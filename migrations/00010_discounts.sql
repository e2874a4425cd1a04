-- +goose Up
-- A league's discounts: sibling tiers and promotion codes (platform/discounts).
-- A discount is never deleted, only deactivated. redemptions counts the
-- promotion's live redemptions; it is changed only by the conditional
-- statement that redeems (or gives back) one, so concurrent checkouts
-- cannot pass max_redemptions.
CREATE TABLE discounts (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    id                  uuid NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('sibling', 'promotion')),
    name                text NOT NULL,
    code                text,
    percent_off         integer CHECK (percent_off BETWEEN 1 AND 100),
    amount_off_cents    bigint CHECK (amount_off_cents > 0),
    tiers               jsonb,
    applies_to          jsonb NOT NULL DEFAULT '{}',
    starts_at           timestamptz,
    ends_at             timestamptz,
    max_redemptions     integer CHECK (max_redemptions > 0),
    per_household_limit integer CHECK (per_household_limit > 0),
    active              boolean NOT NULL DEFAULT true,
    redemptions         integer NOT NULL DEFAULT 0 CHECK (redemptions >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK ((kind = 'promotion') = (code IS NOT NULL)),
    CHECK (max_redemptions IS NULL OR redemptions <= max_redemptions)
);
-- Codes are matched case-insensitively: stored upper-case, unique per league.
CREATE UNIQUE INDEX discounts_code ON discounts (tenant_id, code) WHERE code IS NOT NULL;
CREATE INDEX discounts_listing ON discounts (tenant_id, created_at DESC, id DESC);

ALTER TABLE discounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE discounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON discounts USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON discounts TO checkout_app;

-- +goose Down
DROP TABLE discounts;

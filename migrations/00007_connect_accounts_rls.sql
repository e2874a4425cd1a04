-- +goose Up
-- connect_accounts goes behind row-level security like every table with a
-- tenant_id: the application role reads and writes only the current
-- tenant's mapping. Connect events arrive before any tenant is known, so
-- the one lookup that crosses tenants (account -> tenant) is a narrow
-- SECURITY DEFINER function: it answers one account's tenant id and nothing
-- else. FORCE binds the table's owner too, so the owner (the role running
-- this migration, the function's owner) gets a read-only policy of its own
-- for that lookup; the owner could lift row-level security anyway.
ALTER TABLE connect_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE connect_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON connect_accounts
    USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('CREATE POLICY account_routing ON connect_accounts FOR SELECT TO %I USING (true)', current_user);
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION connect_account_tenant(account text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT tenant_id FROM public.connect_accounts WHERE account_id = account
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION connect_account_tenant(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_account_tenant(text) TO checkout_app;

-- +goose Down
DROP FUNCTION connect_account_tenant(text);
DROP POLICY account_routing ON connect_accounts;
DROP POLICY tenant_isolation ON connect_accounts;
ALTER TABLE connect_accounts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE connect_accounts DISABLE ROW LEVEL SECURITY;

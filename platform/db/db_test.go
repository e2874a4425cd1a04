package db_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/migrations"
	"github.com/leaguepay/checkout/platform/db"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// admin opens a privileged pool on the package's database, closed at the
// end of the test.
func admin(t *testing.T) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), dbtest.AdminURL(t))
	if err != nil {
		t.Fatalf("open admin pool: %v", err)
	}
	t.Cleanup(d.Close)
	return d
}

func TestCheckAppRole(t *testing.T) {
	ctx := context.Background()
	t.Run("the role the tests connect as is bound by row-level security", func(t *testing.T) {
		if err := dbtest.DB(t).CheckAppRole(ctx); err != nil {
			t.Fatalf("CheckAppRole = %v, want nil", err)
		}
	})
	t.Run("a superuser (and table owner) is refused", func(t *testing.T) {
		err := admin(t).CheckAppRole(ctx)
		if !errors.Is(err, db.ErrPrivilegedRole) {
			t.Fatalf("CheckAppRole = %v, want ErrPrivilegedRole", err)
		}
		for _, want := range []string{"superuser=true", "owner=true", migrations.AppRole} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	})
	t.Run("a BYPASSRLS member of the application role is refused", func(t *testing.T) {
		name := "checkout_test_bypass_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
		adm := admin(t)
		if _, err := adm.Pool.Exec(ctx, fmt.Sprintf(`CREATE ROLE %s LOGIN BYPASSRLS IN ROLE %s`,
			name, migrations.AppRole)); err != nil {
			t.Fatalf("create role: %v", err)
		}
		t.Cleanup(func() { _, _ = adm.Pool.Exec(context.Background(), `DROP ROLE IF EXISTS `+name) })
		u, err := db.WithUser(dbtest.AdminURL(t), name)
		if err != nil {
			t.Fatal(err)
		}
		d, err := db.Open(ctx, u)
		if err != nil {
			t.Fatalf("open as %s: %v", name, err)
		}
		err = d.CheckAppRole(ctx)
		d.Close()
		if !errors.Is(err, db.ErrPrivilegedRole) || !strings.Contains(err.Error(), "bypassrls=true") {
			t.Fatalf("CheckAppRole = %v, want ErrPrivilegedRole naming bypassrls", err)
		}
	})
	t.Run("ensuring the login role again is harmless and returns its URL", func(t *testing.T) {
		u, err := db.EnsureLoginRole(ctx, dbtest.AdminURL(t), dbtest.AppLoginRole)
		if err != nil {
			t.Fatalf("EnsureLoginRole: %v", err)
		}
		if !strings.HasPrefix(u, "postgres://"+dbtest.AppLoginRole+"@") {
			t.Errorf("EnsureLoginRole URL = %q, want the user replaced by %s", u, dbtest.AppLoginRole)
		}
	})
}

// fixture is one tenant with one row in every tenant table.
type fixture struct {
	tenant, customer, player, product, order, event, endpoint, delivery, checkout, discount uuid.UUID
}

// tenantTable inserts one row into a tenant table: insert's args are built
// from the owning tenant's fixture and the new row's own id.
type tenantTable struct {
	name   string
	insert string
	args   func(f fixture, self uuid.UUID) []any
}

// platformTables have a tenant_id column but are the platform's own tables,
// outside row-level security (none today: connect_accounts, read before a
// tenant is known, is behind it too, with one SECURITY DEFINER lookup).
var platformTables = map[string]bool{}

// tenantTables lists every tenant-owned table in foreign-key order.
// TestEveryTenantTableIsCovered proves the list is complete.
var tenantTables = []tenantTable{
	{"customers", `INSERT INTO customers (tenant_id, id, name, email, token_hash) VALUES ($1, $2, 'Household', 'h@example.com', $3)`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self, self[:]} }},
	{"players", `INSERT INTO players (tenant_id, id, customer_id, position, first_name, last_name) VALUES ($1, $2, $3, 0, 'Ada', 'Player')`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self, f.customer} }},
	{"products", `INSERT INTO products (tenant_id, id, type, category, name, price_cents, currency, config, custom_fields)
		VALUES ($1, $2, 'jersey', 'uniforms', 'Jersey', 0, 'usd', '{}', '{}')`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self} }},
	{"orders", `INSERT INTO orders (tenant_id, id, product_id, product_type, category, customer_id, player_id, status,
		amount_cents, currency, schema_version) VALUES ($1, $2, $3, 'jersey', 'uniforms', $4, $5, 'canceled', 0, 'usd', 1)`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self, f.product, f.customer, f.player} }},
	{"api_keys", `INSERT INTO api_keys (tenant_id, id, role, name, key_hash) VALUES ($1, $2, 'viewer', 'rls', $3)`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self, self[:]} }},
	{"claims", `INSERT INTO claims (tenant_id, scope, value, holder, field) VALUES ($1, 'rls', $2, 'h', '/f')`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self.String()} }},
	{"order_claims", `INSERT INTO order_claims (tenant_id, order_id, scope, value) VALUES ($1, $2, 'rls', $3)`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, f.order, self.String()} }},
	{"order_events", `INSERT INTO order_events (tenant_id, id, order_id, actor, to_status) VALUES ($1, $2, $3, 'test', 'canceled')`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self, f.order} }},
	{"idempotency_keys", `INSERT INTO idempotency_keys (tenant_id, key, request_hash) VALUES ($1, $2, $3)`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self.String(), self[:]} }},
	{"stripe_settings", `INSERT INTO stripe_settings (tenant_id, mode, account_id) VALUES ($1, 'connect', $2)`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self.String()} }},
	{"stripe_customers", `INSERT INTO stripe_customers (tenant_id, customer_id, account_ref, stripe_customer_id) VALUES ($1, $2, $3, 'cus_rls')`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, f.customer, self.String()} }},
	{"connect_accounts", `INSERT INTO connect_accounts (account_id, tenant_id) VALUES ('acct_' || $2::text, $1)`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self.String()} }},
	{"webhook_events", `INSERT INTO webhook_events (tenant_id, event_id, type, outcome) VALUES ($1, $2, 'rls', 'processed')`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self.String()} }},
	{"discounts", `INSERT INTO discounts (tenant_id, id, kind, name, code, percent_off) VALUES ($1, $2::uuid, 'promotion', 'RLS', 'RLS' || substr($2::uuid::text, 1, 8), 10)`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self} }},
	{"checkouts", `INSERT INTO checkouts (tenant_id, id, customer_id, status, subtotal_cents, amount_cents, currency)
		VALUES ($1, $2, $3, 'open', 0, 0, 'usd')`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self, f.customer} }},
	{"discount_redemptions", `INSERT INTO discount_redemptions (tenant_id, checkout_id, discount_id, customer_id)
		SELECT $1, $5, $3, $4 WHERE $2::uuid IS NOT NULL`, // one per checkout: self is not its key
		func(f fixture, self uuid.UUID) []any {
			return []any{f.tenant, self, f.discount, f.customer, f.checkout}
		}},
	{"events", `INSERT INTO events (tenant_id, id, type, object_id, data) VALUES ($1, $2, 'order.created', $3, '{}')`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self, f.order} }},
	{"webhook_endpoints", `INSERT INTO webhook_endpoints (tenant_id, id, url, events, secret_sealed)
		VALUES ($1, $2, 'https://league.example/hooks', '{order.paid}', '\x00')`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self} }},
	{"webhook_deliveries", `INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_id, event_seq, object_id)
		VALUES ($1, $2, $3, $4, 1, $5)`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self, f.endpoint, f.event, f.order} }},
	{"webhook_attempts", `INSERT INTO webhook_attempts (tenant_id, id, delivery_id, endpoint_id, event_id, event_type, attempt)
		VALUES ($1, $2, $3, $4, $5, 'order.created', 1)`,
		func(f fixture, self uuid.UUID) []any { return []any{f.tenant, self, f.delivery, f.endpoint, f.event} }},
}

// newTenant creates a tenant and one row of its own in every tenant table.
func newTenant(t *testing.T, d *db.DB) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{tenant: uuid.New(), customer: uuid.New(), player: uuid.New(), product: uuid.New(), order: uuid.New(),
		event: uuid.New(), endpoint: uuid.New(), delivery: uuid.New(), checkout: uuid.New(), discount: uuid.New()}
	err := d.InPlatform(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, currency) VALUES ($1, $2, 'RLS league', 'usd')`,
			f.tenant, "rls-"+f.tenant.String()[:8])
		return err
	})
	if err != nil {
		t.Fatalf("insert tenant: %v", err)
	}
	own := map[string]uuid.UUID{"customers": f.customer, "players": f.player, "products": f.product, "orders": f.order,
		"events": f.event, "webhook_endpoints": f.endpoint, "webhook_deliveries": f.delivery, "checkouts": f.checkout,
		"discounts": f.discount}
	err = d.InTenant(ctx, f.tenant, func(tx pgx.Tx) error {
		for _, tt := range tenantTables {
			self, ok := own[tt.name]
			if !ok {
				self = uuid.New()
			}
			if _, err := tx.Exec(ctx, tt.insert, tt.args(f, self)...); err != nil {
				return fmt.Errorf("%s: %w", tt.name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed tenant rows: %v", err)
	}
	return f
}

func count(t *testing.T, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, table string) int {
	t.Helper()
	var n int
	if err := q.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// insufficientPrivilege is the SQLSTATE of a row-level security WITH CHECK
// violation ("new row violates row-level security policy").
const insufficientPrivilege = "42501"

func TestRowLevelSecurity(t *testing.T) {
	ctx := context.Background()
	d, adm := dbtest.DB(t), admin(t)
	a, b := newTenant(t, d), newTenant(t, d)
	for _, tt := range tenantTables {
		t.Run(tt.name+": a tenant sees only its own rows without filtering on tenant_id", func(t *testing.T) {
			var seen int
			err := d.InTenant(ctx, a.tenant, func(tx pgx.Tx) error {
				seen = count(t, tx, tt.name)
				var foreign int
				if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+tt.name+` WHERE tenant_id <> $1`, a.tenant).Scan(&foreign); err != nil {
					return err
				}
				if foreign != 0 {
					t.Errorf("%d rows of other tenants are visible", foreign)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if seen != 1 {
				t.Errorf("count(*) inside tenant A = %d, want 1 (A's row only)", seen)
			}
			if all := count(t, adm.Pool, tt.name); all < 2 {
				t.Errorf("admin count = %d, want at least 2 (both tenants' rows exist)", all)
			}
		})
		t.Run(tt.name+": outside any tenant context no row is visible", func(t *testing.T) {
			if n := count(t, d.Pool, tt.name); n != 0 {
				t.Errorf("count(*) on the plain pool = %d, want 0", n)
			}
			err := d.InPlatform(ctx, func(tx pgx.Tx) error {
				if n := count(t, tx, tt.name); n != 0 {
					t.Errorf("count(*) in a platform transaction = %d, want 0", n)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
		t.Run(tt.name+": inserting a row of tenant B from tenant A's context is refused", func(t *testing.T) {
			err := d.InTenant(ctx, a.tenant, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, tt.insert, tt.args(b, uuid.New())...)
				return err
			})
			if pgCode(err) != insufficientPrivilege {
				t.Fatalf("insert with tenant_id = B inside A: err = %v, want a row-level security violation (42501)", err)
			}
		})
		t.Run(tt.name+": outside any tenant context no row can be inserted", func(t *testing.T) {
			_, err := d.Pool.Exec(ctx, tt.insert, tt.args(a, uuid.New())...)
			if pgCode(err) != insufficientPrivilege {
				t.Fatalf("insert without tenant context: err = %v, want a row-level security violation (42501)", err)
			}
		})
		t.Run(tt.name+": tenant A can neither update nor delete tenant B's rows", func(t *testing.T) {
			before := count(t, adm.Pool, tt.name)
			err := d.InTenant(ctx, a.tenant, func(tx pgx.Tx) error {
				tag, err := tx.Exec(ctx, `UPDATE `+tt.name+` SET tenant_id = tenant_id WHERE tenant_id = $1`, b.tenant)
				if err != nil {
					return fmt.Errorf("update: %w", err)
				}
				if tag.RowsAffected() != 0 {
					t.Errorf("UPDATE of B's rows affected %d, want 0", tag.RowsAffected())
				}
				if tag, err = tx.Exec(ctx, `DELETE FROM `+tt.name+` WHERE tenant_id = $1`, b.tenant); err != nil {
					return fmt.Errorf("delete: %w", err)
				}
				if tag.RowsAffected() != 0 {
					t.Errorf("DELETE of B's rows affected %d, want 0", tag.RowsAffected())
				}
				tag, err = tx.Exec(ctx, `UPDATE `+tt.name+` SET tenant_id = tenant_id`)
				if err != nil {
					return fmt.Errorf("unfiltered update: %w", err)
				}
				if tag.RowsAffected() != 1 {
					t.Errorf("an UPDATE without WHERE affected %d rows, want 1 (A's own)", tag.RowsAffected())
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if after := count(t, adm.Pool, tt.name); after != before {
				t.Errorf("admin count went from %d to %d", before, after)
			}
		})
		t.Run(tt.name+": tenant A cannot hand its row over to tenant B", func(t *testing.T) {
			err := d.InTenant(ctx, a.tenant, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE `+tt.name+` SET tenant_id = $1`, b.tenant)
				return err
			})
			if pgCode(err) != insufficientPrivilege {
				t.Fatalf("moving A's row to B: err = %v, want a row-level security violation (42501)", err)
			}
		})
	}
}

func TestConnectAccountRouting(t *testing.T) {
	ctx := context.Background()
	d, adm := dbtest.DB(t), admin(t)
	a, b := newTenant(t, d), newTenant(t, d)
	var accountA string
	if err := adm.Pool.QueryRow(ctx, `SELECT account_id FROM connect_accounts WHERE tenant_id = $1`, a.tenant).Scan(&accountA); err != nil {
		t.Fatal(err)
	}
	t.Run("the application role routes an account to its tenant without tenant context", func(t *testing.T) {
		var got *uuid.UUID
		if err := d.Pool.QueryRow(ctx, `SELECT connect_account_tenant($1)`, accountA).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got == nil || *got != a.tenant {
			t.Errorf("connect_account_tenant = %v, want %s", got, a.tenant)
		}
	})
	t.Run("an unknown account routes nowhere", func(t *testing.T) {
		var got *uuid.UUID
		if err := d.Pool.QueryRow(ctx, `SELECT connect_account_tenant('acct_unknown')`).Scan(&got); err != nil || got != nil {
			t.Errorf("connect_account_tenant = %v, %v; want NULL", got, err)
		}
	})
	t.Run("inside tenant B, tenant A's mapping cannot be read or changed", func(t *testing.T) {
		err := d.InTenant(ctx, b.tenant, func(tx pgx.Tx) error {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM connect_accounts WHERE account_id = $1`, accountA).Scan(&n); err != nil {
				return err
			}
			if n != 0 {
				t.Errorf("B sees A's mapping")
			}
			tag, err := tx.Exec(ctx, `UPDATE connect_accounts SET tenant_id = $1 WHERE account_id = $2`, b.tenant, accountA)
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 0 {
				t.Errorf("B moved A's account to itself")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestEveryTenantTableIsCovered(t *testing.T) {
	ctx := context.Background()
	adm := admin(t)
	rows, err := adm.Pool.Query(ctx, `
		SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
		       EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname
		               AND p.qual LIKE '%app_tenant_id()%' AND p.with_check LIKE '%app_tenant_id()%'),
		       has_table_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, DELETE')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind = 'r'
		  AND EXISTS (SELECT 1 FROM information_schema.columns col
		              WHERE col.table_schema = 'public' AND col.table_name = c.relname AND col.column_name = 'tenant_id')
		ORDER BY c.relname`, migrations.AppRole)
	if err != nil {
		t.Fatal(err)
	}
	type table struct {
		name                          string
		enabled, forced, policy, gran bool
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var tb table
		err := r.Scan(&tb.name, &tb.enabled, &tb.forced, &tb.policy, &tb.gran)
		return tb, err
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range found {
		if platformTables[tb.name] {
			continue
		}
		names = append(names, tb.name)
		t.Run(tb.name+" has row-level security enabled, forced and a tenant policy", func(t *testing.T) {
			if !tb.enabled || !tb.forced || !tb.policy {
				t.Errorf("relrowsecurity=%t relforcerowsecurity=%t tenant policy=%t, want all true", tb.enabled, tb.forced, tb.policy)
			}
			if !tb.gran {
				t.Errorf("%s may not read and write it", migrations.AppRole)
			}
		})
	}
	var tested []string
	for _, tt := range tenantTables {
		tested = append(tested, tt.name)
	}
	slices.Sort(tested)
	t.Run("the row-level security test covers every table with a tenant_id column", func(t *testing.T) {
		if !slices.Equal(names, tested) {
			t.Errorf("tables with tenant_id = %v, TestRowLevelSecurity covers %v", names, tested)
		}
	})
	t.Run("the platform's tenants table is readable without tenant context", func(t *testing.T) {
		var n int
		if err := dbtest.DB(t).Pool.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&n); err != nil {
			t.Fatalf("read tenants as the application role: %v", err)
		}
	})
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	t.Run("LatestVersion is the highest numbered migration file", func(t *testing.T) {
		entries, err := os.ReadDir("../../migrations")
		if err != nil {
			t.Fatal(err)
		}
		var highest int64
		for _, e := range entries {
			num, _, ok := strings.Cut(e.Name(), "_")
			if !ok || !strings.HasSuffix(e.Name(), ".sql") {
				continue
			}
			v, err := strconv.ParseInt(num, 10, 64)
			if err != nil {
				t.Fatalf("migration %s has no numeric prefix", e.Name())
			}
			highest = max(highest, v)
		}
		if highest == 0 {
			t.Fatal("no migration files found")
		}
		if got := db.LatestVersion(); got != highest {
			t.Errorf("LatestVersion = %d, want %d", got, highest)
		}
	})
	t.Run("a freshly migrated database is current", func(t *testing.T) {
		ok, err := dbtest.DB(t).MigrationsCurrent(ctx)
		if err != nil || !ok {
			t.Fatalf("MigrationsCurrent = %t, %v; want true, nil", ok, err)
		}
	})
	t.Run("migrating a current database applies nothing", func(t *testing.T) {
		var out strings.Builder
		for range 2 {
			if err := db.Migrate(ctx, dbtest.AdminURL(t), &out); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
		}
		if out.Len() != 0 {
			t.Errorf("Migrate output = %q, want nothing applied", out.String())
		}
		ok, err := dbtest.DB(t).MigrationsCurrent(ctx)
		if err != nil || !ok {
			t.Fatalf("MigrationsCurrent = %t, %v; want true, nil", ok, err)
		}
	})
	t.Run("status lists every embedded migration as applied", func(t *testing.T) {
		var out strings.Builder
		if err := db.MigrationStatus(ctx, dbtest.AdminURL(t), &out); err != nil {
			t.Fatalf("MigrationStatus: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		ours := 0
		for _, l := range lines {
			if !strings.HasPrefix(l, "applied ") {
				t.Errorf("status line %q, want an applied migration", l)
			}
			if strings.Contains(l, ".sql") {
				ours++
			}
		}
		if ours != int(db.LatestVersion()) || len(lines) == ours {
			t.Errorf("status lists %d of our migrations (want %d) and %d of the job system's (want some):\n%s",
				ours, db.LatestVersion(), len(lines)-ours, out.String())
		}
	})
	t.Run("a database missing the latest migration is not current", func(t *testing.T) {
		adm := admin(t)
		latest := db.LatestVersion()
		if _, err := adm.Pool.Exec(ctx, `UPDATE goose_db_version SET is_applied = false WHERE version_id = $1`, latest); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = adm.Pool.Exec(context.Background(), `UPDATE goose_db_version SET is_applied = true WHERE version_id = $1`, latest)
		})
		ok, err := dbtest.DB(t).MigrationsCurrent(ctx)
		if err != nil || ok {
			t.Fatalf("MigrationsCurrent = %t, %v; want false, nil", ok, err)
		}
	})
	t.Run("the application role cannot rewrite the migration history", func(t *testing.T) {
		_, err := dbtest.DB(t).Pool.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (999999, true)`)
		if pgCode(err) != insufficientPrivilege {
			t.Errorf("insert into goose_db_version as the application role: err = %v, want permission denied (42501)", err)
		}
	})
}

func TestErrorHelpers(t *testing.T) {
	ctx := context.Background()
	d := dbtest.DB(t)
	f := newTenant(t, d)
	var slug string
	if err := d.Pool.QueryRow(ctx, `SELECT slug FROM tenants WHERE id = $1`, f.tenant).Scan(&slug); err != nil {
		t.Fatal(err)
	}
	dupSlug := d.InPlatform(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, currency) VALUES ($1, $2, 'Dup', 'usd')`, uuid.New(), slug)
		return err
	})
	ghost := uuid.New()
	missingTenant := d.InTenant(ctx, ghost, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (tenant_id, id, role, name, key_hash) VALUES ($1, $2, 'admin', 'x', '\x01')`, ghost, uuid.New())
		return err
	})
	badRole := d.InTenant(ctx, f.tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (tenant_id, id, role, name, key_hash) VALUES ($1, $2, 'owner', 'x', '\x02')`, f.tenant, uuid.New())
		return err
	})
	tests := []struct {
		name       string
		err        error
		constraint string // what Constraint returns
		unique     map[string]bool
	}{
		{"a duplicate slug is a unique violation of tenants_slug_key", dupSlug, "tenants_slug_key",
			map[string]bool{"": true, "tenants_slug_key": true, "tenants_pkey": false}},
		{"a wrapped unique violation is still recognised", fmt.Errorf("insert tenant: %w", dupSlug), "tenants_slug_key",
			map[string]bool{"": true, "tenants_slug_key": true}},
		{"a foreign-key violation names its constraint but is not a unique violation", missingTenant, "api_keys_tenant_id_fkey",
			map[string]bool{"": false, "api_keys_tenant_id_fkey": false}},
		{"a check violation is neither", badRole, "", map[string]bool{"": false}},
		{"a plain error is neither", errors.New("boom"), "", map[string]bool{"": false}},
		{"no error is neither", nil, "", map[string]bool{"": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := db.Constraint(tt.err); got != tt.constraint {
				t.Errorf("Constraint(%v) = %q, want %q", tt.err, got, tt.constraint)
			}
			for c, want := range tt.unique {
				if got := db.IsUniqueViolation(tt.err, c); got != want {
					t.Errorf("IsUniqueViolation(%v, %q) = %t, want %t", tt.err, c, got, want)
				}
			}
		})
	}
}

func TestURLHelpers(t *testing.T) {
	tests := []struct {
		name    string
		fn      func(string, string) (string, error)
		in, arg string
		want    string
	}{
		{"WithUser replaces the user and keeps the rest", db.WithUser,
			"postgres://postgres:secret@db:5432/app?sslmode=disable", "app_login", "postgres://app_login@db:5432/app?sslmode=disable"},
		{"WithUser accepts the postgresql scheme", db.WithUser, "postgresql://u@h/d", "v", "postgresql://v@h/d"},
		{"WithUser refuses a key/value connection string", db.WithUser, "host=db user=postgres", "v", ""},
		{"WithDatabase replaces the database and keeps the query", db.WithDatabase,
			"postgres://postgres@db:5432/postgres?sslmode=disable", "checkout", "postgres://postgres@db:5432/checkout?sslmode=disable"},
		{"WithDatabase refuses another scheme", db.WithDatabase, "mysql://u@h/d", "x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.fn(tt.in, tt.arg)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

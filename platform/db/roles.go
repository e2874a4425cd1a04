package db

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/migrations"
)

// ErrPrivilegedRole is returned by CheckAppRole when the application is
// connected as a role that row-level security does not bind.
var ErrPrivilegedRole = errors.New("db: application role bypasses row-level security")

// CheckAppRole verifies that the pool's role is subject to row-level
// security: not a superuser, not BYPASSRLS, and not the owner of the tenant
// tables. serve refuses to start otherwise.
func (d *DB) CheckAppRole(ctx context.Context) error {
	var user string
	var super, bypass, owner bool
	err := d.Pool.QueryRow(ctx, `
		SELECT r.rolname, r.rolsuper, r.rolbypassrls,
		       EXISTS (SELECT 1 FROM pg_tables t WHERE t.tablename = 'orders' AND t.tableowner = r.rolname)
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&user, &super, &bypass, &owner)
	if err != nil {
		return fmt.Errorf("check application role: %w", err)
	}
	if super || bypass || owner {
		return fmt.Errorf("%w: role %q (superuser=%t bypassrls=%t owner=%t); connect as a member of %s",
			ErrPrivilegedRole, user, super, bypass, owner, migrations.AppRole)
	}
	return nil
}

// EnsureLoginRole creates (if missing) the login role name as a member of the
// application's group role, using the privileged connection at adminURL, and
// returns adminURL with its user replaced by name. checkout dev and the tests
// use it on a trust-auth local server; production creates the role once, with
// a password, as the README shows.
func EnsureLoginRole(ctx context.Context, adminURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("connect as admin: %w", err)
	}
	defer conn.Close(ctx)
	quoted := pgx.Identifier{name}.Sanitize()
	_, err = conn.Exec(ctx, fmt.Sprintf(`
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) THEN
        CREATE ROLE %s LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$`, quoteLiteral(name), quoted))
	if err != nil {
		return "", fmt.Errorf("create login role: %w", err)
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`GRANT %s TO %s`,
		pgx.Identifier{migrations.AppRole}.Sanitize(), quoted)); err != nil {
		return "", fmt.Errorf("grant application role: %w", err)
	}
	return WithUser(adminURL, name)
}

// WithUser returns the connection URL u with its user replaced by user.
// Key/value connection strings are not supported.
func WithUser(u, user string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
		return "", fmt.Errorf("database url must be a postgres:// URL")
	}
	parsed.User = url.User(user)
	return parsed.String(), nil
}

// WithDatabase returns the connection URL u pointing at database name.
func WithDatabase(u, name string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
		return "", fmt.Errorf("database url must be a postgres:// URL")
	}
	parsed.Path = "/" + name
	return parsed.String(), nil
}

func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Package dbtest gives each test package its own freshly created, migrated
// PostgreSQL database, connected as the application's non-privileged role so
// row-level security is in force exactly as in production.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }
//
// and call dbtest.DB(t) in tests. TEST_DATABASE_URL names the server (a
// role that may create databases and roles); it defaults to the local
// PostgreSQL. A server that does not answer fails the run: it never skips.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/db"
)

// DefaultURL is used when TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AppLoginRole is the login role tests connect as.
const AppLoginRole = "checkout_test_app"

var (
	shared   *db.DB
	adminURL string
)

// Run creates the package's database, runs the tests and drops it.
func Run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	name, err := setup(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: PostgreSQL is required for these tests: %v\n", err)
		return 1
	}
	code := m.Run()
	shared.Close()
	if err := drop(context.Background(), name); err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: drop %s: %v\n", name, err)
	}
	return code
}

// DB returns the package's database, connected as the application role.
func DB(t testing.TB) *db.DB {
	t.Helper()
	if shared == nil {
		t.Fatal("dbtest: call dbtest.Run from TestMain")
	}
	return shared
}

// AdminURL returns a privileged URL of the package's database, for tests
// that must look past row-level security.
func AdminURL(t testing.TB) string {
	t.Helper()
	return adminURL
}

func setup(ctx context.Context) (string, error) {
	server := os.Getenv("TEST_DATABASE_URL")
	if server == "" {
		server = DefaultURL
	}
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "checkout_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	adminURL, err = db.WithDatabase(server, name)
	if err != nil {
		return name, err
	}
	if err := db.Migrate(ctx, adminURL, io.Discard); err != nil {
		return name, err
	}
	appURL, err := db.EnsureLoginRole(ctx, adminURL, AppLoginRole)
	if err != nil {
		return name, err
	}
	shared, err = db.Open(ctx, appURL)
	if err != nil {
		return name, err
	}
	return name, shared.CheckAppRole(ctx)
}

func drop(ctx context.Context, name string) error {
	server := os.Getenv("TEST_DATABASE_URL")
	if server == "" {
		server = DefaultURL
	}
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	return err
}

package db_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/db"
)

func TestTranslate(t *testing.T) {
	ctx := context.Background()
	refusedURL := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return "postgres://postgres@" + ln.Addr().String() + "/postgres?sslmode=disable&connect_timeout=5"
	}()
	_, connectErr := pgx.Connect(ctx, refusedURL)
	if connectErr == nil {
		t.Fatal("a connect to a closed port succeeded")
	}
	deadline, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	<-deadline.Done()
	_, deadlineErr := dbtest.DB(t).Pool.Exec(deadline, `SELECT 1`)

	cases := []struct {
		name        string
		err         error
		unavailable bool
	}{
		{"a refused connection", connectErr, true},
		{"a refused connection, wrapped by a store", fmt.Errorf("read order: %w", connectErr), true},
		{"a statement out of time", deadlineErr, true},
		{"the server shutting down (57P01)", &pgconn.PgError{Code: "57P01"}, true},
		{"the server starting or stopping (57P03)", &pgconn.PgError{Code: "57P03"}, true},
		{"a connection failure (08006)", &pgconn.PgError{Code: "08006"}, true},
		{"no connection slot left (53300)", &pgconn.PgError{Code: "53300"}, true},
		{"a connection lost under a statement", fmt.Errorf("insert order: %w", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}), true},
		{"a unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"a syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"no rows", pgx.ErrNoRows, false},
		{"a domain error", errors.New("orders: transition not allowed"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := db.Translate(c.err)
			if errors.Is(got, db.ErrUnavailable) != c.unavailable {
				t.Fatalf("Translate(%v) = %v, unavailable %t, want %t", c.err, got, !c.unavailable, c.unavailable)
			}
			if !errors.Is(got, c.err) {
				t.Errorf("Translate(%v) = %v, which no longer wraps the error", c.err, got)
			}
			if again := db.Translate(got); again != got {
				t.Errorf("Translate is not idempotent: %v, then %v", got, again)
			}
		})
	}
	if db.Translate(nil) != nil {
		t.Error("Translate(nil) is not nil")
	}

	t.Run("a transaction on a pool whose server is gone fails ErrUnavailable", func(t *testing.T) {
		pool, err := pgxpool.New(ctx, refusedURL) // connects lazily
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		gone := &db.DB{Pool: pool}
		if err := gone.InTenant(ctx, uuid.New(), func(pgx.Tx) error { return nil }); !errors.Is(err, db.ErrUnavailable) {
			t.Errorf("InTenant = %v, want ErrUnavailable", err)
		}
		if err := gone.InPlatform(ctx, func(pgx.Tx) error { return nil }); !errors.Is(err, db.ErrUnavailable) {
			t.Errorf("InPlatform = %v, want ErrUnavailable", err)
		}
	})
}

package db

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUnavailable: the database could not be reached or would not take the
// work now (stopped, restarting, shutting down, the network to it cut, a
// statement out of time). Nothing about the request was wrong, and the same
// request may succeed once the database answers again; a transaction that
// failed this way committed nothing, unless the failure cut its COMMIT.
var ErrUnavailable = errors.New("db: database unavailable")

// Translate returns err marked with ErrUnavailable (errors.Is finds both)
// when it says the database is unreachable or unavailable, and err itself
// otherwise. The stores apply it to what the driver returns, so callers
// above them test for the sentinel and never for the driver's types.
func Translate(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || !unavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// unavailable recognises the driver's ways of saying the database is not
// there: a failed connect, a connection lost or closed under a statement,
// a network error or timeout, a deadline, and the server's own SQLSTATEs
// for it (class 08, connection exception; 57P01-57P03, admin or crash
// shutdown and "cannot connect now" while starting or stopping; 53300, no
// connection slot left).
func unavailable(err error) bool {
	var (
		connectErr *pgconn.ConnectError
		pgErr      *pgconn.PgError
		netErr     net.Error
	)
	switch {
	case errors.As(err, &pgErr):
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03" ||
			pgErr.Code == "53300"
	case errors.As(err, &connectErr), errors.As(err, &netErr), pgconn.SafeToRetry(err), pgconn.Timeout(err):
		return true
	}
	return errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded)
}

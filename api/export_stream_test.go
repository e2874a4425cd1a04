package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
)

// slowReader reads at most chunk bytes per call and pauses after each, so a
// download through it takes about size/chunk*pause.
type slowReader struct {
	r     io.Reader
	chunk int
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(p) > s.chunk {
		p = p[:s.chunk]
	}
	n, err := s.r.Read(p)
	time.Sleep(s.pause)
	return n, err
}

// smallSendBuffers accepts connections with a fixed, small send buffer, so
// that the kernel cannot absorb a download a client reads slowly: the
// server's writes block as long as the client is behind.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(64 << 10)
	}
	return c, err
}

// serveSlowLoopback serves e's app on a loopback port with small send
// buffers and returns its address.
func serveSlowLoopback(t *testing.T, e *env) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(smallSendBuffers{ln}) }()
	t.Cleanup(func() { _ = e.app.Shutdown() })
	return ln.Addr().String()
}

// startExport requests path over a new loopback connection with a fixed
// receive buffer and returns the response once its head is read; the body
// is read through wrap's wrapping of the connection.
func startExport(t *testing.T, addr, path, token string, wrap func(io.Reader) io.Reader) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := conn.(*net.TCPConn).SetReadBuffer(256 << 10); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", path, token)
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(wrap(conn)), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	t.Cleanup(func() { _ = res.Body.Close() })
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", path, res.StatusCode)
	}
	return res
}

// poolSampler counts, every interval until stopped, how often the package's
// pool has a connection acquired.
type poolSampler struct {
	stop          chan struct{}
	done          sync.WaitGroup
	samples, held int
}

func samplePool(t *testing.T, interval time.Duration) *poolSampler {
	t.Helper()
	pool := dbtest.DB(t).Pool
	s := &poolSampler{stop: make(chan struct{})}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
				s.samples++
				if pool.Stat().AcquiredConns() > 0 {
					s.held++
				}
			}
		}
	}()
	return s
}

// Stop ends the sampling and returns the counts.
func (s *poolSampler) Stop() (samples, held int) {
	close(s.stop)
	s.done.Wait()
	return s.samples, s.held
}

func TestExportOverASlowConnection(t *testing.T) {
	const n = 20000
	const writeTimeout = time.Second
	e := newEnv(t)
	// The export keeps the server's WriteTimeout as its idle bound; a short
	// one makes a download of a few seconds span several of them.
	e.app.Server().WriteTimeout = writeTimeout
	l := e.newLeague()
	p := e.product(l, freeJersey("Jersey"))
	customerID, _, players := e.household(l, "Ann")
	fillOrders(t, l.ID, p["id"].(string), customerID, players[0], n)
	addr := serveSlowLoopback(t, e)
	path := l.Base + "/admin/orders.csv"

	t.Run("a client reading slowly past several write timeouts gets the whole CSV and holds no connection", func(t *testing.T) {
		start := time.Now()
		res := startExport(t, addr, path, l.Viewer, func(r io.Reader) io.Reader {
			return &slowReader{r: r, chunk: 4 << 10, pause: 5 * time.Millisecond}
		})
		pool := samplePool(t, 25*time.Millisecond)
		body, err := io.ReadAll(res.Body)
		samples, held := pool.Stop()
		elapsed := time.Since(start)
		if err != nil {
			t.Fatalf("the download broke after %v and %d bytes: %v", elapsed, len(body), err)
		}
		if elapsed < 3*writeTimeout {
			t.Fatalf("the download took %v, not over 3 write timeouts: the test proves nothing", elapsed)
		}
		records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatalf("the export is not valid CSV: %v", err)
		}
		if len(records) != n+1 {
			t.Fatalf("%d records, want the header and %d orders", len(records), n)
		}
		seen := map[string]bool{}
		for _, r := range records[1:] {
			seen[r[0]] = true
		}
		if len(seen) != n {
			t.Errorf("%d distinct orders, want %d", len(seen), n)
		}
		// Only a batch's own read holds a connection, a small part of the
		// download; writing to the client inside the transaction held one
		// throughout.
		if samples < 20 || held*2 > samples {
			t.Errorf("a connection was held in %d of %d samples over %v", held, samples, elapsed)
		}
	})

	t.Run("a client that stops reading is still cut after the write timeout", func(t *testing.T) {
		res := startExport(t, addr, path, l.Viewer, func(r io.Reader) io.Reader { return r })
		got, err := io.ReadFull(res.Body, make([]byte, 64<<10))
		if err != nil {
			t.Fatalf("read the first %d bytes: %v", got, err)
		}
		time.Sleep(3 * writeTimeout)
		rest, err := io.ReadAll(res.Body)
		if err == nil {
			t.Fatalf("the stalled download completed (%d more bytes); want it cut", len(rest))
		}
	})

	t.Run("an export that fails midway breaks the transfer rather than ending it cleanly", func(t *testing.T) {
		res := startExport(t, addr, path, l.Viewer, func(r io.Reader) io.Reader {
			return &slowReader{r: r, chunk: 4 << 10, pause: 5 * time.Millisecond}
		})
		got, err := io.ReadFull(res.Body, make([]byte, 64<<10))
		if err != nil {
			t.Fatalf("read the first %d bytes: %v", got, err)
		}
		// The next batch's query fails: the export stops partway through.
		admin(t, `REVOKE SELECT ON players FROM checkout_app`)
		t.Cleanup(func() { admin(t, `GRANT SELECT ON players TO checkout_app`) })
		rest, err := io.ReadAll(res.Body)
		if err == nil {
			t.Fatalf("the failed export ended like a complete one after %d more bytes", len(rest))
		}
	})
}

// admin runs sql as the database's owner.
func admin(t *testing.T, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

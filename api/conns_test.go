package api_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/leaguepay/checkout/api"
)

// serveLimited serves e on loopback behind api.LimitListener.
func serveLimited(t *testing.T, e *env, perClient int, exempt []string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(api.LimitListener(ln, perClient, exempt)) }()
	t.Cleanup(func() { _ = e.app.Shutdown() })
	return ln.Addr().String()
}

// healthOn asks /healthz on conn and returns the status.
func healthOn(t *testing.T, conn net.Conn) int {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestConnectionsPerClient(t *testing.T) {
	t.Run("a client past its connections is answered 429 and the others keep working", func(t *testing.T) {
		addr := serveLimited(t, newEnv(t), 3, nil)
		var held []net.Conn
		for range 3 {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			held = append(held, c)
		}
		for _, c := range held {
			if got := healthOn(t, c); got != 200 {
				t.Fatalf("a connection within the bound: %d", got)
			}
		}
		extra, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer extra.Close()
		if got := healthOn(t, extra); got != 429 {
			t.Errorf("the fourth connection: %d, want 429", got)
		}
		held[0].Close()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			got := healthOn(t, c)
			c.Close()
			if got == 200 {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Error("a closed connection's slot never came back")
	})
	t.Run("a trusted proxy's connections are not bounded", func(t *testing.T) {
		addr := serveLimited(t, newEnv(t), 1, []string{"127.0.0.0/8"})
		for range 3 {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := healthOn(t, c); got != 200 {
				t.Errorf("a proxy's connection: %d, want 200", got)
			}
		}
	})
}

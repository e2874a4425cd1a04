package stripemock

import (
	"strings"
	"sync"
	"testing"
)

// Server is a stripe-mock process that a test may kill, to see what the
// platform does when Stripe goes away in the middle of its work, and start
// again on the same address, so clients configured with URL reach it once
// more.
type Server struct {
	// URL is the address (http://127.0.0.1:PORT), the same across restarts.
	URL string

	bin string
	mu  sync.Mutex
	p   *process // nil while killed
}

// StartServer starts a stripe-mock process of tb's own, stopped when tb's
// test ends; it fails tb when stripe-mock cannot be built or started.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	bin, err := acquireBinary()
	if err != nil {
		tb.Fatalf("stripemock: stripe-mock is required for this test: %v", err)
	}
	p, err := launch(bin, "127.0.0.1:")
	if err != nil {
		releaseBinary()
		tb.Fatalf("stripemock: stripe-mock is required for this test: %v", err)
	}
	s := &Server{URL: p.url, bin: bin, p: p}
	tb.Cleanup(func() {
		s.Kill()
		releaseBinary()
	})
	return s
}

// Kill ends the process at once (SIGKILL) and waits until it is gone: its
// connections are cut and new ones refused. Killing a killed server does
// nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil {
		s.p.kill()
		s.p = nil
	}
}

// Restart starts a new process on the server's address once it has been
// killed, returning when it answers; a running server is left alone.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil {
		return
	}
	p, err := launch(s.bin, strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		tb.Fatalf("stripemock: restart on %s: %v", s.URL, err)
	}
	s.p = p
}

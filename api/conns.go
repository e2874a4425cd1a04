package api

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// DefaultConnsPerClient is the most connections one peer address may hold
// open at once when the configuration does not say.
const DefaultConnsPerClient = 128

// LimitListener bounds the connections one peer address may hold open at
// once to perClient (0: no bound). A connection past the bound is answered
// with a bare 429 and closed, before any of its bytes are read. Peers in
// exempt (IPs or CIDRs: the trusted proxies, whose connections carry many
// clients) are not bounded; their clients are bounded by the rate limit.
// It panics on an exempt entry that is neither an IP nor a CIDR.
func LimitListener(ln net.Listener, perClient int, exempt []string) net.Listener {
	if perClient <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, max: perClient, exempt: parseProxies(exempt), open: map[netip.Addr]int{}}
}

type limitListener struct {
	net.Listener
	max    int
	exempt []netip.Prefix
	mu     sync.Mutex
	open   map[netip.Addr]int
}

// tooMany is the whole answer to a connection past the bound.
const tooMany = "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: 1\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 37\r\n\r\ntoo many connections from this client"

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := peerAddr(c)
		if !addr.IsValid() || l.isExempt(addr) {
			return c, nil
		}
		l.mu.Lock()
		if l.open[addr] >= l.max {
			l.mu.Unlock()
			go refuse(c)
			continue
		}
		l.open[addr]++
		l.mu.Unlock()
		return &countedConn{Conn: c, release: func() { l.release(addr) }}, nil
	}
}

func (l *limitListener) isExempt(a netip.Addr) bool {
	for _, p := range l.exempt {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (l *limitListener) release(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[a]--; l.open[a] <= 0 {
		delete(l.open, a)
	}
}

func refuse(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write([]byte(tooMany))
	_ = c.Close()
}

func peerAddr(c net.Conn) netip.Addr {
	if tcp, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		a, _ := netip.AddrFromSlice(tcp.IP)
		return a.Unmap()
	}
	return netip.Addr{}
}

// countedConn gives its slot back once, when it closes.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

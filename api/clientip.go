package api

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// parseProxies turns Deps.TrustedProxies (IPs or CIDRs) into prefixes, an
// address becoming a /32 or /128. cmd/checkout's config has already refused
// malformed entries, so one here is a wiring mistake.
func parseProxies(list []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, unmapPrefix(p).Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			panic(fmt.Sprintf("api: trusted proxy %q is not an IP or CIDR", s))
		}
		a = a.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out
}

// unmapPrefix writes an IPv4-mapped IPv6 prefix (::ffff:10.0.0.0/104) as
// the IPv4 prefix it means, since addresses are compared unmapped.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

// trusted reports whether a is one of the trusted proxies.
func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address of the client, for rate limits and contract
// evidence. The peer is the client unless it is a trusted proxy; then
// X-Forwarded-For (all its lines, as one list) is read from the right, each
// proxy having appended the address it saw: the first address that is not
// a trusted proxy is the client. Entries to its left were written by the
// client and are ignored, so it cannot choose its address by prepending
// one. When every entry is a trusted proxy the leftmost is taken; a
// malformed entry ends the walk, since no trusted proxy wrote it.
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if len(s.proxies) == 0 || !s.trusted(peer) {
		return peer.String()
	}
	var entries []string
	c.Request().Header.VisitAll(func(key, value []byte) {
		if strings.EqualFold(string(key), fiber.HeaderXForwardedFor) {
			entries = append(entries, strings.Split(string(value), ",")...)
		}
	})
	client := peer
	for i := len(entries) - 1; i >= 0; i-- {
		a, ok := forwardedAddr(entries[i])
		if !ok {
			break
		}
		client = a
		if !s.trusted(a) {
			break
		}
	}
	return client.String()
}

// forwardedAddr parses one X-Forwarded-For entry: an address, possibly with
// a port ("192.0.2.1:4711", "[2001:db8::1]:4711") as some proxies write it.
func forwardedAddr(entry string) (netip.Addr, bool) {
	entry = strings.TrimSpace(entry)
	a, err := netip.ParseAddr(entry)
	if err != nil {
		ap, perr := netip.ParseAddrPort(entry)
		if perr != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}

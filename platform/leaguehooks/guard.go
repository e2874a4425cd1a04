package leaguehooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// Guard keeps deliveries off the platform's own network (server-side
// request forgery): an endpoint URL must be https and resolve only to
// public addresses, and every connection a delivery opens — redirects
// included, and whatever DNS answers by then — is checked again at dial
// time, on the address actually dialed.
type Guard struct {
	// AllowLoopback admits loopback addresses, over http or https
	// (CHECKOUT_WEBHOOKS_ALLOW_LOOPBACK: checkout dev and tests).
	AllowLoopback bool
	// Resolver looks names up; nil is net.DefaultResolver.
	Resolver *net.Resolver
}

// errForbiddenAddress is a delivery refused at dial time.
var errForbiddenAddress = errors.New("leaguehooks: address not allowed for webhooks")

// blocked are the ranges no delivery may reach, beyond what netip's
// predicates name: shared address space (carrier-grade NAT), benchmark
// nets, IPv4-mapped and NAT64 forms, documentation ranges, 0.0.0.0/8.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// allowed reports whether a delivery may connect to ip.
func (g Guard) allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return g.AllowLoopback
	}
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false // includes 169.254.169.254, the cloud metadata address
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// CheckURL returns why raw may not be an endpoint ("" when it may): it
// must be an absolute https URL (http too, to loopback, when loopback is
// allowed) without credentials, whose host resolves, now, only to allowed
// addresses.
func (g Guard) CheckURL(ctx context.Context, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "must be an absolute https URL"
	}
	if u.User != nil {
		return "must not carry credentials"
	}
	if u.Fragment != "" {
		return "must not have a fragment"
	}
	host := u.Hostname()
	ips, err := g.lookup(ctx, host)
	if err != nil || len(ips) == 0 {
		return "must name a host that resolves"
	}
	loopback := true
	for _, ip := range ips {
		if !g.allowed(ip) {
			return "must not resolve to a loopback, private, link-local or metadata address"
		}
		loopback = loopback && ip.Unmap().IsLoopback()
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback && g.AllowLoopback:
	default:
		return "must be an https URL"
	}
	return ""
}

func (g Guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip}, nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	return r.LookupNetIP(ctx, "ip", host)
}

// control is the dialer's hook: it refuses a connection to an address the
// guard does not allow, after DNS, so a name that resolved to a public
// address when the endpoint was made cannot be turned inward later.
func (g Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errForbiddenAddress, address)
	}
	if !g.allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", errForbiddenAddress, ap.Addr())
	}
	return nil
}

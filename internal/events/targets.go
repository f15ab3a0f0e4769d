package events

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"github.com/rosterhq/roster/internal/fault"
)

// Targets decides which URLs webhooks may be sent to. The zero value is
// the production policy: https only, and no address of roster's own
// networks.
type Targets struct {
	// AllowPrivate lets endpoints reach loopback, private, link-local and
	// metadata addresses, and use plain http: for tests and for receivers
	// on the operator's own network (--webhook-allow-private-targets).
	AllowPrivate bool
	// LookupIP resolves a host name; net.DefaultResolver when nil. Tests
	// replace it to make a name resolve where they want.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
}

// refused are the networks a webhook must not reach unless AllowPrivate:
// what only roster's side of the network can address, where a request
// forged through a webhook would reach internal services.
var refused = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.169.254/32"), "the cloud metadata address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("224.0.0.0/3"), "a multicast or reserved address"},
	{netip.MustParsePrefix("::/128"), "the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("64:ff9b::/96"), "a NAT64 address"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "the cloud metadata address"},
	{netip.MustParsePrefix("fc00::/7"), "a private (unique local) address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

// checkAddr returns why a webhook may not connect to a, or nil.
func (p Targets) checkAddr(a netip.Addr) error {
	if p.AllowPrivate {
		return nil
	}
	a = a.Unmap()
	for _, r := range refused {
		if r.prefix.Contains(a) {
			return fmt.Errorf("%s is %s", a, r.what)
		}
	}
	return nil
}

func (p Targets) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, nil
	}
	if p.LookupIP != nil {
		return p.LookupIP(ctx, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// CheckURL validates an endpoint URL: absolute, https (http too with
// AllowPrivate), no credentials, and a host that resolves only to
// addresses a webhook may reach. Errors are fault.Invalid, for people.
func (p Targets) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return fault.Invalidf("url %q: want an absolute URL such as https://app.example.com/webhooks/roster", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.AllowPrivate:
	default:
		return fault.Invalidf("url %q: webhooks are sent over https only", raw)
	}
	if u.User != nil {
		return fault.Invalidf("url %q: credentials in the URL are not allowed; verify the signature instead", raw)
	}
	if u.Fragment != "" {
		return fault.Invalidf("url %q: a fragment is never sent; remove it", raw)
	}
	if p.AllowPrivate {
		return nil
	}
	addrs, err := p.lookup(ctx, u.Hostname())
	if err != nil {
		return fault.Invalidf("url %q: %s does not resolve: %v", raw, u.Hostname(), err)
	}
	if len(addrs) == 0 {
		return fault.Invalidf("url %q: %s has no address", raw, u.Hostname())
	}
	for _, a := range addrs {
		if err := p.checkAddr(a); err != nil {
			return fault.Invalidf("url %q: %s resolves to %v, which webhooks may not reach", raw, u.Hostname(), err)
		}
	}
	return nil
}

// errRefusedTarget marks a connection the policy refused.
var errRefusedTarget = errors.New("target refused")

// dial connects to addr ("host:port") only through addresses the policy
// allows. The name is resolved here, and each address checked again by
// the dialer's Control hook on the socket about to connect, so a name
// that resolved to a public address when the endpoint was made and to an
// internal one now (DNS rebinding) is refused.
func (p Targets) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := p.lookup(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	d := net.Dialer{Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", errRefusedTarget, address, err)
		}
		if err := p.checkAddr(ap.Addr()); err != nil {
			return fmt.Errorf("%w: %v", errRefusedTarget, err)
		}
		return nil
	}}
	var errs []error
	for _, a := range addrs {
		if err := p.checkAddr(a); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s resolves to %v", errRefusedTarget, host, err))
			continue
		}
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%s has no address", host)
	}
	return nil, errors.Join(errs...)
}

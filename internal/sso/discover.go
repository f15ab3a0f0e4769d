package sso

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// ErrNoDomain: no organization has verified the domain asked about.
var ErrNoDomain = fault.NotFoundf("no organization signs in people of that domain")

// NormalizeDomain returns a domain in the form it is stored and compared
// in: lower case, without a trailing dot, made of DNS labels (letters,
// digits, hyphens; 1–63 characters, not starting or ending with a hyphen)
// with at least two of them and a top-level label that is not a number.
// Internationalized domains are given in their xn-- form.
func NormalizeDomain(raw string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(raw)), ".")
	bad := func(why string) (string, error) {
		return "", fault.Invalidf("domain %q: %s; give a domain such as example.com", raw, why)
	}
	if d == "" {
		return bad("it is empty")
	}
	if len(d) > 253 {
		return bad("it is longer than 253 characters")
	}
	if _, err := netip.ParseAddr(strings.Trim(d, "[]")); err == nil {
		return bad("it is an IP address")
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return bad("it has no dot")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return bad("each part between dots must have 1 to 63 characters and not start or end with a hyphen")
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return bad("only letters, digits, hyphens and dots are allowed (write internationalized domains in their xn-- form)")
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return bad("its last part is a number")
	}
	return d, nil
}

// DomainOf returns the normalized domain of an e-mail address, or of a
// bare domain.
func DomainOf(emailOrDomain string) (string, error) {
	v := strings.TrimSpace(emailOrDomain)
	if i := strings.LastIndexByte(v, '@'); i >= 0 {
		if i == 0 {
			return "", fault.Invalidf("%q is not an e-mail address: nothing before the @", emailOrDomain)
		}
		v = v[i+1:]
	}
	return NormalizeDomain(v)
}

// AddDomain makes a domain one of the organization's verified domains, so
// discovery sends people of that domain to its sign-in. The operator or
// the host app vouches for the verification. A domain belongs to one
// organization at most: a second claim is a fault.Conflict. Event
// "org.domain_added".
func (s *Service) AddDomain(ctx context.Context, actor store.Actor, orgID, domain string) (store.OrgDomain, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return store.OrgDomain{}, err
	}
	if _, err := s.EnterpriseOrg(ctx, orgID); err != nil {
		return store.OrgDomain{}, err
	}
	rec, err := s.Store.AddOrgDomain(ctx, actor, orgID, d)
	if fault.Is(err, fault.Conflict) {
		owner, gerr := s.Store.OrgDomain(ctx, d)
		if gerr == nil && owner.OrgID == orgID {
			return store.OrgDomain{}, fault.Conflictf("domain %s is already one of this organization's", d)
		}
		return store.OrgDomain{}, fault.Conflictf("domain %s belongs to another organization; a domain signs in through one organization only", d)
	}
	return rec, err
}

// RemoveDomain removes one of the organization's domains (event
// "org.domain_removed"); a domain it does not have is a fault.NotFound.
func (s *Service) RemoveDomain(ctx context.Context, actor store.Actor, orgID, domain string) error {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return err
	}
	if _, err := s.Org(ctx, orgID); err != nil {
		return err
	}
	if err := s.Store.RemoveOrgDomain(ctx, actor, orgID, d); fault.Is(err, fault.NotFound) {
		return fault.NotFoundf("domain %s is not one of this organization's", d)
	} else if err != nil {
		return err
	}
	return nil
}

// Domains lists the organization's verified domains.
func (s *Service) Domains(ctx context.Context, orgID string) ([]store.OrgDomain, error) {
	if _, err := s.Org(ctx, orgID); err != nil {
		return nil, err
	}
	ds, err := s.Store.ListOrgDomains(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("domains of %s: %w", orgID, err)
	}
	if ds == nil {
		ds = []store.OrgDomain{}
	}
	return ds, nil
}

// Discover returns the organization that signs in people with the e-mail
// address (or domain) given: the one that verified its domain. An address
// that is no address is a fault.Invalid; a domain nobody claims is
// ErrNoDomain.
func (s *Service) Discover(ctx context.Context, emailOrDomain string) (store.Org, error) {
	d, err := DomainOf(emailOrDomain)
	if err != nil {
		return store.Org{}, err
	}
	rec, err := s.Store.OrgDomain(ctx, d)
	if fault.Is(err, fault.NotFound) {
		return store.Org{}, ErrNoDomain
	}
	if err != nil {
		return store.Org{}, fmt.Errorf("discover the organization of %s: %w", d, err)
	}
	return s.Org(ctx, rec.OrgID)
}

package sso

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/store"
)

// Store is what package sso needs of the store. Only this package calls
// it: the HTTP edge (package signin) goes through Service.
type Store interface {
	store.SSOStore
}

// PlanGuard is the one enterprise-plan check, access's: nil when the
// organization's plan includes SCIM and SSO, otherwise a fault.PlanRequired
// whose message says so and how to upgrade.
type PlanGuard interface {
	RequireEnterprise(ctx context.Context, orgID string) error
}

// Orgs is what sso needs of the organization service: the organization,
// its plan guard, and its owners and admins (named on refusal pages).
// *access.Service provides it.
type Orgs interface {
	PlanGuard
	Org(ctx context.Context, orgID string) (store.Org, error)
	ListOrgRoles(ctx context.Context, orgID, after string, limit int) ([]store.OrgMember, error)
}

// Users is what sign-in needs of the directory: lookups for linking and
// creation for just-in-time provisioning. *directory.Service provides it
// (and tells the access caches about the users it creates).
type Users interface {
	GetUser(ctx context.Context, orgID, id string) (store.User, error)
	QueryUsers(ctx context.Context, orgID string, q store.Query) (store.Page[store.User], error)
	CreateUser(ctx context.Context, actor store.Actor, u store.User) (store.User, error)
	// UserGroups returns the groups each user is a direct member of.
	UserGroups(ctx context.Context, orgID string, ids []string) (map[string][]store.GroupRef, error)
}

// Joiner records the memberships a user's groups make them eligible for;
// StartSession calls JoinGranted after each successful sign-in, so a
// user's first sign-in joins the workspaces their groups grant (it must be
// idempotent), and the member page lists what the user reaches (UserReach)
// and joins one resource at a click (Join). *access.Service provides it.
type Joiner interface {
	JoinGranted(ctx context.Context, actor store.Actor, orgID, userID string) ([]store.ResourceMember, error)
	UserReach(ctx context.Context, orgID, userID string) ([]access.Reach, error)
	Join(ctx context.Context, actor store.Actor, orgID, userID string, rt store.ResourceType, resourceID string) (access.Decision, []store.ResourceMember, error)
}

// ErrNotConfigured: the organization has uploaded no IdP metadata.
var ErrNotConfigured = errors.New("SAML single sign-on is not configured")

// Service is roster's single sign-on domain: organizations' SAML
// configurations (the URLs roster publishes as a service provider, the IdP
// metadata, uploaded or fetched from a URL and refreshed, and the
// settings), the sign-ins in flight, the replay cache, linking a subject
// to its user, sessions and refused sign-ins. Every change is recorded in
// the organization's event log by the store, in the transaction that makes
// it.
type Service struct {
	Store Store
	// Orgs reads organizations and refuses those whose plan does not
	// include SSO.
	Orgs Orgs
	// Users links subjects to users and creates them just in time; needed
	// for sign-in only.
	Users Users
	// Joiner, when set, is called after every successful sign-in; the
	// member page needs it.
	Joiner Joiner
	// DefaultRedirectURL is where sign-ins are handed to the host app for
	// organizations that set no sign_in_redirect_url; "" shows them the
	// member page instead.
	DefaultRedirectURL string
	// Metrics counts sign-ins and redemptions; nil counts nothing.
	Metrics *Metrics
	// MaxPending caps each organization's sign-ins in flight;
	// MaxPendingRequests when 0.
	MaxPending int
	// BaseURL is roster's public URL: the SP URLs of an organization whose
	// configuration stores no base URL of its own are derived from it.
	BaseURL string
	// HTTPClient fetches metadata URLs; a client with a 15 s timeout when
	// nil.
	HTTPClient *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives the failures of bookkeeping that must not fail a
	// request (touching a session, joining after sign-in); slog.Default
	// when nil.
	Logger *slog.Logger
	// IdleTimeout ends a session unused for that long; MaxAge ends every
	// session that long after sign-in (or at the IdP's
	// SessionNotOnOrAfter, if sooner). Defaults DefaultIdleTimeout and
	// DefaultMaxAge.
	IdleTimeout, MaxAge time.Duration
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// URLs are the addresses roster publishes for one organization as a SAML
// service provider. They are stable: derived from the organization's base
// URL (stored with its configuration, or the server's) and its id only.
type URLs struct {
	// EntityID is the SP entity id (the "Audience URI" in Okta, the
	// "Identifier" in Entra). It is also where the SP metadata is served.
	EntityID string `json:"entity_id"`
	// MetadataURL serves the SP metadata XML.
	MetadataURL string `json:"metadata_url"`
	// ACSURL is the Assertion Consumer Service (HTTP-POST binding): Okta's
	// "Single sign-on URL", Entra's "Reply URL".
	ACSURL string `json:"acs_url"`
	// LoginURL starts an SP-initiated sign-in (Entra's "Sign on URL").
	LoginURL string `json:"login_url"`
}

// URLs returns the organization's SP URLs, derived from the base URL its
// configuration stores, or from the server's when it stores none.
func (s *Service) URLs(c store.SAMLConfig) URLs {
	base := c.BaseURL
	if base == "" {
		base = s.BaseURL
	}
	base = strings.TrimSuffix(base, "/") + PathPrefix + url.PathEscape(c.OrgID)
	return URLs{EntityID: base + "/metadata", MetadataURL: base + "/metadata", ACSURL: base + "/acs", LoginURL: base + "/login"}
}

// Secure reports whether roster is reached over HTTPS, which decides the
// cookies' Secure attribute.
func (s *Service) Secure() bool { return strings.HasPrefix(strings.ToLower(s.BaseURL), "https://") }

// Org returns the organization, or a fault.NotFound naming it.
func (s *Service) Org(ctx context.Context, orgID string) (store.Org, error) {
	o, err := s.Orgs.Org(ctx, orgID)
	if err != nil && !fault.Is(err, fault.NotFound) {
		return store.Org{}, fmt.Errorf("organization %s: %w", orgID, err)
	}
	return o, err
}

// EnterpriseOrg returns the organization when its plan includes SSO. On
// another plan it returns the organization all the same (for the name on
// a page) with the plan guard's fault.PlanRequired, which says how to
// upgrade.
func (s *Service) EnterpriseOrg(ctx context.Context, orgID string) (store.Org, error) {
	o, err := s.Org(ctx, orgID)
	if err != nil {
		return o, err
	}
	if err := s.Orgs.RequireEnterprise(ctx, orgID); err != nil {
		return o, err
	}
	return o, nil
}

// Config returns the organization's configuration, or the defaults when it
// has none yet.
func (s *Service) Config(ctx context.Context, orgID string) (store.SAMLConfig, error) {
	c, err := s.Store.GetSAMLConfig(ctx, orgID)
	if errors.Is(err, store.ErrNotFound) {
		return store.DefaultSAMLConfig(orgID), nil
	}
	return c, err
}

// SPConfig returns what package saml needs to validate the organization's
// responses: our URLs, the parsed IdP metadata and the settings. It fails
// with ErrNotConfigured before any metadata is uploaded.
func (s *Service) SPConfig(orgID string, c store.SAMLConfig) (saml.SPConfig, error) {
	u := s.URLs(c)
	cfg := saml.SPConfig{
		EntityID: u.EntityID, ACSURL: u.ACSURL, MetadataURL: u.MetadataURL,
		AllowSHA1: c.AllowSHA1, WantAssertionsSigned: c.WantAssertionsSigned,
		AllowIdPInitiated: c.IdPInitiated, NameIDFormat: c.NameIDFormat, Now: s.now,
	}
	if len(c.IdPMetadata) == 0 {
		return cfg, ErrNotConfigured
	}
	md, err := saml.ParseIdPMetadata(c.IdPMetadata)
	if err != nil {
		return cfg, fmt.Errorf("stored IdP metadata of %s: %w", orgID, err)
	}
	cfg.IdP = md
	return cfg, nil
}

// SPMetadata renders the organization's SP metadata document.
func (s *Service) SPMetadata(orgID string, c store.SAMLConfig) ([]byte, error) {
	cfg, _ := s.SPConfig(orgID, c) // the IdP part is not needed
	return saml.SPMetadata(cfg)
}

// SetIdPMetadata checks an IdP metadata document and makes it the
// organization's. metadataURL is where it came from ("" for an upload);
// with a URL, the server refreshes it when outbound HTTP is allowed. Event
// "sso.idp_metadata_set" when the document or URL changed.
func (s *Service) SetIdPMetadata(ctx context.Context, actor store.Actor, orgID string, doc []byte, metadataURL string) (store.SAMLConfig, saml.IdPMetadata, error) {
	if _, err := s.EnterpriseOrg(ctx, orgID); err != nil {
		return store.SAMLConfig{}, saml.IdPMetadata{}, err
	}
	md, err := saml.ParseIdPMetadata(doc)
	if err != nil {
		return store.SAMLConfig{}, saml.IdPMetadata{}, fault.Invalidf("the IdP metadata cannot be used: %v", err)
	}
	c, err := s.Config(ctx, orgID)
	if err != nil {
		return store.SAMLConfig{}, md, err
	}
	if md.EntityID == s.URLs(c).EntityID {
		return store.SAMLConfig{}, md, fault.Invalidf("that is roster's own SP metadata; upload the identity provider's metadata instead")
	}
	c.IdPMetadata, c.IdPEntityID, c.MetadataURL = doc, md.EntityID, metadataURL
	c, err = s.Store.PutSAMLConfig(ctx, actor, c, c.Version)
	return c, md, err
}

// Settings changes some settings; nil fields stay as they are.
type Settings struct {
	SPInitiated          *bool
	IdPInitiated         *bool
	AllowSHA1            *bool
	WantAssertionsSigned *bool
	NameIDFormat         *string
	LinkBy               *store.SAMLLinkBy
	LinkAttribute        *string
	JITProvisioning      *bool
	// MetadataURL, when set to "", stops refreshing from a URL and keeps
	// the current document.
	MetadataURL *string
	// BaseURL is the public URL of roster the organization's SP URLs are
	// derived from (see store.SAMLConfig.BaseURL): an absolute http or
	// https URL without query or fragment.
	BaseURL *string
}

// NameIDFormats maps the short names of the NameID formats roster knows to
// their URIs; a setting may use either.
var NameIDFormats = map[string]string{
	"email":       saml.NameIDFormatEmailAddress,
	"persistent":  saml.NameIDFormatPersistent,
	"unspecified": saml.NameIDFormatUnspecified,
	"transient":   saml.NameIDFormatTransient,
}

// nameIDFormatNames lists NameIDFormats' keys in the order messages give
// them: the recommended format first.
var nameIDFormatNames = []string{"email", "persistent", "unspecified", "transient"}

// NameIDFormat returns the format URI a setting names: a short name of
// NameIDFormats or a known URI. "" (no format requested) is allowed.
func NameIDFormat(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if uri, ok := NameIDFormats[v]; ok {
		return uri, nil
	}
	for _, uri := range NameIDFormats {
		if v == uri {
			return uri, nil
		}
	}
	uris := make([]string, len(nameIDFormatNames))
	for i, n := range nameIDFormatNames {
		uris[i] = NameIDFormats[n]
	}
	return "", fault.Invalidf("NameID format %q: use %s or %s, or one of their URIs (%s)", v,
		strings.Join(nameIDFormatNames[:len(nameIDFormatNames)-1], ", "), nameIDFormatNames[len(nameIDFormatNames)-1], strings.Join(uris, ", "))
}

// EffectiveNameIDFormat is the format a configuration's NameIDFormat
// amounts to: "" requests and enforces no format, which is what the
// unspecified format means.
func EffectiveNameIDFormat(c store.SAMLConfig) string {
	if c.NameIDFormat == "" {
		return saml.NameIDFormatUnspecified
	}
	return c.NameIDFormat
}

// CheckBaseURL returns the base URL in the form it is stored in: an
// absolute http or https URL without query, fragment or trailing slash.
func CheckBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fault.Invalidf("base URL %q: want the absolute URL roster is reached at, such as https://roster.example.com", raw)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// UpdateSettings changes an organization's settings. Event
// "sso.settings_changed" listing each changed setting.
func (s *Service) UpdateSettings(ctx context.Context, actor store.Actor, orgID string, p Settings) (store.SAMLConfig, error) {
	if _, err := s.EnterpriseOrg(ctx, orgID); err != nil {
		return store.SAMLConfig{}, err
	}
	c, err := s.Config(ctx, orgID)
	if err != nil {
		return store.SAMLConfig{}, err
	}
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.SPInitiated, p.SPInitiated)
	set(&c.IdPInitiated, p.IdPInitiated)
	set(&c.AllowSHA1, p.AllowSHA1)
	set(&c.WantAssertionsSigned, p.WantAssertionsSigned)
	set(&c.JITProvisioning, p.JITProvisioning)
	if p.NameIDFormat != nil {
		f, err := NameIDFormat(*p.NameIDFormat)
		if err != nil {
			return c, err
		}
		c.NameIDFormat = f
	}
	if p.BaseURL != nil {
		b, err := CheckBaseURL(*p.BaseURL)
		if err != nil {
			return c, err
		}
		c.BaseURL = b
	}
	if p.LinkBy != nil {
		if !p.LinkBy.Valid() {
			return c, fault.Invalidf("link mode %q: use %q or %q", *p.LinkBy, store.LinkByUserName, store.LinkByExternalID)
		}
		c.LinkBy = *p.LinkBy
	}
	if p.LinkAttribute != nil {
		c.LinkAttribute = strings.TrimSpace(*p.LinkAttribute)
	}
	if p.MetadataURL != nil && *p.MetadataURL == "" {
		c.MetadataURL = ""
	}
	return s.Store.PutSAMLConfig(ctx, actor, c, c.Version)
}

// CheckMetadataURL accepts https URLs, and http ones on a loopback host
// (for local IdPs and tests).
func CheckMetadataURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fault.Invalidf("metadata URL %q: want an absolute https URL", raw)
	}
	if u.Scheme == "http" {
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fault.Invalidf("metadata URL %q: use https (plain http is allowed on loopback only)", raw)
		}
	}
	return u, nil
}

// FetchMetadata downloads an IdP metadata document: https only (http on
// loopback), at most saml.MaxMetadataSize bytes, status 200.
func (s *Service) FetchMetadata(ctx context.Context, raw string) ([]byte, error) {
	u, err := CheckMetadataURL(raw)
	if err != nil {
		return nil, err
	}
	client := s.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch IdP metadata: %w", err)
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch IdP metadata from %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch IdP metadata from %s: status %s", u.Redacted(), resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, saml.MaxMetadataSize+1))
	if err != nil {
		return nil, fmt.Errorf("fetch IdP metadata from %s: %w", u.Redacted(), err)
	}
	if len(b) > saml.MaxMetadataSize {
		return nil, fmt.Errorf("fetch IdP metadata from %s: larger than %d bytes", u.Redacted(), saml.MaxMetadataSize)
	}
	return b, nil
}

// systemActor makes the changes roster makes on its own.
var systemActor = store.Actor{Kind: "system", Name: "saml metadata refresh"}

// RefreshMetadata fetches every configured metadata URL again and stores
// the documents that changed and still parse. A failing URL keeps its last
// good document (an IdP outage must not lock an organization out); the
// errors are returned together.
func (s *Service) RefreshMetadata(ctx context.Context) error {
	var errs []error
	after := ""
	for {
		page, err := s.Store.ListSAMLMetadataURLs(ctx, after, 100)
		if err != nil {
			return err
		}
		for _, c := range page {
			after = c.OrgID
			doc, err := s.FetchMetadata(ctx, c.MetadataURL)
			if err != nil {
				errs = append(errs, fmt.Errorf("organization %s: %w", c.OrgID, err))
				continue
			}
			if string(doc) == string(c.IdPMetadata) {
				continue
			}
			if _, _, err := s.SetIdPMetadata(ctx, systemActor, c.OrgID, doc, c.MetadataURL); err != nil {
				errs = append(errs, fmt.Errorf("organization %s: %w", c.OrgID, err))
			}
		}
		if len(page) < 100 {
			return errors.Join(errs...)
		}
	}
}

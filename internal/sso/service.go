package sso

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/store"
)

// Store is what package sso needs of the store.
type Store interface {
	store.SSOStore
	GetOrg(ctx context.Context, id string) (store.Org, error)
	ListOrgRoles(ctx context.Context, orgID, after string, limit int) ([]store.OrgMember, error)
}

// Errors callers branch on with errors.Is.
var (
	// ErrPlanRequired: SAML single sign-on needs the enterprise plan.
	ErrPlanRequired = errors.New("SAML single sign-on needs the enterprise plan")
	// ErrNotConfigured: the organization has uploaded no IdP metadata.
	ErrNotConfigured = errors.New("SAML single sign-on is not configured")
	// ErrInvalid: a setting or a metadata document cannot be accepted; the
	// message says what to change.
	ErrInvalid = errors.New("invalid SAML setting")
)

// Service manages organizations' SAML configurations: the URLs roster
// publishes as a service provider, the IdP metadata (uploaded, or fetched
// from a URL and refreshed), and the per-organization settings. Every
// change is recorded in the organization's event log by the store, in the
// transaction that makes it.
type Service struct {
	Store Store
	// BaseURL is roster's public URL; every SP URL is derived from it, so
	// it must not change once IdPs are configured.
	BaseURL string
	// HTTPClient fetches metadata URLs; a client with a 15 s timeout when
	// nil.
	HTTPClient *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// URLs are the addresses roster publishes for one organization as a SAML
// service provider. They are stable: derived from the base URL and the
// organization id only.
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

// URLs returns the organization's SP URLs.
func (s *Service) URLs(orgID string) URLs {
	base := strings.TrimSuffix(s.BaseURL, "/") + PathPrefix + url.PathEscape(orgID)
	return URLs{EntityID: base + "/metadata", MetadataURL: base + "/metadata", ACSURL: base + "/acs", LoginURL: base + "/login"}
}

// Secure reports whether roster is reached over HTTPS, which decides the
// cookies' Secure attribute.
func (s *Service) Secure() bool { return strings.HasPrefix(strings.ToLower(s.BaseURL), "https://") }

// org returns the organization, refusing any but the enterprise plan.
func (s *Service) org(ctx context.Context, orgID string) (store.Org, error) {
	o, err := s.Store.GetOrg(ctx, orgID)
	if err != nil {
		return store.Org{}, fmt.Errorf("organization %s: %w", orgID, err)
	}
	if o.Plan != store.PlanEnterprise {
		return o, fmt.Errorf("organization %q is on the %s plan: %w (roster org set-plan --org %s --plan enterprise)", o.Name, o.Plan, ErrPlanRequired, o.ID)
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
	u := s.URLs(orgID)
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
	if _, err := s.org(ctx, orgID); err != nil {
		return store.SAMLConfig{}, saml.IdPMetadata{}, err
	}
	md, err := saml.ParseIdPMetadata(doc)
	if err != nil {
		return store.SAMLConfig{}, saml.IdPMetadata{}, fmt.Errorf("%w: the IdP metadata cannot be used: %v", ErrInvalid, err)
	}
	if md.EntityID == s.URLs(orgID).EntityID {
		return store.SAMLConfig{}, md, fmt.Errorf("%w: that is roster's own SP metadata; upload the identity provider's metadata instead", ErrInvalid)
	}
	c, err := s.Config(ctx, orgID)
	if err != nil {
		return store.SAMLConfig{}, md, err
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
}

var nameIDFormats = map[string]bool{
	"": true, saml.NameIDFormatUnspecified: true, saml.NameIDFormatEmailAddress: true,
	saml.NameIDFormatPersistent: true, saml.NameIDFormatTransient: true,
}

// UpdateSettings changes an organization's settings. Event
// "sso.settings_changed" listing each changed setting.
func (s *Service) UpdateSettings(ctx context.Context, actor store.Actor, orgID string, p Settings) (store.SAMLConfig, error) {
	if _, err := s.org(ctx, orgID); err != nil {
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
		if !nameIDFormats[*p.NameIDFormat] {
			return c, fmt.Errorf("%w: NameID format %q: use %s, %s, %s or %s", ErrInvalid, *p.NameIDFormat,
				saml.NameIDFormatEmailAddress, saml.NameIDFormatPersistent, saml.NameIDFormatUnspecified, saml.NameIDFormatTransient)
		}
		c.NameIDFormat = *p.NameIDFormat
	}
	if p.LinkBy != nil {
		if !p.LinkBy.Valid() {
			return c, fmt.Errorf("%w: link mode %q: use %q or %q", ErrInvalid, *p.LinkBy, store.LinkByUserName, store.LinkByExternalID)
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
		return nil, fmt.Errorf("%w: metadata URL %q: want an absolute https URL", ErrInvalid, raw)
	}
	if u.Scheme == "http" {
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("%w: metadata URL %q: use https (plain http is allowed on loopback only)", ErrInvalid, raw)
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

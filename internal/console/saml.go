package console

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/store"
)

// SSO is what the SAML page needs of the single sign-on domain besides
// what the overview reads; *sso.Service is it.
type SSO interface {
	URLs(c store.SAMLConfig) sso.URLs
	SPMetadata(orgID string, c store.SAMLConfig) ([]byte, error)
	SetIdPMetadata(ctx context.Context, actor store.Actor, orgID string, doc []byte, metadataURL string) (store.SAMLConfig, saml.IdPMetadata, error)
	FetchMetadata(ctx context.Context, raw string) ([]byte, error)
	UpdateSettings(ctx context.Context, actor store.Actor, orgID string, p sso.Settings) (store.SAMLConfig, error)
	// TestResult returns what a Test sign-in of the organization came to.
	TestResult(ctx context.Context, orgID, requestID string) (store.SAMLTestResult, error)
}

// Tester starts a Test sign-in through the organization's identity
// provider in this browser and returns the URL to send it to;
// *signin.Handler is it (it owns the browser-binding cookie).
type Tester interface {
	StartTest(w http.ResponseWriter, r *http.Request, orgID string) (string, error)
}

// spValue is one value to paste into the IdP, with its field names there.
type spValue struct {
	ID, Label, Value, Okta, Entra string
}

// certView is one of the IdP's signing certificates.
type certView struct {
	Subject, Expires string
	Expiring         bool
}

type samlPage struct {
	Values                []spValue
	Configured            bool
	IdPEntityID, IdPSSO   string
	Certs                 []certView
	Source, Updated       string
	MetadataURL           string
	Fetch                 bool
	UploadError, URLError string
	SettingsError         string
	Notice                string
	C                     store.SAMLConfig
	NameIDFormats         []choice
	// ConsoleSSO is where owners and admins sign in to this console
	// through the identity provider.
	ConsoleSSO string
	LinkBy     []choice
	// Test says that Test sign-in is offered; TestError why one could not
	// start.
	Test      bool
	TestError string
}

var samlNotices = map[string]string{
	"metadata": "The identity provider's metadata is saved: members can sign in.",
	"settings": "Sign-in settings saved.",
}

func (h *Handler) samlPage(w http.ResponseWriter, r *http.Request, s *session) {
	h.samlView(w, r, s, http.StatusOK, samlPage{Notice: samlNotices[r.URL.Query().Get("done")]})
}

func (h *Handler) samlView(w http.ResponseWriter, r *http.Request, s *session, status int, p samlPage) {
	c, err := h.SAML.Config(r.Context(), s.org.ID)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	u := h.SAML.URLs(c)
	p.Values = []spValue{
		{"sp-entity", "Entity ID (audience)", u.EntityID, "Audience URI (SP Entity ID)", "Identifier (Entity ID)"},
		{"sp-acs", "Assertion Consumer Service URL", u.ACSURL, "Single sign-on URL", "Reply URL (Assertion Consumer Service URL)"},
		{"sp-login", "Sign-on URL", u.LoginURL, "—", "Sign on URL (optional)"},
	}
	p.C, p.Fetch = c, h.MetadataFetch
	if h.Members != nil {
		p.ConsoleSSO = strings.TrimSuffix(h.BaseURL, "/") + ssoPath(s.org.ID)
	}
	if p.MetadataURL == "" {
		p.MetadataURL = c.MetadataURL
	}
	if len(c.IdPMetadata) > 0 {
		p.Configured, p.Test = true, h.Tester != nil
		p.IdPEntityID = c.IdPEntityID
		p.Source, p.Updated = "uploaded file", when(c.MetadataUpdatedAt)
		if c.MetadataURL != "" {
			p.Source = c.MetadataURL + " (refreshed automatically)"
		}
		if md, err := saml.ParseIdPMetadata(c.IdPMetadata); err == nil {
			p.IdPSSO = md.SSORedirectURL
			p.Certs = certViews(md.SigningCertificates, time.Now())
		}
	}
	p.NameIDFormats = choices([][2]string{{"", "Whatever the IdP sends (unspecified)"},
		{saml.NameIDFormatEmailAddress, "E-mail address"}, {saml.NameIDFormatPersistent, "Persistent"},
		{saml.NameIDFormatTransient, "Transient"}}, c.NameIDFormat)
	if c.NameIDFormat == saml.NameIDFormatUnspecified {
		p.NameIDFormats[0].Selected = true
	}
	p.LinkBy = choices([][2]string{{string(store.LinkByUserName), "userName (the e-mail address SCIM provisions)"},
		{string(store.LinkByExternalID), "externalId (an immutable id, such as Entra's object id)"}}, string(c.LinkBy))
	h.render(w, r, status, "saml", view{Title: "SAML single sign-on", Nav: "saml", Org: s.org, CSRF: s.csrf, Data: p})
}

func certViews(certs []*x509.Certificate, now time.Time) []certView {
	out := make([]certView, 0, len(certs))
	for _, c := range certs {
		out = append(out, certView{Subject: c.Subject.String(), Expires: when(c.NotAfter),
			Expiring: c.NotAfter.Before(now.Add(30 * 24 * time.Hour))})
	}
	return out
}

// spMetadata downloads the organization's SP metadata, for Entra's
// "Upload metadata file".
func (h *Handler) spMetadata(w http.ResponseWriter, r *http.Request, s *session) {
	c, err := h.SAML.Config(r.Context(), s.org.ID)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	doc, err := h.SAML.SPMetadata(s.org.ID, c)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Content-Disposition", `attachment; filename="roster-sp-metadata.xml"`)
	w.Write(doc)
}

// setMetadata takes the IdP's metadata, as an uploaded file or from a URL.
// The first configuration also stores the base URL the SP values were
// derived from, as roster saml configure does, so that what the IdP was
// given cannot drift.
func (h *Handler) setMetadata(w http.ResponseWriter, r *http.Request, s *session) {
	var doc []byte
	var from string
	p := samlPage{}
	if raw := strings.TrimSpace(r.PostForm.Get("url")); r.PostForm.Has("url") {
		p.MetadataURL = raw
		if !h.MetadataFetch {
			p.URLError = "This server does not fetch URLs (roster serve --allow-outbound-http is off): download the metadata file and upload it instead."
		} else if raw == "" {
			p.URLError = "Enter the metadata URL: Okta's \"Metadata URL\" on the Sign On tab, or Entra's \"App Federation Metadata Url\"."
		} else {
			var err error
			if doc, err = h.SAML.FetchMetadata(r.Context(), raw); err != nil {
				p.URLError = errSentence(err)
			}
			from = raw
		}
	} else {
		f, _, err := r.FormFile("file")
		if err != nil {
			p.UploadError = "Choose the metadata file to upload: Okta's \"Identity Provider metadata\" or Entra's \"Federation Metadata XML\"."
		} else {
			defer f.Close()
			doc, err = io.ReadAll(io.LimitReader(f, saml.MaxMetadataSize+1))
			if err != nil || len(doc) > saml.MaxMetadataSize {
				p.UploadError = fmt.Sprintf("The file is larger than the %d KB a metadata document may be.", saml.MaxMetadataSize>>10)
				doc = nil
			}
		}
	}
	if doc != nil {
		c, err := h.SAML.Config(r.Context(), s.org.ID)
		if err == nil && c.BaseURL == "" && h.BaseURL != "" {
			base := h.BaseURL
			_, err = h.SAML.UpdateSettings(r.Context(), s.actor, s.org.ID, sso.Settings{BaseURL: &base})
		}
		if err == nil {
			_, _, err = h.SAML.SetIdPMetadata(r.Context(), s.actor, s.org.ID, doc, from)
		}
		if kind, _, ok := fault.As(err); ok && kind == fault.Invalid {
			if from != "" {
				p.URLError = errSentence(err)
			} else {
				p.UploadError = errSentence(err)
			}
		} else if err != nil {
			h.fail(w, r, s, err)
			return
		} else {
			http.Redirect(w, r, Prefix+"/saml?done=metadata", http.StatusSeeOther)
			return
		}
	}
	h.samlView(w, r, s, http.StatusBadRequest, p)
}

// saveSAMLSettings changes the sign-in settings; a checkbox not sent is off.
func (h *Handler) saveSAMLSettings(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	on := func(name string) *bool { v := f.Get(name) == "on"; return &v }
	format := f.Get("name_id_format")
	linkBy := store.SAMLLinkBy(f.Get("link_by"))
	attr := strings.TrimSpace(f.Get("link_attribute"))
	_, err := h.SAML.UpdateSettings(r.Context(), s.actor, s.org.ID, sso.Settings{
		SPInitiated: on("sp_initiated"), IdPInitiated: on("idp_initiated"), AllowSHA1: on("allow_sha1"),
		WantAssertionsSigned: on("want_assertions_signed"), JITProvisioning: on("jit"),
		NameIDFormat: &format, LinkBy: &linkBy, LinkAttribute: &attr,
	})
	if kind, _, ok := fault.As(err); ok && (kind == fault.Invalid || kind == fault.Conflict) {
		h.samlView(w, r, s, http.StatusBadRequest, samlPage{SettingsError: errSentence(err)})
		return
	}
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, Prefix+"/saml?done=settings", http.StatusSeeOther)
}

// errSentence is an error's message as a sentence for a form: the
// domain's message for a fault, else the error's text.
func errSentence(err error) string {
	msg := err.Error()
	if _, m, ok := fault.As(err); ok {
		msg = m
	}
	return sentence(msg)
}

// startTest runs a Test sign-in for the owner: the browser goes to the
// identity provider, and its answer comes back to the result page
// (testResult) instead of starting a session or reaching the host app.
func (h *Handler) startTest(w http.ResponseWriter, r *http.Request, s *session) {
	if h.Tester == nil {
		h.fail(w, r, s, fault.NotFoundf("this server does not run test sign-ins"))
		return
	}
	u, err := h.Tester.StartTest(w, r, s.org.ID)
	switch {
	case err == nil:
		http.Redirect(w, r, u, http.StatusSeeOther)
	case errors.Is(err, sso.ErrBusy):
		h.samlView(w, r, s, http.StatusServiceUnavailable, samlPage{TestError: errSentence(err)})
	case fault.Is(err, fault.Conflict) || fault.Is(err, fault.PlanRequired):
		h.samlView(w, r, s, http.StatusConflict, samlPage{TestError: errSentence(err)})
	default:
		h.fail(w, r, s, err)
	}
}

// attrRow is one attribute the identity provider sent.
type attrRow struct {
	Name   string
	Values []string
}

type testResultPage struct {
	At, NameID, NameIDFormat string
	Attrs                    []attrRow
	Refused, WouldCreate     bool
	Reason, Message, Fix     string
	Detail                   string
	UserID, User             string
	LinkBy, LinkAttribute    string
}

// testResult shows what a Test sign-in came to: what the identity
// provider sent and which user it matched, or why it was refused and what
// to change. Another organization's result is not found.
func (h *Handler) testResult(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	res, err := h.SAML.TestResult(ctx, s.org.ID, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	c, err := h.SAML.Config(ctx, s.org.ID)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	p := testResultPage{At: when(res.CreatedAt), NameID: res.NameID, NameIDFormat: res.NameIDFormat, Refused: res.Outcome == store.SignInRefused,
		WouldCreate: res.WouldCreate, Reason: res.Reason, Detail: res.Detail, UserID: res.UserID,
		LinkBy: string(c.LinkBy), LinkAttribute: c.LinkAttribute}
	if p.Refused {
		p.Message, p.Fix = explained(res.Reason)
	}
	names := make([]string, 0, len(res.Attributes))
	for n := range res.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p.Attrs = append(p.Attrs, attrRow{Name: n, Values: res.Attributes[n]})
	}
	if res.UserID != "" {
		u, err := h.Names.GetUser(ctx, s.org.ID, res.UserID)
		switch {
		case err == nil:
			p.User = u.UserName
		case isNotFound(err):
			p.UserID = "" // deleted since
		default:
			h.fail(w, r, s, err)
			return
		}
	}
	title := "Test sign-in succeeded"
	if p.Refused {
		title = "Test sign-in refused"
	}
	h.render(w, r, http.StatusOK, "saml_test", view{Title: title, Nav: "saml", Org: s.org, CSRF: s.csrf, Data: p})
}

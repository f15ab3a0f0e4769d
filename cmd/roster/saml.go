package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/store"
)

func runSAML(ctx context.Context, env *environment, args []string) error {
	return subcommand(ctx, env, "saml", args, map[string]func(context.Context, *environment, []string) error{
		"show":      samlShow,
		"configure": samlConfigure,
	}, "Set up SAML single sign-on for an organization: \"show\" prints what to enter in Okta or Entra,\n"+
		"\"configure\" takes the identity provider's metadata and the sign-in settings. See docs/saml.md.")
}

// baseURLFlag registers --base-url. Its value is kept with the
// organization's SSO configuration by "saml configure", so it is needed
// only until then, or to change it.
func baseURLFlag(f *flags) *string {
	return f.String("base-url", "", "public URL of roster the IdP is given, as roster serve is reached at; "+
		"stored with the organization's SSO configuration by saml configure (needed the first time)")
}

// errNoBaseURL is the answer when no base URL is stored yet and none given.
var errNoBaseURL = errors.New("--base-url is required until roster saml configure stores the organization's base URL: " +
	"the public URL roster serve is reached at, e.g. --base-url https://roster.example.com")

func samlService(ctx context.Context, db *dbFlags) (*sso.Service, func(), error) {
	s, err := db.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	return &sso.Service{Store: s, Orgs: &access.Service{Store: s}}, func() { s.Close() }, nil
}

// spBaseURL decides the base URL the organization's SP URLs are shown
// with: the stored one when there is one, else --base-url. stored reports
// whether it is the stored one.
func spBaseURL(c store.SAMLConfig, flag string) (base string, stored bool, err error) {
	if c.BaseURL != "" {
		return c.BaseURL, true, nil
	}
	if flag == "" {
		return "", false, errNoBaseURL
	}
	base, err = sso.CheckBaseURL(flag)
	return base, false, err
}

func samlShow(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "saml show", "saml show --org ID [--base-url URL] [--xml]",
		"Prints the organization's service-provider values to enter in the identity provider (entity id,\n"+
			"ACS URL, NameID format, SP metadata URL) and the current IdP configuration. With --xml it prints\n"+
			"the SP metadata document instead.")
	var db dbFlags
	db.register(f)
	org := f.String("org", "", "organization id (required)")
	baseURL := baseURLFlag(f)
	asXML := f.Bool("xml", false, "print the SP metadata XML")
	if err := f.parse(args); err != nil {
		return err
	}
	if *org == "" {
		return errNoOrg
	}
	svc, done, err := samlService(ctx, &db)
	if err != nil {
		return err
	}
	defer done()
	o, err := svc.Org(ctx, *org)
	if err != nil {
		return err
	}
	c, err := svc.Config(ctx, o.ID)
	if err != nil {
		return err
	}
	base, stored, err := spBaseURL(c, *baseURL)
	if err != nil {
		return err
	}
	svc.BaseURL = base
	if flag, _ := sso.CheckBaseURL(*baseURL); stored && *baseURL != "" && flag != c.BaseURL {
		fmt.Fprintf(env.stderr, "Note: the organization's SP URLs stay under its stored base URL %s, not --base-url %s;\n"+
			"change it with roster saml configure --org %s --base-url URL (and then update the IdP).\n", c.BaseURL, *baseURL, o.ID)
	}
	if *asXML {
		doc, err := svc.SPMetadata(o.ID, c)
		if err != nil {
			return err
		}
		_, err = env.stdout.Write(append(doc, '\n'))
		return err
	}
	u := svc.URLs(c)
	w := env.stdout
	fmt.Fprintf(w, "Organization:          %s (%s, %s plan)\n\n", o.Name, o.ID, o.Plan)
	fmt.Fprintf(w, "Service provider (enter these in Okta or Entra):\n")
	fmt.Fprintf(w, "  Entity ID / Audience: %s\n", u.EntityID)
	fmt.Fprintf(w, "  ACS URL (HTTP-POST):  %s\n", u.ACSURL)
	fmt.Fprintf(w, "  SP metadata URL:      %s\n", u.MetadataURL)
	fmt.Fprintf(w, "  Sign-on URL:          %s\n", u.LoginURL)
	fmt.Fprintf(w, "  NameID format:        %s\n", nameIDFormatLine(c))
	if stored {
		fmt.Fprintf(w, "  Base URL:             %s (stored with the configuration)\n\n", base)
	} else {
		fmt.Fprintf(w, "  Base URL:             %s (not stored yet: roster saml configure stores it)\n\n", base)
	}
	fmt.Fprintf(w, "Identity provider:\n")
	if len(c.IdPMetadata) == 0 {
		fmt.Fprintf(w, "  not configured: roster saml configure --org %s --idp-metadata FILE\n", o.ID)
	} else if md, err := saml.ParseIdPMetadata(c.IdPMetadata); err != nil {
		fmt.Fprintf(w, "  stored metadata no longer parses: %v\n", err)
	} else {
		fmt.Fprintf(w, "  Entity ID:            %s\n", md.EntityID)
		fmt.Fprintf(w, "  SSO URL (redirect):   %s\n", orNone(md.SSORedirectURL))
		if c.MetadataURL != "" {
			fmt.Fprintf(w, "  Metadata URL:         %s\n", c.MetadataURL)
		}
		fmt.Fprintf(w, "  Metadata updated:     %s\n", c.MetadataUpdatedAt.Format("2006-01-02 15:04 MST"))
		for i, cert := range md.SigningCertificates {
			sum := sha256.Sum256(cert.Raw)
			fmt.Fprintf(w, "  Signing cert %d:       SHA-256 %s, valid %s to %s\n", i+1, hex.EncodeToString(sum[:8]),
				cert.NotBefore.Format("2006-01-02"), cert.NotAfter.Format("2006-01-02"))
		}
	}
	fmt.Fprintf(w, "\nSettings:\n")
	printSAMLSettings(w, c)
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// nameIDFormatLine describes the NameID format the organization requests:
// its URI, as the settings list it, and what it means.
func nameIDFormatLine(c store.SAMLConfig) string {
	f := sso.EffectiveNameIDFormat(c)
	for name, uri := range sso.NameIDFormats {
		if uri != f {
			continue
		}
		if name == "unspecified" {
			return f + " (unspecified: any format is accepted; email recommended)"
		}
		return f + " (" + name + ", enforced)"
	}
	return f + " (enforced)"
}

func printSAMLSettings(w io.Writer, c store.SAMLConfig) {
	fmt.Fprintf(w, "  sp-initiated=%t\n  idp-initiated=%t\n  want-assertions-signed=%t\n  allow-sha1=%t\n", c.SPInitiated, c.IdPInitiated, c.WantAssertionsSigned, c.AllowSHA1)
	fmt.Fprintf(w, "  name-id-format=%s\n  link-by=%s\n  link-attribute=%s\n  jit=%t\n", sso.EffectiveNameIDFormat(c), c.LinkBy, c.LinkAttribute, c.JITProvisioning)
	fmt.Fprintf(w, "  base-url=%s\n", c.BaseURL)
}

func samlConfigure(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "saml configure", "saml configure --org ID [--base-url URL] [--idp-metadata FILE | --idp-metadata-url URL] [settings]",
		"Sets the organization's identity provider from its SAML metadata (a file, \"-\" for stdin, or a URL\n"+
			"fetched now and refreshed by roster serve --allow-outbound-http) and changes the settings given.\n"+
			"Boolean settings take true or false; settings not given stay as they are. Prints the result.")
	var db dbFlags
	db.register(f)
	org := f.String("org", "", "organization id (required)")
	baseURL := baseURLFlag(f)
	file := f.String("idp-metadata", "", `IdP metadata XML file ("-" reads stdin)`)
	mdURL := f.String("idp-metadata-url", "", "IdP metadata URL (https), fetched now and kept for refreshing")
	spInit := f.String("sp-initiated", "", "allow sign-in started at roster (default true)")
	idpInit := f.String("idp-initiated", "", "allow sign-in started at the IdP: Okta tile, Entra My Apps (default false)")
	wantSigned := f.String("want-assertions-signed", "", "require the assertion itself to be signed (default true)")
	sha1 := f.String("allow-sha1", "", "accept RSA-SHA1 signatures from a legacy IdP (default false)")
	format := f.String("name-id-format", "", `NameID format to request and enforce: "email", "persistent", "unspecified", or a URI`)
	linkBy := f.String("link-by", "", `how a subject finds its user: "user_name" (default) or "external_id"`)
	linkAttr := f.String("link-attribute", "", `attribute holding the subject value instead of the NameID ("none" clears it)`)
	jit := f.String("jit", "", "create unknown users at sign-in (default false)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *org == "" {
		return errNoOrg
	}
	if *file != "" && *mdURL != "" {
		return fmt.Errorf("--idp-metadata and --idp-metadata-url exclude each other")
	}
	var p sso.Settings
	var errs []string
	boolFlag := func(name, v string, dst **bool) {
		if v == "" {
			return
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("--%s must be true or false, not %q", name, v))
			return
		}
		*dst = &b
	}
	boolFlag("sp-initiated", *spInit, &p.SPInitiated)
	boolFlag("idp-initiated", *idpInit, &p.IdPInitiated)
	boolFlag("want-assertions-signed", *wantSigned, &p.WantAssertionsSigned)
	boolFlag("allow-sha1", *sha1, &p.AllowSHA1)
	boolFlag("jit", *jit, &p.JITProvisioning)
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	if *format != "" {
		// Checked now, with the other flags, rather than after the base
		// URL is settled; UpdateSettings checks it again as it stores it.
		if _, err := sso.NameIDFormat(*format); err != nil {
			return err
		}
		p.NameIDFormat = format
	}
	if *baseURL != "" {
		p.BaseURL = baseURL
	}
	if *linkBy != "" {
		v := store.SAMLLinkBy(*linkBy)
		p.LinkBy = &v
	}
	if *linkAttr != "" {
		v := *linkAttr
		if v == "none" {
			v = ""
		}
		p.LinkAttribute = &v
	}

	svc, done, err := samlService(ctx, &db)
	if err != nil {
		return err
	}
	defer done()
	before, err := svc.Config(ctx, *org)
	if err != nil {
		return err
	}
	// The SP URLs the IdP is given are derived from the base URL: it is
	// decided before anything else changes, and stored with the settings.
	base, _, err := spBaseURL(before, *baseURL)
	if err != nil {
		return err
	}
	svc.BaseURL = base
	var doc []byte
	switch {
	case *file == "-":
		doc, err = io.ReadAll(io.LimitReader(os.Stdin, saml.MaxMetadataSize+1))
	case *file != "":
		doc, err = os.ReadFile(*file)
	case *mdURL != "":
		doc, err = svc.FetchMetadata(ctx, *mdURL)
	}
	if err != nil {
		return fmt.Errorf("read IdP metadata: %w", err)
	}
	if doc != nil {
		_, md, err := svc.SetIdPMetadata(ctx, cliActor, *org, doc, *mdURL)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "Identity provider set: %s (%d signing certificate(s)).\n", md.EntityID, len(md.SigningCertificates))
		if md.WantAuthnRequestsSigned {
			fmt.Fprintln(env.stderr, "Note: this IdP demands signed AuthnRequests, which roster does not send; members must sign in from the IdP (--idp-initiated=true).")
		}
	}
	c, err := svc.UpdateSettings(ctx, cliActor, *org, p)
	if err != nil {
		return err
	}
	if before.BaseURL != "" && c.BaseURL != before.BaseURL {
		fmt.Fprintf(env.stderr, "Base URL changed from %s to %s: give the IdP the new entity id and ACS URL (roster saml show --org %s).\n",
			before.BaseURL, c.BaseURL, *org)
	}
	if len(c.IdPMetadata) == 0 {
		fmt.Fprintf(env.stderr, "No identity provider yet: add one with --idp-metadata FILE.\n")
	}
	printSAMLSettings(env.stdout, c)
	return nil
}

// ssoOptions are roster serve's single sign-on flags.
type ssoOptions struct {
	// allowOutbound lets the server fetch IdP metadata URLs; off by
	// default, so roster makes no outbound connection unless told to.
	allowOutbound bool
	refresh       time.Duration
	idle, maxAge  time.Duration
	// redirectURL is the instance's default sign-in hand-off URL, for
	// organizations that set none.
	redirectURL string
}

func (o *ssoOptions) register(f *flags) {
	f.BoolVar(&o.allowOutbound, "allow-outbound-http", false, "let roster fetch URLs it is configured with, such as IdP metadata URLs (refreshed every --saml-metadata-refresh)")
	f.DurationVar(&o.refresh, "saml-metadata-refresh", 12*time.Hour, "how often IdP metadata URLs are fetched again (needs --allow-outbound-http)")
	f.DurationVar(&o.idle, "session-idle-timeout", sso.DefaultIdleTimeout, "sign-in sessions end after this long unused")
	f.DurationVar(&o.maxAge, "session-max-age", sso.DefaultMaxAge, "sign-in sessions end this long after sign-in, used or not")
	f.StringVar(&o.redirectURL, "sign-in-redirect-url", "", "where sign-ins are handed to the host app (?code=…&state=…) for organizations that set no sign_in_redirect_url; empty shows members roster's member page")
}

// check validates the options that can be wrong; serve calls it before it
// opens anything.
func (o *ssoOptions) check() error {
	if o.redirectURL == "" {
		return nil
	}
	if err := access.CheckRedirectURL(o.redirectURL); err != nil {
		return fmt.Errorf("--sign-in-redirect-url: %w", err)
	}
	return nil
}

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
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

// baseURLFlag registers --base-url, which must match the one roster serve
// uses: every SP URL is derived from it.
func baseURLFlag(f *flags) *string {
	return f.String("base-url", "", "public URL of roster, as given to roster serve (required; ROSTER_BASE_URL)")
}

func samlService(ctx context.Context, db *dbFlags, baseURL string) (*sso.Service, func(), error) {
	if baseURL == "" {
		return nil, nil, fmt.Errorf("--base-url is required (the same public URL roster serve uses), e.g. --base-url https://roster.example.com")
	}
	base, err := publicBase(baseURL, "")
	if err != nil {
		return nil, nil, err
	}
	s, err := db.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	return &sso.Service{Store: s, BaseURL: base.String()}, func() { s.Close() }, nil
}

func samlShow(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "saml show", "saml show --org ID --base-url URL [--xml]",
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
	svc, done, err := samlService(ctx, &db, *baseURL)
	if err != nil {
		return err
	}
	defer done()
	o, err := svc.Store.GetOrg(ctx, *org)
	if err != nil {
		return err
	}
	c, err := svc.Config(ctx, o.ID)
	if err != nil {
		return err
	}
	if *asXML {
		doc, err := svc.SPMetadata(o.ID, c)
		if err != nil {
			return err
		}
		_, err = env.stdout.Write(append(doc, '\n'))
		return err
	}
	u := svc.URLs(o.ID)
	format := c.NameIDFormat
	if format == "" {
		format = saml.NameIDFormatUnspecified + " (any; email address recommended)"
	}
	w := env.stdout
	fmt.Fprintf(w, "Organization:          %s (%s, %s plan)\n\n", o.Name, o.ID, o.Plan)
	fmt.Fprintf(w, "Service provider (enter these in Okta or Entra):\n")
	fmt.Fprintf(w, "  Entity ID / Audience: %s\n", u.EntityID)
	fmt.Fprintf(w, "  ACS URL (HTTP-POST):  %s\n", u.ACSURL)
	fmt.Fprintf(w, "  SP metadata URL:      %s\n", u.MetadataURL)
	fmt.Fprintf(w, "  Sign-on URL:          %s\n", u.LoginURL)
	fmt.Fprintf(w, "  NameID format:        %s\n\n", format)
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

func printSAMLSettings(w io.Writer, c store.SAMLConfig) {
	fmt.Fprintf(w, "  sp-initiated=%t\n  idp-initiated=%t\n  want-assertions-signed=%t\n  allow-sha1=%t\n", c.SPInitiated, c.IdPInitiated, c.WantAssertionsSigned, c.AllowSHA1)
	fmt.Fprintf(w, "  name-id-format=%s\n  link-by=%s\n  link-attribute=%s\n  jit=%t\n", c.NameIDFormat, c.LinkBy, c.LinkAttribute, c.JITProvisioning)
}

func samlConfigure(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "saml configure", "saml configure --org ID --base-url URL [--idp-metadata FILE | --idp-metadata-url URL] [settings]",
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
		v := map[string]string{"email": saml.NameIDFormatEmailAddress, "persistent": saml.NameIDFormatPersistent,
			"unspecified": saml.NameIDFormatUnspecified, "transient": saml.NameIDFormatTransient}[*format]
		if v == "" {
			v = *format
		}
		p.NameIDFormat = &v
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

	svc, done, err := samlService(ctx, &db, *baseURL)
	if err != nil {
		return err
	}
	defer done()
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
}

func (o *ssoOptions) register(f *flags) {
	f.BoolVar(&o.allowOutbound, "allow-outbound-http", false, "let roster fetch URLs it is configured with, such as IdP metadata URLs (refreshed every --saml-metadata-refresh)")
	f.DurationVar(&o.refresh, "saml-metadata-refresh", 12*time.Hour, "how often IdP metadata URLs are fetched again (needs --allow-outbound-http)")
	f.DurationVar(&o.idle, "session-idle-timeout", sso.DefaultIdleTimeout, "sign-in sessions end after this long unused")
	f.DurationVar(&o.maxAge, "session-max-age", sso.DefaultMaxAge, "sign-in sessions end this long after sign-in, used or not")
}

// ssoSurface builds the SAML and session surface and starts its
// maintenance (purging expired sign-in records; refreshing metadata URLs
// when outbound HTTP is allowed) until ctx ends.
func ssoSurface(ctx context.Context, s sso.Store, users sso.Users, acc *access.Service, logger *slog.Logger, baseURL string, o ssoOptions) *sso.Handler {
	h := &sso.Handler{
		Service: &sso.Service{Store: s, BaseURL: baseURL},
		Users:   users, Joiner: sso.AccessJoiner{Access: acc}, Logger: logger,
		IdleTimeout: o.idle, MaxAge: o.maxAge,
	}
	refresh := time.Duration(0)
	if o.allowOutbound {
		refresh = o.refresh
	}
	go h.Run(ctx, refresh)
	return h
}

package console_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/sso/saml/samltest"
)

// postFile sends a multipart form with one file, as a browser's upload.
func (b *browser) postFile(u string, fields map[string]string, field, name string, content []byte) page {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", u, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

// TestSAMLPage walks the SAML page as an owner setting up Okta: the values
// to paste with their Okta and Entra names, the SP metadata download, a
// bad upload refused next to the field with nothing changed, the IdP's
// metadata uploaded, and settings saved; a forged upload changes nothing.
func TestSAMLPage(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			e := newEnv(t, eng.open(t))
			acme := e.org("Acme")
			b := newBrowser(t)
			b.enter(e.link(acme.ID))
			base := e.srv.URL + console.Prefix
			p := b.get(base + "/saml")
			for _, want := range []string{"/auth/saml/" + acme.ID + "/metadata", "/auth/saml/" + acme.ID + "/acs",
				"Audience URI (SP Entity ID)", "Reply URL", "Single sign-on URL", "Not configured yet"} {
				if !strings.Contains(p.body, want) {
					t.Errorf("the SAML page lacks %q", want)
				}
			}
			md := b.get(base + "/saml/metadata.xml")
			if md.code != 200 || !strings.Contains(md.body, "EntityDescriptor") || !strings.Contains(md.hdr.Get("Content-Disposition"), "attachment") {
				t.Errorf("SP metadata download: %d %s %q", md.code, md.hdr.Get("Content-Type"), md.body)
			}
			token := csrf(t, p)

			bad := b.postFile(base+"/saml/metadata", map[string]string{"csrf": token}, "file", "idp.xml", []byte("<html>not metadata</html>"))
			if bad.code != 400 || !strings.Contains(bad.body, `id="md-file-error"`) || !strings.Contains(bad.body, "Not configured yet") {
				t.Errorf("a bad upload: %d\n%s", bad.code, bad.body)
			}
			idp := samltest.NewIdP(t, samltest.Options{})
			forged := b.postFile(base+"/saml/metadata", map[string]string{}, "file", "idp.xml", idp.Metadata())
			if forged.code != 403 {
				t.Errorf("an upload without the CSRF token: %d", forged.code)
			}
			if c, _ := e.sso.Config(context.Background(), acme.ID); len(c.IdPMetadata) != 0 {
				t.Fatal("a refused upload changed the configuration")
			}
			ok := b.postFile(base+"/saml/metadata", map[string]string{"csrf": token}, "file", "idp.xml", idp.Metadata())
			if ok.code != http.StatusSeeOther {
				t.Fatalf("uploading metadata: %d %s", ok.code, ok.body)
			}
			p = b.get(base + ok.hdr.Get("Location")[len(console.Prefix):])
			for _, want := range []string{"metadata is saved", idp.EntityID, "uploaded file", "Signing certificate"} {
				if !strings.Contains(p.body, want) {
					t.Errorf("after the upload the page lacks %q", want)
				}
			}
			c, err := e.sso.Config(context.Background(), acme.ID)
			if err != nil || c.IdPEntityID != idp.EntityID || c.BaseURL != e.srv.URL {
				t.Errorf("stored configuration = entity %q base %q, %v; want %q and the console's base URL", c.IdPEntityID, c.BaseURL, err, idp.EntityID)
			}
			if p := b.post(base+"/saml/metadata", url.Values{"csrf": {token}, "url": {"https://idp.example.test/metadata"}}); p.code != 400 || !strings.Contains(p.body, "does not fetch URLs") {
				t.Errorf("a metadata URL on a server without outbound HTTP: %d", p.code)
			}
			saved := b.post(base+"/saml/settings", url.Values{"csrf": {token}, "sp_initiated": {"on"}, "idp_initiated": {"on"},
				"want_assertions_signed": {"on"}, "name_id_format": {"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"},
				"link_by": {"user_name"}, "link_attribute": {""}})
			if saved.code != http.StatusSeeOther {
				t.Fatalf("saving settings: %d %s", saved.code, saved.body)
			}
			c, _ = e.sso.Config(context.Background(), acme.ID)
			if !c.IdPInitiated || !c.SPInitiated || c.JITProvisioning || c.AllowSHA1 || !strings.HasSuffix(c.NameIDFormat, "emailAddress") {
				t.Errorf("settings after saving = %+v", c)
			}
			refused := b.post(base+"/saml/settings", url.Values{"csrf": {token}, "name_id_format": {"kerberos"}, "link_by": {"user_name"}})
			if refused.code != 400 || !strings.Contains(refused.body, "NameID format") {
				t.Errorf("a bad NameID format: %d", refused.code)
			}
			if c2, _ := e.sso.Config(context.Background(), acme.ID); c2.IdPInitiated != c.IdPInitiated || c2.NameIDFormat != c.NameIDFormat {
				t.Error("a refused settings form changed the configuration")
			}
		})
	}
}

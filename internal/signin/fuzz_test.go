package signin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/signin"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/sso/saml/samltest"
)

// FuzzACS posts arbitrary request bodies to the ACS endpoint, with and
// without a pending sign-in of the browser. Properties: the handler never
// panics; it answers only a redirect after sign-in (303) or a refusal page
// (400, 403, 413); and whenever it answers 303 the browser is signed in as
// alice, the only identity the seeds' genuine signatures cover.
func FuzzACS(f *testing.F) {
	e := newEnv(f, engines[0])
	e.settings(sso.Settings{IdPInitiated: ptr(true)})
	b := newBrowser(f)
	id, relay := e.login(b, e.mux, "/x")
	for _, sign := range []samltest.SignMode{samltest.SignAssertion, samltest.SignBoth} {
		doc := e.response(id, samltest.ResponseOptions{Sign: sign})
		f.Add(url.Values{"SAMLResponse": {samltest.Encode(doc)}, "RelayState": {relay}}.Encode(), true)
		for _, v := range samltest.XSWVariants() {
			if (v <= 2) == (sign == samltest.SignBoth) {
				forged := samltest.XSW(f, doc, v, "admin@example.com")
				f.Add(url.Values{"SAMLResponse": {samltest.Encode(forged)}, "RelayState": {relay}}.Encode(), true)
			}
		}
	}
	f.Add(url.Values{"SAMLResponse": {samltest.Encode(e.response("", samltest.ResponseOptions{}))}, "RelayState": {"//evil.example"}}.Encode(), false)
	f.Add(url.Values{"SAMLResponse": {samltest.Encode(samltest.BillionLaughs())}}.Encode(), false)
	f.Add("SAMLResponse=%%%&RelayState=%zz", false)
	f.Add("", false)

	f.Fuzz(func(t *testing.T, form string, withBrowser bool) {
		c := newBrowser(t)
		if withBrowser {
			c.jar = b.jar
		}
		req := httptest.NewRequest(http.MethodPost, e.urls.ACSURL, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp := c.do(e.mux, req)
		switch resp.StatusCode {
		case http.StatusSeeOther:
			loc := resp.Header.Get("Location")
			if signin.SafeReturnPath(loc, "") != loc {
				t.Fatalf("redirected off-site to %q", loc)
			}
			who := c.get(e.mux, baseURL+"/auth/whoami")
			var w whoami
			json.NewDecoder(who.Body).Decode(&w)
			if who.StatusCode != http.StatusOK || w.UserID != e.alice.ID {
				t.Fatalf("303 but whoami = %d %+v", who.StatusCode, w)
			}
		case http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}

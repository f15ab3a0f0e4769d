package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// signInLog fills Acme's sign-in log as an identity provider's traffic
// would: Ann signs in, an unprovisioned person and a forged response are
// refused, and Bob, deactivated, is refused; Globex has one refusal.
func (p *pagesEnv) signInLog() {
	p.t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	if _, err := p.store.CreateSession(ctx, store.Actor{Kind: "user"}, store.Session{IDHash: []byte("ann-session"), OrgID: p.org.ID,
		UserID: p.people[0].ID, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(time.Hour)},
		store.SignIn{Method: "sp_initiated", NameID: "ann@acme.example"}); err != nil {
		p.t.Fatal(err)
	}
	for _, c := range []struct {
		org string
		in  store.SignIn
	}{
		{p.org.ID, store.SignIn{Method: "sp_initiated", NameID: "zed@acme.example", Reason: "unknown_user", Detail: `no user with user_name "zed@acme.example"`}},
		{p.org.ID, store.SignIn{Method: "idp_initiated", Reason: "bad_signature", Detail: "the signature does not verify"}},
		{p.org.ID, store.SignIn{Method: "sp_initiated", NameID: "bob@acme.example", Reason: "user_deactivated", Detail: "the user is deactivated", UserID: p.people[1].ID}},
		{p.other.ID, store.SignIn{Method: "sp_initiated", NameID: "gus@globex.example", Reason: "unknown_user", Detail: "globex's refusal"}},
	} {
		if err := p.sso.RecordRefused(ctx, c.org, c.in); err != nil {
			p.t.Fatal(err)
		}
	}
}

// TestSignInLog: the log newest first with who signed in (linked to their
// user page) and each refusal's reason in plain words with what to change;
// the outcome and reason filters; paging; another organization's sign-ins
// are not shown.
func TestSignInLog(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			p := newPagesEnv(t, eng.open(t))
			wantIn(t, "empty log", p.b.get(p.base+"/sign-ins"), http.StatusOK, "No sign-in yet")
			wantIn(t, "provisioning log's tab", p.b.get(p.base+"/provisioning"), http.StatusOK, `href="/console/sign-ins"`)
			p.signInLog()

			all := p.b.get(p.base + "/sign-ins")
			wantIn(t, "sign-in log", all, http.StatusOK,
				`<a href="/console/users/`+p.people[0].ID+`">ann@acme.example</a>`, "Signed in",
				"<code>unknown_user</code>", "has not been provisioned to roster", "What to change:", "Assign the person",
				"NameID zed@acme.example", `no user with user_name &#34;zed@acme.example&#34;`,
				"<code>bad_signature</code>", "upload fresh metadata", "Started at the identity provider",
				`<a href="/console/users/`+p.people[1].ID+`">bob@acme.example</a>`, "is deactivated", "Reactivate")
			if strings.Contains(all.body, "gus@globex.example") || strings.Contains(all.body, "globex") {
				t.Error("Acme's sign-in log shows Globex's sign-in")
			}
			// Newest first: Bob's refusal, then the forgery, then Zed, then Ann.
			if i, j := strings.Index(all.body, "bob@acme.example"), strings.Index(all.body, "ann@acme.example"); i < 0 || j < 0 || i > j {
				t.Error("the log is not newest first")
			}

			refused := p.b.get(p.base + "/sign-ins?outcome=refused")
			wantIn(t, "refused only", refused, http.StatusOK, "unknown_user", "bad_signature", `<option value="refused" selected>`, "Clear filters")
			if strings.Contains(refused.body, "ann@acme.example") {
				t.Error("refused only shows Ann's sign-in")
			}
			unknown := p.b.get(p.base + "/sign-ins?reason=unknown_user")
			wantIn(t, "one reason", unknown, http.StatusOK, "zed@acme.example", `<option value="unknown_user" selected>`)
			if strings.Contains(unknown.body, "<code>bad_signature</code>") || strings.Contains(unknown.body, "bob@acme.example") {
				t.Error("the reason filter shows other reasons")
			}
			wantIn(t, "success only", p.b.get(p.base+"/sign-ins?outcome=success&reason=bad_signature"), http.StatusOK, "No sign-in matches these filters")
			// Unknown filter values are ignored, not an error.
			wantIn(t, "bad filters", p.b.get(p.base+"/sign-ins?outcome=maybe&reason=%3Cscript%3E&before=-3"), http.StatusOK, "ann@acme.example")

			// One user's sign-ins, from their page.
			wantIn(t, "Bob's page", p.b.get(p.base+"/users/"+p.people[1].ID), http.StatusOK, `href="/console/sign-ins?user=`+p.people[1].ID+`"`)
			bobs := p.b.get(p.base + "/sign-ins?user=" + p.people[1].ID)
			wantIn(t, "Bob's sign-ins", bobs, http.StatusOK, "Only the sign-ins of", "user_deactivated", `name="user" value="`+p.people[1].ID+`"`)
			if strings.Contains(bobs.body, "ann@acme.example") || strings.Contains(bobs.body, "<code>unknown_user</code>") {
				t.Error("Bob's sign-ins show others'")
			}
			other := newBrowser(t)
			other.enter(p.link(p.other.ID))
			if pg := other.get(p.base + "/sign-ins?user=" + p.people[1].ID); pg.code != http.StatusNotFound {
				t.Errorf("Globex filtering by Acme's user = %d; want 404", pg.code)
			}

			// Paging: 60 more refusals, 50 a page.
			ctx := context.Background()
			for i := range 60 {
				w := store.RefusalWindow{Start: time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC), KeepDetail: 20}
				if _, err := p.store.RecordSignInRefused(ctx, store.Actor{Kind: "system"}, p.org.ID, store.SignIn{Method: "sp_initiated", Reason: "expired"}, w); err != nil {
					t.Fatal(err)
				}
			}
			first := p.b.get(p.base + "/sign-ins?outcome=refused")
			if n := strings.Count(first.body, "<code>expired</code>"); n != 50 {
				t.Errorf("first page shows %d refusals; want 50", n)
			}
			i := strings.Index(first.body, `rel="next"`)
			if i < 0 {
				t.Fatal("no link to older sign-ins")
			}
			href := first.body[strings.LastIndex(first.body[:i], `href="`)+6 : i-2]
			older := p.b.get(p.srv.URL + strings.ReplaceAll(href, "&amp;", "&"))
			wantIn(t, "older page", older, http.StatusOK, "unknown_user", "bad_signature", "Newest", `outcome=refused`)
			if strings.Contains(older.body, `rel="next"`) {
				t.Error("the last page links to more")
			}

			if pg := other.get(p.base + "/sign-ins"); !strings.Contains(pg.body, "gus@globex.example") || strings.Contains(pg.body, "acme.example") {
				t.Errorf("Globex's sign-in log:\n%s", pg.body)
			}
		})
	}
}

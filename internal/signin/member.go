package signin

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/url"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/store"
)

// formPage is a page with a form: the member page and discovery.
type formPage struct {
	Title   string
	Message string
	OrgName string
	User    string
	Places  []placeRow
	Token   string
	Email   string
	State   string
	Notice  string
}

type placeRow struct {
	sso.Place
	Kind string
}

const pageHead = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}} · roster</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:4rem auto;padding:0 1rem;color:#222}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #ddd}small{color:#666}button{font:inherit;padding:.2rem .8rem}input{font:inherit;padding:.2rem .4rem;width:18rem}.notice{background:#eef6ee;padding:.5rem}</style>
</head>
<body>
`

var memberTemplate = template.Must(template.New("member").Parse(pageHead + `<h1>{{.Title}}</h1>
<p>Signed in as <strong>{{.User}}</strong>{{if .OrgName}} in {{.OrgName}}{{end}}.</p>
{{- if .Notice}}<p class="notice">{{.Notice}}</p>{{end}}
{{- if .Places}}
<table>
<tr><th>Workspace or folder</th><th>Your role</th><th></th></tr>
{{- range .Places}}
<tr><td>{{.Name}} <small>{{.Kind}}</small></td><td>{{.Role}}</td><td>
{{- if .Joined}}Joined
{{- else if .Joinable}}<form method="post" action="/auth/member/join"><input type="hidden" name="token" value="{{$.Token}}"><input type="hidden" name="resource_type" value="{{.ResourceType}}"><input type="hidden" name="resource_id" value="{{.ResourceID}}"><button type="submit">Join</button></form>
{{- else}}<small>through its workspace</small>{{end}}</td></tr>
{{- end}}
</table>
{{- else}}
<p>Your groups give you access to no workspace or folder yet. Ask an administrator of your organization to grant one of your groups access.</p>
{{- end}}
<form method="post" action="/auth/logout"><p><button type="submit">Sign out</button></p></form>
</body>
</html>
`))

var discoverTemplate = template.Must(template.New("discover").Parse(pageHead + `<h1>{{.Title}}</h1>
{{- if .Message}}<p>{{.Message}}</p>{{end}}
<form method="get" action="` + DiscoverPath + `">
<p><label>Your work e-mail address<br><input type="email" name="email" value="{{.Email}}" required autocomplete="email"></label></p>
{{- if .State}}<input type="hidden" name="state" value="{{.State}}">{{end}}
<p><button type="submit">Continue</button></p>
</form>
<p><small>roster finds your organization by the domain of your address and sends you to its single sign-on.</small></p>
</body>
</html>
`))

// render writes a page with forms posting to roster itself: the same
// strict policy as the other pages, except that forms may submit here.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, d formPage) {
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		h.logger().ErrorContext(r.Context(), "rendering a sign-in page failed", "err", err)
		http.Error(w, d.Title, http.StatusInternalServerError)
		return
	}
	writeHTML(w, status, b.Bytes(), "'self'")
}

// sessionToken returns the session cookie's value with its session.
func (h *Handler) sessionToken(r *http.Request) (string, store.Session, bool) {
	ck, err := r.Cookie(h.cookieName())
	if err != nil {
		return "", store.Session{}, false
	}
	ss, ok := h.Service.Session(r.Context(), ck.Value)
	return ck.Value, ss, ok
}

// member shows the signed-in member what they can reach, with a Join
// button where their groups' grants let them join.
func (h *Handler) member(w http.ResponseWriter, r *http.Request) {
	token, ss, ok := h.sessionToken(r)
	if !ok {
		h.page(w, r, http.StatusUnauthorized, store.Org{}, refusal{Title: "Not signed in",
			Message: "Sign in with your organization's single sign-on first: use the link your administrator gave you, or find it by your e-mail address at " + DiscoverPath + "."})
		return
	}
	h.renderMember(w, r, http.StatusOK, token, ss, "")
}

func (h *Handler) renderMember(w http.ResponseWriter, r *http.Request, status int, token string, ss store.Session, notice string) {
	o, err := h.Service.Org(r.Context(), ss.OrgID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	places, err := h.Service.Places(r.Context(), ss.OrgID, ss.UserID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	names := map[string]string{}
	for _, p := range places {
		if p.ResourceType == store.ResourceWorkspace {
			names[p.ResourceID] = p.Name
		}
	}
	d := formPage{Title: "Your workspaces", OrgName: o.Name, User: ss.UserName, Token: sso.FormToken(token), Notice: notice}
	for _, p := range places {
		kind := "workspace"
		if p.ResourceType == store.ResourceFolder {
			kind = "folder"
			if n := names[p.WorkspaceID]; n != "" {
				kind = "folder in " + n
			}
		}
		d.Places = append(d.Places, placeRow{Place: p, Kind: kind})
	}
	h.render(w, r, status, memberTemplate, d)
}

// join records the member's membership of one workspace or folder. It is
// behind http.CrossOriginProtection and takes the session's form token
// too, so no other site can make a member join anything.
func (h *Handler) join(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	token, ss, ok := h.sessionToken(r)
	if !ok {
		h.page(w, r, http.StatusUnauthorized, store.Org{}, refusal{Title: "Not signed in",
			Message: "Your session has ended. Sign in again, then join."})
		return
	}
	if err := r.ParseForm(); err != nil || !sso.CheckFormToken(token, r.PostForm.Get("token")) {
		h.page(w, r, http.StatusForbidden, store.Org{}, refusal{Title: "Join refused",
			Message: "This form is out of date or did not come from roster. Open the member page again and click Join there."})
		return
	}
	joined, err := h.Service.Join(r.Context(), ss, store.ResourceType(r.PostForm.Get("resource_type")), r.PostForm.Get("resource_id"))
	switch {
	case fault.Is(err, fault.Forbidden) || fault.Is(err, fault.NotFound) || fault.Is(err, fault.Invalid):
		h.renderMember(w, r, http.StatusForbidden, token, ss, "You cannot join that: none of your groups is granted access to it.")
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	notice := "You are a member already."
	if len(joined) > 0 {
		notice = "Joined " + joined[0].Name + " as " + joined[0].Role + "."
	}
	h.renderMember(w, r, http.StatusOK, token, ss, notice)
}

// discover finds the organization of an e-mail address (or domain) and
// sends the browser to its sign-in; without one it asks for it.
func (h *Handler) discover(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	email, state := q.Get("email"), q.Get("state")
	if sso.CheckState(state) != nil {
		h.page(w, r, http.StatusBadRequest, store.Org{}, badState())
		return
	}
	value := email
	if value == "" {
		value = q.Get("domain")
	}
	d := formPage{Title: "Sign in with single sign-on", Email: email, State: state}
	if value == "" {
		h.render(w, r, http.StatusOK, discoverTemplate, d)
		return
	}
	if len(value) > 320 {
		d.Message, d.Email = "That address is too long to be an e-mail address.", ""
		h.render(w, r, http.StatusBadRequest, discoverTemplate, d)
		return
	}
	o, err := h.Service.Discover(r.Context(), value)
	switch {
	case errors.Is(err, sso.ErrNoDomain):
		d.Title = "No organization found"
		d.Message = "No organization on roster signs in people with that address's domain. Check the address, or use the sign-in link your administrator gave you; if your organization has just set up single sign-on, its administrator may still need to add the domain."
		h.render(w, r, http.StatusNotFound, discoverTemplate, d)
		return
	case fault.Is(err, fault.Invalid):
		d.Message = "That does not look like an e-mail address. Enter your work address, such as name@example.com."
		h.render(w, r, http.StatusBadRequest, discoverTemplate, d)
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	c, err := h.Service.Config(r.Context(), o.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	target := h.Service.URLs(c).LoginURL
	if state != "" {
		target += "?" + url.Values{"state": {state}}.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

package signin

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/store"
)

// refusal is what a page tells the person in front of the browser.
type refusal struct {
	Title   string
	Message string
	// Reason is the stable code, shown for administrators to look up in
	// docs/saml.md.
	Reason string
	// Admins lists the organization's owners and admins to ask.
	Admins bool
}

type pageData struct {
	refusal
	OrgName  string
	Contacts []sso.Contact
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}} · roster</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .25rem}small{color:#666}</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{- if .Admins}}
{{- if .Contacts}}
<p>Ask an administrator of {{if .OrgName}}{{.OrgName}}{{else}}your organization{{end}} for help:</p>
<ul>{{range .Contacts}}<li>{{.Name}}{{if .Email}} &lt;<a href="mailto:{{.Email}}">{{.Email}}</a>&gt;{{end}}</li>{{end}}</ul>
{{- else}}
<p>Ask the administrators of {{if .OrgName}}{{.OrgName}}{{else}}your organization{{end}} — the people who manage its Okta or Microsoft Entra ID — for help.</p>
{{- end}}
{{- end}}
{{- if .Reason}}
<p><small>For your administrator: reason <code>{{.Reason}}</code> (see roster's docs/saml.md, “Troubleshooting”).</small></p>
{{- end}}
</body>
</html>
`))

// maxContacts bounds the administrators listed on a page.
const maxContacts = 5

// page renders an HTML page. It is served with a strict Content Security
// Policy and is never cached or framed.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, status int, o store.Org, p refusal) {
	d := pageData{refusal: p, OrgName: o.Name}
	if p.Admins && o.ID != "" {
		contacts, err := h.Service.Contacts(r.Context(), o.ID, maxContacts)
		if err != nil {
			h.logger().WarnContext(r.Context(), "listing organization admins failed", "org", o.ID, "err", err)
		}
		d.Contacts = contacts
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		h.logger().ErrorContext(r.Context(), "rendering a sign-in page failed", "err", err)
		http.Error(w, p.Title, status)
		return
	}
	writeHTML(w, status, b.Bytes(), "'none'")
}

// writeHTML sends a rendered page with the strict policy every sign-in
// page has: nothing loaded, inline style only, never framed, cached or
// referred; formAction says where its forms may post.
func writeHTML(w http.ResponseWriter, status int, body []byte, formAction string) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action "+formAction)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

package signin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/rosterhq/roster/internal/requestid"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/store"
)

func (h *Handler) cookieName() string {
	if h.Service.Secure() {
		return secureSessionCookie
	}
	return sessionCookie
}

// setSessionCookie hands a new session's token to the browser: HttpOnly,
// SameSite=Lax, Secure over HTTPS, and only for as long as the session may
// last.
func (h *Handler) setSessionCookie(w http.ResponseWriter, s sso.NewSession) {
	http.SetCookie(w, &http.Cookie{
		Name: h.cookieName(), Value: s.Token, Path: "/", HttpOnly: true, Secure: h.Service.Secure(),
		// MaxAge, not Expires: relative, so the browser's clock does not matter.
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.MaxAge.Seconds()),
	})
}

// Current returns the signed-in user's session for a request, or false.
// A session ends at its timeouts and with its user's deactivation (see
// sso.Service.Session). Other surfaces use it to authenticate browsers.
func (h *Handler) Current(r *http.Request) (store.Session, bool) {
	ck, err := r.Cookie(h.cookieName())
	if err != nil {
		return store.Session{}, false
	}
	return h.Service.Session(r.Context(), ck.Value)
}

type whoamiResponse struct {
	UserID       string    `json:"user_id"`
	UserName     string    `json:"userName"`
	Organization orgRef    `json:"organization"`
	ExpiresAt    time.Time `json:"expires_at"`
}

type orgRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// whoami answers 200 with the signed-in user's userName and organization,
// 401 otherwise.
func (h *Handler) whoami(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s, ok := h.Current(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "unauthorized", "not signed in: sign in with single sign-on first")
		return
	}
	o, err := h.Service.Org(r.Context(), s.OrgID)
	if err != nil {
		h.logger().ErrorContext(r.Context(), "whoami: reading the organization failed", "err", err)
		writeError(w, http.StatusInternalServerError, "internal",
			"internal error; the request id "+requestid.From(r.Context())+" identifies it in the server log")
		return
	}
	expires := s.ExpiresAt
	if s.IdleExpiresAt.Before(expires) {
		expires = s.IdleExpiresAt
	}
	writeJSON(w, http.StatusOK, whoamiResponse{UserID: s.UserID, UserName: s.UserName,
		Organization: orgRef{ID: o.ID, Name: o.Name}, ExpiresAt: expires})
}

// logout ends the session and clears the cookie. It is mounted behind
// http.CrossOriginProtection, so another site cannot sign a user out.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if ck, err := r.Cookie(h.cookieName()); err == nil {
		if err := h.Service.EndSession(r.Context(), ck.Value); err != nil {
			h.internal(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(), Value: "", Path: "/", HttpOnly: true,
		Secure: h.Service.Secure(), SameSite: http.SameSiteLaxMode, MaxAge: -1})
	h.page(w, r, http.StatusOK, store.Org{}, refusal{Title: "Signed out", Message: "You are signed out of roster."})
}

// MeHandler returns the handler of /scim/v2/Me: GET answers the signed-in
// user's SCIM representation (through Renderer when set), other methods
// 405; without a session it answers 401, as SCIM errors. Mount it as the
// SCIM handler's Me field.
func (h *Handler) MeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			scimError(w, http.StatusMethodNotAllowed, "/Me supports GET only: roster users are managed by the identity provider")
			return
		}
		s, ok := h.Current(r)
		if !ok {
			scimError(w, http.StatusUnauthorized, "sign in with single sign-on to use /Me")
			return
		}
		u, err := h.Service.User(r.Context(), s.OrgID, s.UserID)
		if err != nil {
			h.logger().ErrorContext(r.Context(), "/Me: reading the user failed", "err", err)
			scimError(w, http.StatusInternalServerError, "internal error")
			return
		}
		if h.Renderer != nil {
			h.Renderer.ServeUser(w, r, u)
			return
		}
		doc, err := scimUser(u)
		if err != nil {
			h.logger().ErrorContext(r.Context(), "/Me: rendering the user failed", "err", err)
			scimError(w, http.StatusInternalServerError, "internal error")
			return
		}
		w.Header().Set("Content-Type", "application/scim+json")
		w.Header().Set("ETag", fmt.Sprintf(`W/"%d"`, u.Version))
		w.Write(doc)
	})
}

// scimUser renders a stored user as a SCIM User resource without groups:
// the fallback when no Renderer is wired.
func scimUser(u store.User) ([]byte, error) {
	res := map[string]any{}
	if len(u.Attributes) > 0 {
		dec := json.NewDecoder(bytes.NewReader(u.Attributes))
		dec.UseNumber()
		if err := dec.Decode(&res); err != nil {
			return nil, fmt.Errorf("decode stored user %s: %w", u.ID, err)
		}
	}
	res["schemas"] = []string{"urn:ietf:params:scim:schemas:core:2.0:User"}
	res["id"], res["userName"], res["active"] = u.ID, u.UserName, u.Active
	if u.ExternalID != "" {
		res["externalId"] = u.ExternalID
	}
	if u.DisplayName != "" {
		res["displayName"] = u.DisplayName
	}
	res["meta"] = map[string]any{
		"resourceType": "User",
		"created":      u.CreatedAt.UTC().Format(time.RFC3339Nano),
		"lastModified": u.UpdatedAt.UTC().Format(time.RFC3339Nano),
		"version":      fmt.Sprintf(`W/"%d"`, u.Version),
	}
	return json.Marshal(res)
}

func scimError(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		"status":  fmt.Sprint(status),
		"detail":  detail,
	})
}

// writeError answers in the host API's error shape (docs/api.md), so a
// host app reads /auth/whoami's refusals as it reads the API's.
func writeError(w http.ResponseWriter, status int, code, message string) {
	type apiError struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

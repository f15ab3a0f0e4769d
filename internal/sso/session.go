package sso

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/store"
)

func encodeToken(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// touchEvery is how stale a session's last-use time may get before a use
// writes it again: the idle timeout is exact to within this much, and a
// busy session costs one write per interval rather than one per request.
const touchEvery = time.Minute

func (h *Handler) cookieName() string {
	if h.Service.Secure() {
		return secureSessionCookie
	}
	return sessionCookie
}

// startSession creates the session (recording the sign-in in the same
// transaction) and sets its cookie: HttpOnly, SameSite=Lax, Secure over
// HTTPS. The cookie holds 256 random bits; the store keeps only their
// SHA-256.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, o store.Org, u store.User, a *saml.Assertion, in store.SignIn) error {
	now := h.now()
	expires := now.Add(h.maxAge())
	if !a.SessionNotOnOrAfter.IsZero() && a.SessionNotOnOrAfter.Before(expires) {
		expires = a.SessionNotOnOrAfter.UTC()
	}
	idle := now.Add(h.idle())
	if idle.After(expires) {
		idle = expires
	}
	id := randomToken()
	actor := store.Actor{Kind: "user", ID: u.ID, Name: u.UserName}
	if _, err := h.Service.Store.CreateSession(r.Context(), actor, store.Session{
		IDHash: digest(id), OrgID: o.ID, UserID: u.ID, IdleExpiresAt: idle, ExpiresAt: expires,
	}, in); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: h.cookieName(), Value: id, Path: "/", HttpOnly: true, Secure: h.Service.Secure(),
		// MaxAge, not Expires: relative, so the browser's clock does not matter.
		SameSite: http.SameSiteLaxMode, MaxAge: max(1, int(expires.Sub(now).Seconds())),
	})
	return nil
}

// Current returns the signed-in user's session for a request, or false.
//
// It reads the session and its user in one statement and refuses — and
// deletes — a session that has passed its idle or absolute timeout or whose
// user is no longer active, so a deactivation takes effect on the very next
// request (the store also deletes the user's sessions in the deactivating
// transaction). Other surfaces use it to authenticate browsers.
func (h *Handler) Current(r *http.Request) (store.Session, bool) {
	ck, err := r.Cookie(h.cookieName())
	if err != nil || len(ck.Value) < 43 || len(ck.Value) > 64 {
		return store.Session{}, false
	}
	ctx := r.Context()
	idHash := digest(ck.Value)
	s, err := h.Service.Store.GetSession(ctx, idHash)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.logger().ErrorContext(ctx, "reading a session failed", "err", err)
		}
		return store.Session{}, false
	}
	now := h.now()
	if !s.UserActive || !now.Before(s.ExpiresAt) || !now.Before(s.IdleExpiresAt) {
		if err := h.Service.Store.DeleteSession(ctx, store.Actor{Kind: "system", Name: "session expiry"}, s.OrgID, idHash, "expired"); err != nil && !errors.Is(err, store.ErrNotFound) {
			h.logger().WarnContext(ctx, "deleting an ended session failed", "err", err)
		}
		return store.Session{}, false
	}
	if now.Sub(s.LastSeenAt) >= touchEvery {
		if err := h.Service.Store.TouchSession(ctx, idHash, now, now.Add(h.idle())); err != nil {
			h.logger().WarnContext(ctx, "recording a session's use failed", "err", err)
		}
	}
	return s, true
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
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "not signed in"})
		return
	}
	o, err := h.Service.Store.GetOrg(r.Context(), s.OrgID)
	if err != nil {
		h.logger().ErrorContext(r.Context(), "whoami: reading the organization failed", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
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
	if ck, err := r.Cookie(h.cookieName()); err == nil && ck.Value != "" {
		idHash := digest(ck.Value)
		if s, err := h.Service.Store.GetSession(r.Context(), idHash); err == nil {
			actor := store.Actor{Kind: "user", ID: s.UserID, Name: s.UserName}
			if err := h.Service.Store.DeleteSession(r.Context(), actor, s.OrgID, idHash, "logout"); err != nil && !errors.Is(err, store.ErrNotFound) {
				h.internal(w, r, err)
				return
			}
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
		u, err := h.Users.GetUser(r.Context(), s.OrgID, s.UserID)
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

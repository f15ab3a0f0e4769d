package scim

import (
	"errors"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/scim/patch"
	"github.com/rosterhq/roster/internal/scim/schema"
	"github.com/rosterhq/roster/internal/store"
)

// wantsGroups reports whether a response shaped by these parameters shows
// the computed "groups" attribute, so the query for it can be skipped.
func wantsGroups(attributes, excluded []string) bool {
	if len(attributes) > 0 {
		for _, a := range attributes {
			if hasAttr(a, "groups") {
				return true
			}
		}
		return false
	}
	for _, a := range excluded {
		if strings.EqualFold(a, "groups") || strings.EqualFold(a, schema.UserURN+":groups") {
			return false
		}
	}
	return true
}

// hasAttr reports whether a selection path names attribute name or one of
// its sub-attributes.
func hasAttr(path, name string) bool {
	p := strings.ToLower(path)
	p = strings.TrimPrefix(p, strings.ToLower(schema.UserURN)+":")
	p = strings.TrimPrefix(p, strings.ToLower(schema.GroupURN)+":")
	return p == name || strings.HasPrefix(p, name+".")
}

// renderUser projects a stored user for a response.
func (h *Handler) renderUser(r *http.Request, c *caller, u store.User, groups []store.GroupRef, attrs, excl []string) (schema.Resource, error) {
	res, err := h.userResource(u, groups)
	if err != nil {
		return nil, err
	}
	if len(attrs) == 0 && len(excl) == 0 {
		// Nothing to select: the stored document was validated on the way
		// in and holds no "never" or "request" attribute (password is not
		// stored), so only "schemas" remains to be set.
		schemas := []any{schema.UserURN}
		if _, ok := res[schema.EnterpriseUserURN]; ok {
			schemas = append(schemas, schema.EnterpriseUserURN)
		}
		res["schemas"] = schemas
		return res, nil
	}
	return h.user.Project(res, attrs, excl)
}

// writeUser answers with one user, its ETag and, for a creation, Location.
func (h *Handler) writeUser(w http.ResponseWriter, r *http.Request, c *caller, u store.User, status int) error {
	p, err := h.queryParams(r)
	if err != nil {
		return err
	}
	var groups []store.GroupRef
	// A user just created belongs to no group yet: no need to ask.
	if status != http.StatusCreated && wantsGroups(p.attributes, p.excluded) {
		m, err := h.Directory.UserGroups(r.Context(), c.org.ID, []string{u.ID})
		if err != nil {
			return err
		}
		groups = m[u.ID]
	}
	res, err := h.renderUser(r, c, u, groups, p.attributes, p.excluded)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(u.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", h.base()+"/Users/"+u.ID)
	}
	writeJSON(w, status, res)
	return nil
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	body, err := h.readBody(w, r, h.Limits.MaxBody)
	if err != nil {
		return err
	}
	res, err := h.user.Decode(body)
	if err != nil {
		return err
	}
	rec, err := userRecord(c.org.ID, res)
	if err != nil {
		return err
	}
	u, err := h.Directory.CreateUser(r.Context(), c.actor, rec)
	if err != nil {
		return err
	}
	return h.writeUser(w, r, c, u, http.StatusCreated)
}

// loadUser reads a user, honouring If-None-Match for GET.
func (h *Handler) loadUser(r *http.Request, c *caller) (store.User, error) {
	id := r.PathValue("id")
	u, err := h.Directory.GetUser(r.Context(), c.org.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return u, notFound("User", id)
	}
	return u, err
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := h.loadUser(r, c)
	if err != nil {
		return err
	}
	if notModified(w, r, u.Version) {
		return nil
	}
	return h.writeUser(w, r, c, u, http.StatusOK)
}

func (h *Handler) replaceUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	var rec store.User
	var hasActive bool
	var decoded error
	done := false
	saved, err := h.Directory.PutUser(r.Context(), c.actor, c.org.ID, r.PathValue("id"), ifMatchOf(r),
		func(cur store.User) (store.User, error) {
			// The body is read once, after the user is known to exist and
			// If-Match holds, so those answers come first.
			if !done {
				done = true
				rec, hasActive, decoded = h.decodeUser(w, r, c)
			}
			next := rec
			if !hasActive {
				// A PUT that does not assert active leaves it as it is
				// (RFC 7644 §3.5.1 lets the provider choose): defaulting
				// it to true would re-activate a deactivated user, and a
				// removal must never grant access.
				next.Active = cur.Active
			}
			return next, decoded
		})
	if err != nil {
		return userError(r, err)
	}
	return h.writeUser(w, r, c, saved, http.StatusOK)
}

// decodeUser reads a request body holding a whole user; hasActive says
// whether it asserts active.
func (h *Handler) decodeUser(w http.ResponseWriter, r *http.Request, c *caller) (u store.User, hasActive bool, err error) {
	body, err := h.readBody(w, r, h.Limits.MaxBody)
	if err != nil {
		return store.User{}, false, err
	}
	res, err := h.user.Decode(body)
	if err != nil {
		return store.User{}, false, err
	}
	_, hasActive = res["active"].(bool)
	u, err = userRecord(c.org.ID, res)
	return u, hasActive, err
}

func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	body, err := h.readBody(w, r, h.Limits.MaxBody)
	if err != nil {
		return err
	}
	ops, err := patch.Decode(body)
	if err != nil {
		return err
	}
	saved, err := h.Directory.PatchUser(r.Context(), c.actor, c.org.ID, r.PathValue("id"), ifMatchOf(r),
		func(u store.User) (store.User, error) {
			current, err := h.userResource(u, nil)
			if err != nil {
				return store.User{}, err
			}
			delete(current, "meta")
			next, err := patch.Apply(h.user, current, ops)
			if err != nil {
				return store.User{}, err
			}
			return userRecord(c.org.ID, next)
		})
	if err != nil {
		return userError(r, err)
	}
	return h.writeUser(w, r, c, saved, http.StatusOK)
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := h.Directory.DeleteUserIf(r.Context(), c.actor, c.org.ID, r.PathValue("id"), ifMatchOf(r)); err != nil {
		return userError(r, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// userError answers a missing user as SCIM's 404 for its id.
func userError(r *http.Request, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFound("User", r.PathValue("id"))
	}
	return err
}

// list answers GET on a resource type's endpoint.
func (h *Handler) list(rts ...*schema.ResourceType) func(http.ResponseWriter, *http.Request, *caller) error {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		p, err := h.queryParams(r)
		if err != nil {
			return err
		}
		if key, ok := h.lookupKey(rts, p); ok {
			hit, slot, err := h.cachedLookup(r.Context(), w, c, key)
			if err != nil || hit {
				return err
			}
			p.lookup = slot
		}
		return h.respondList(w, r, c, p, rts)
	}
}

// search answers POST .search (RFC 7644 §3.4.3) over the resource types.
func (h *Handler) search(rts ...*schema.ResourceType) func(http.ResponseWriter, *http.Request, *caller) error {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		body, err := h.readBody(w, r, 1<<20)
		if err != nil {
			return err
		}
		p, err := h.bodyParams(body)
		if err != nil {
			return err
		}
		return h.respondList(w, r, c, p, rts)
	}
}

// notModified answers 304 Not Modified, and reports it, when If-None-Match
// names the current version (RFC 7644 §3.14).
func notModified(w http.ResponseWriter, r *http.Request, version int64) bool {
	v := r.Header.Get("If-None-Match")
	if v == "" || !matchesETag(v, version) {
		return false
	}
	w.Header().Set("ETag", etag(version))
	w.WriteHeader(http.StatusNotModified)
	return true
}

// ifMatchOf is the request's If-Match as a directory precondition: nil
// when the client sent none.
func ifMatchOf(r *http.Request) directory.Precondition {
	if r.Header.Get("If-Match") == "" {
		return nil
	}
	return func(version int64) error { return ifMatch(r, version) }
}

// ifMatch enforces If-Match (RFC 7644 §3.14, RFC 9110 §13.1.1).
func ifMatch(r *http.Request, version int64) error {
	v := r.Header.Get("If-Match")
	if v == "" || matchesETag(v, version) {
		return nil
	}
	return &Error{Status: http.StatusPreconditionFailed,
		Detail: "the resource is at version " + etag(version) + ", not the one in If-Match; read it again and retry"}
}

func matchesETag(header string, version int64) bool {
	want := etag(version)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || t == want || "W/"+t == want || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(want, "W/") {
			return true
		}
	}
	return false
}

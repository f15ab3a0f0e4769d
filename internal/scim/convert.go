package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/scim/schema"
	"github.com/rosterhq/roster/internal/store"
)

// Attributes with columns of their own, or computed, are not kept in the
// stored document or the value index.
var userColumns = map[string]bool{
	"id": true, "meta": true, "groups": true, "password": true, "schemas": true,
}

// userRecord turns a decoded User resource into the store record: the
// identifying columns, the document, and the value index filters use.
func userRecord(orgID string, res schema.Resource) (store.User, error) {
	u := store.User{OrgID: orgID, Active: true}
	u.UserName, _ = res["userName"].(string)
	u.ExternalID, _ = res["externalId"].(string)
	u.DisplayName, _ = res["displayName"].(string)
	if a, ok := res["active"].(bool); ok {
		u.Active = a
	}
	doc := make(map[string]any, len(res))
	for k, v := range res {
		if !userColumns[k] {
			doc[k] = v
		}
	}
	var err error
	if u.ManagerID, err = takeManager(doc); err != nil {
		return u, err
	}
	b, err := marshal(doc)
	if err != nil {
		return u, fmt.Errorf("encode user: %w", err)
	}
	u.Attributes = b
	u.Values = indexValues(doc)
	if u.ManagerID != "" {
		u.Values = append(u.Values, store.Value{Attr: store.ManagerAttr, Sub: "value", Str: u.ManagerID})
	}
	return u, nil
}

// takeManager moves the enterprise extension's manager out of the document
// and returns its id ("" for none). The manager is a reference the store
// keeps and checks (a user of the same organization); its $ref and
// displayName are computed from the current manager on every read, so
// none of what the client sent beyond the id is kept. doc's extension map
// is replaced, not changed: the decoded resource may be stored again.
func takeManager(doc map[string]any) (string, error) {
	ext, ok := doc[schema.EnterpriseUserURN].(map[string]any)
	if !ok {
		return "", nil
	}
	m, present := ext["manager"]
	if !present {
		return "", nil
	}
	rest := make(map[string]any, len(ext))
	for k, v := range ext {
		if k != "manager" {
			rest[k] = v
		}
	}
	if len(rest) == 0 {
		delete(doc, schema.EnterpriseUserURN)
	} else {
		doc[schema.EnterpriseUserURN] = rest
	}
	var id any
	switch m := m.(type) {
	case nil:
		return "", nil
	case map[string]any:
		id = m["value"]
	default:
		id = m
	}
	switch id := id.(type) {
	case nil:
		return "", nil
	case string:
		return id, nil
	}
	return "", &Error{Status: http.StatusBadRequest, ScimType: schema.ScimTypeInvalidValue,
		Detail: "manager.value must be the id of a user of this organization, a string"}
}

// indexed attributes live in columns and are not repeated in the index.
var indexedColumns = map[string]bool{"userName": true, "externalId": true, "displayName": true, "active": true}

// indexValues flattens a document into one Value per leaf, in a stable
// order. Extension attributes are named "<urn>:<name>".
func indexValues(doc map[string]any) []store.Value {
	var out []store.Value
	keys := slices.Sorted(maps.Keys(doc))
	for _, k := range keys {
		v := doc[k]
		if indexedColumns[k] {
			continue
		}
		if strings.HasPrefix(strings.ToLower(k), "urn:") {
			if ext, ok := v.(map[string]any); ok {
				for _, ek := range slices.Sorted(maps.Keys(ext)) {
					out = appendValues(out, strings.ToLower(k+":"+ek), ext[ek])
				}
			}
			continue
		}
		out = appendValues(out, strings.ToLower(k), v)
	}
	return out
}

func appendValues(out []store.Value, attr string, v any) []store.Value {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			out = appendElem(out, attr, i, e)
		}
	default:
		out = appendElem(out, attr, 0, v)
	}
	return out
}

func appendElem(out []store.Value, attr string, elem int, v any) []store.Value {
	if m, ok := v.(map[string]any); ok {
		for _, sk := range slices.Sorted(maps.Keys(m)) {
			if s, ok := leafString(m[sk]); ok {
				out = append(out, store.Value{Attr: attr, Elem: elem, Sub: strings.ToLower(sk), Str: s})
			}
		}
		return out
	}
	if s, ok := leafString(v); ok {
		out = append(out, store.Value{Attr: attr, Elem: elem, Str: s})
	}
	return out
}

// leafString is the indexed form of a simple value; empty strings are
// absent values and are not indexed.
func leafString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, v != ""
	case bool:
		return strconv.FormatBool(v), true
	case json.Number:
		return v.String(), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	}
	return "", false
}

// marshal encodes JSON without HTML escaping, so stored values read back as
// they were sent.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// userResource builds the full representation of a stored user.
func (h *Handler) userResource(u store.User, groups []store.GroupRef) (schema.Resource, error) {
	res := schema.Resource{}
	if len(u.Attributes) > 0 {
		dec := json.NewDecoder(bytes.NewReader(u.Attributes))
		dec.UseNumber()
		if err := dec.Decode(&res); err != nil {
			return nil, fmt.Errorf("decode stored user %s: %w", u.ID, err)
		}
	}
	res["id"] = u.ID
	res["userName"] = u.UserName
	res["active"] = u.Active
	setOrDelete(res, "externalId", u.ExternalID)
	setOrDelete(res, "displayName", u.DisplayName)
	h.setManager(res, u)
	if len(groups) > 0 {
		gs := make([]any, len(groups))
		for i, g := range groups {
			gs[i] = map[string]any{"value": g.GroupID, "display": g.DisplayName, "$ref": h.base() + "/Groups/" + g.GroupID, "type": "direct"}
		}
		res["groups"] = gs
	}
	res["meta"] = map[string]any{
		"resourceType": "User",
		"created":      rfc3339(u.CreatedAt),
		"lastModified": rfc3339(u.UpdatedAt),
		"location":     h.base() + "/Users/" + u.ID,
		"version":      etag(u.Version),
	}
	return res, nil
}

// setManager renders the manager reference from the store's columns: the
// current manager's id, $ref and name. A manager a document stored before
// migration 0005 still carries is never shown: the store dropped it unless
// it named a user of the organization, and then the column holds it.
func (h *Handler) setManager(res schema.Resource, u store.User) {
	ext, _ := res[schema.EnterpriseUserURN].(map[string]any)
	if ext != nil {
		delete(ext, "manager")
	}
	if u.ManagerID != "" {
		if ext == nil {
			ext = map[string]any{}
		}
		m := map[string]any{"value": u.ManagerID, "$ref": h.base() + "/Users/" + u.ManagerID}
		if u.ManagerDisplay != "" {
			m["displayName"] = u.ManagerDisplay
		}
		ext["manager"] = m
	}
	switch {
	case len(ext) > 0:
		res[schema.EnterpriseUserURN] = ext
	default:
		delete(res, schema.EnterpriseUserURN)
	}
}

func setOrDelete(m map[string]any, k, v string) {
	if v == "" {
		delete(m, k)
		return
	}
	m[k] = v
}

// groupResource builds the representation of a group without members.
func (h *Handler) groupResource(g store.Group) schema.Resource {
	res := schema.Resource{"id": g.ID, "displayName": g.DisplayName}
	setOrDelete(res, "externalId", g.ExternalID)
	res["meta"] = map[string]any{
		"resourceType": "Group",
		"created":      rfc3339(g.CreatedAt),
		"lastModified": rfc3339(g.UpdatedAt),
		"location":     h.base() + "/Groups/" + g.ID,
		"version":      etag(g.Version),
	}
	return res
}

// memberJSON is one member as listed in a group.
func (h *Handler) memberObject(m store.Member) map[string]any {
	return map[string]any{"value": m.UserID, "display": m.Display, "$ref": h.base() + "/Users/" + m.UserID, "type": "User"}
}

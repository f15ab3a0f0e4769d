package schema

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestValueLimits: text values are bounded in bytes and multi-valued
// attributes in values (Group members excepted), NUL is refused, and a
// refusal names the attribute and the limit.
func TestValueLimits(t *testing.T) {
	user, group := User(), Group()
	text := func(n int) string { return strings.Repeat("a", n) }
	values := func(n int, f func(i int) any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	email := func(i int) any { return map[string]any{"value": fmt.Sprintf("e%d@example.com", i)} }
	tests := []struct {
		name   string
		rt     *ResourceType
		m      map[string]any
		detail string // "" when accepted
	}{
		{"userName at the limit", user, map[string]any{"userName": text(MaxTextBytes)}, ""},
		{"userName over the limit", user, map[string]any{"userName": text(MaxTextBytes + 1)}, `attribute "userName" is 1025 bytes long; at most 1024 bytes are allowed`},
		{"limit counts bytes, not characters", user, map[string]any{"userName": strings.Repeat("é", 513)}, `attribute "userName" is 1026 bytes long`},
		{"externalId", user, map[string]any{"userName": "a", "externalId": text(2000)}, `attribute "externalId" is 2000 bytes`},
		{"URN-qualified key", user, map[string]any{"userName": "a", "urn:ietf:params:scim:schemas:core:2.0:User:nickName": text(1025)}, `attribute "nickName" is 1025`},
		{"sub-attribute in an element", user, map[string]any{"userName": "a", "emails": []any{email(0), map[string]any{"value": text(1025)}}}, `attribute "emails.value" (element 2) is 1025 bytes`},
		{"extension", user, map[string]any{"userName": "a", EnterpriseUserURN: map[string]any{"manager": map[string]any{"value": text(1025)}}}, `attribute "` + EnterpriseUserURN + `:manager.value" is 1025 bytes`},
		{"certificate at 64 KiB", user, map[string]any{"userName": "a", "x509Certificates": []any{map[string]any{"value": strings.Repeat("AAAA", MaxDataBytes/4)}}}, ""},
		{"certificate over 64 KiB", user, map[string]any{"userName": "a", "x509Certificates": []any{map[string]any{"value": strings.Repeat("AAAA", MaxDataBytes/4+1)}}}, `attribute "x509Certificates.value" (element 1) is 65540 bytes long; at most 65536`},
		{"photo as a data URL", user, map[string]any{"userName": "a", "photos": []any{map[string]any{"value": "data:image/png;base64," + text(60000)}}}, ""},
		{"100 emails", user, map[string]any{"userName": "a", "emails": values(100, email)}, ""},
		{"101 emails", user, map[string]any{"userName": "a", "emails": values(101, email)}, `attribute "emails" has 101 values; at most 100 are allowed`},
		{"101 roles", user, map[string]any{"userName": "a", "roles": values(101, func(i int) any { return map[string]any{"value": fmt.Sprint(i)} })}, `attribute "roles" has 101 values`},
		{"5000 members", group, map[string]any{"displayName": "g", "members": values(5000, func(i int) any { return map[string]any{"value": fmt.Sprint(i)} })}, ""},
		{"group displayName", group, map[string]any{"displayName": text(1 << 21)}, `attribute "displayName" is 2097152 bytes long`},
		{"NUL", user, map[string]any{"userName": "a", "displayName": "a\x00b"}, `attribute "displayName": the text has a NUL character (at byte 1)`},
		{"NUL in a sub-attribute", user, map[string]any{"userName": "a", "name": map[string]any{"givenName": "\x00"}}, `attribute "name.givenName": the text has a NUL character (at byte 0)`},
		{"NUL in an extension", user, map[string]any{"userName": "a", EnterpriseUserURN: map[string]any{"department": "\x00"}}, `:department": the text has a NUL character`},
		{"NUL in a member id", group, map[string]any{"displayName": "g", "members": []any{map[string]any{"value": "u\x00"}}}, `attribute "members.value" (element 1): the text has a NUL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]any{"schemas": []any{tt.rt.Schema}}
			for k, v := range tt.m {
				m[k] = v
			}
			_, err := tt.rt.DecodeMap(m)
			if tt.detail == "" {
				if err != nil {
					t.Fatalf("DecodeMap: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("DecodeMap accepted it")
			}
			e := asSchemaError(t, err)
			if e.ScimType != ScimTypeInvalidValue || !strings.Contains(e.Detail, tt.detail) {
				t.Errorf("error %s, want invalidValue containing %q", e, tt.detail)
			}
			if len(e.Detail) > 500 {
				t.Errorf("detail is %d bytes long; it echoes the value", len(e.Detail))
			}
			// What the service stored before the limits stays readable.
			if _, err := tt.rt.DecodeStored(m); err != nil {
				t.Errorf("DecodeStored: %v", err)
			}
		})
	}
}

// TestLongUnknownNameIsClipped: an unknown attribute name is echoed in
// the error, but not a megabyte of it.
func TestLongUnknownNameIsClipped(t *testing.T) {
	_, err := User().DecodeMap(map[string]any{"schemas": []any{UserURN}, "userName": "a", strings.Repeat("k", 1<<20): "v"})
	e := asSchemaError(t, err)
	if !errors.Is(err, ErrUnknownAttribute) || len(e.Detail) > 1000 {
		t.Errorf("error is %d bytes: %.200s", len(e.Detail), e.Detail)
	}
}

// TestCanonicalSpelling: a value of a non-caseExact attribute that equals
// a canonical value ignoring case comes out canonical; other values are
// kept as sent.
func TestCanonicalSpelling(t *testing.T) {
	tests := []struct {
		name string
		rt   *ResourceType
		path string
		in   any
		want any
	}{
		{"member type user", Group(), "members", []any{map[string]any{"value": "1", "type": "user"}}, []any{map[string]any{"value": "1", "type": "User"}}},
		{"member type GROUP", Group(), "members", []any{map[string]any{"value": "1", "type": "GROUP"}}, []any{map[string]any{"value": "1", "type": "Group"}}},
		{"email type Work", User(), "emails", []any{map[string]any{"value": "a@b", "type": "Work"}}, []any{map[string]any{"value": "a@b", "type": "work"}}},
		{"other values are kept", User(), "emails", []any{map[string]any{"value": "a@b", "type": "Office"}}, []any{map[string]any{"value": "a@b", "type": "Office"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, err := tt.rt.LookupPath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.Coerce(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Coerce = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLimitsAreAdvertised: every attribute a client may write has a byte
// or value limit (Group members excepted) and says so in its description,
// which is where RFC 7643 §7 lets a schema say it.
func TestLimitsAreAdvertised(t *testing.T) {
	var check func(where string, attrs []*Attribute)
	check = func(where string, attrs []*Attribute) {
		for _, a := range attrs {
			at := where + "." + a.Name
			check(at, a.SubAttributes)
			if a.Mutability == MutabilityReadOnly {
				continue
			}
			switch a.Type {
			case TypeString, TypeReference, TypeBinary, TypeDateTime:
				if a.MaxLength <= 0 || !strings.Contains(a.Description, fmt.Sprintf("at most %s bytes", thousands(a.MaxLength))) {
					t.Errorf("%s: MaxLength %d, description %q", at, a.MaxLength, a.Description)
				}
			}
			members := at == GroupURN+".members"
			if a.MultiValued && (a.MaxValues > 0) == members {
				t.Errorf("%s: MaxValues %d", at, a.MaxValues)
			}
			if a.MaxValues > 0 && !strings.Contains(a.Description, fmt.Sprintf("at most %d values", a.MaxValues)) {
				t.Errorf("%s: description %q does not say how many values", at, a.Description)
			}
		}
	}
	for _, s := range Schemas() {
		check(s.ID, s.Attributes)
	}
	check("common", commonAttributes())
}

// TestActiveUnassigned: "active" is the one attribute whose unassigned
// state must be read explicitly, as false; the PATCH engine writes it.
func TestActiveUnassigned(t *testing.T) {
	var found []string
	var walk func(where string, attrs []*Attribute)
	walk = func(where string, attrs []*Attribute) {
		for _, a := range attrs {
			if a.Unassigned != nil {
				found = append(found, fmt.Sprintf("%s%s=%v", where, a.Name, a.Unassigned))
			}
			walk(where+a.Name+".", a.SubAttributes)
		}
	}
	for _, s := range Schemas() {
		walk("", s.Attributes)
	}
	if fmt.Sprint(found) != "[active=false]" {
		t.Errorf("attributes with an unassigned reading: %v, want [active=false]", found)
	}
}

// TestServerSchemasDescribeDocuments checks the documents of /Schemas,
// /ResourceTypes and /ServiceProviderConfig against the schemas of RFC
// 7643 §5–7 that /Schemas now lists: every member is an attribute of the
// schema with a value of its type, and every required attribute is there.
func TestServerSchemasDescribeDocuments(t *testing.T) {
	spc, err := ServiceProviderConfig{
		DocumentationURI: "https://example.com/help", PatchSupported: true, BulkSupported: true, BulkMaxOperations: 10, BulkMaxPayloadSize: 100,
		FilterSupported: true, FilterMaxResults: 10, SortSupported: true, ETagSupported: true,
		Pagination:            &PaginationConfig{Cursor: true, Index: true, DefaultPaginationMethod: "index", DefaultPageSize: 10, MaxPageSize: 100, CursorTimeout: 60},
		AuthenticationSchemes: []AuthenticationScheme{{Type: "oauthbearertoken", Name: "Bearer", Description: "d", SpecURI: "https://x", DocumentationURI: "https://y", Primary: true}},
	}.Document(exampleBase)
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*Schema{}
	for _, s := range ServerSchemas() {
		schemas[s.ID] = s
	}
	docs := append([]any{spc}, ResourceTypesList(exampleBase).Resources...)
	docs = append(docs, SchemasList(exampleBase).Resources...)
	for _, d := range docs {
		doc := roundTrip(t, d).(map[string]any)
		urn := doc["schemas"].([]any)[0].(string)
		s := schemas[urn]
		if s == nil {
			t.Fatalf("no server schema %s", urn)
		}
		t.Run(fmt.Sprint(doc["id"], urn), func(t *testing.T) {
			conforms(t, urn, s.Attributes, doc)
		})
	}
}

func conforms(t *testing.T, where string, attrs []*Attribute, obj map[string]any) {
	t.Helper()
	for k, v := range obj {
		if k == "schemas" || k == "meta" {
			continue // common attributes (RFC 7643 §3.1)
		}
		var a *Attribute
		for _, c := range attrs {
			if c.Name == k {
				a = c
			}
		}
		if a == nil {
			t.Errorf("%s: %q is not an attribute of the schema", where, k)
			continue
		}
		vals := []any{v}
		if a.MultiValued {
			l, ok := v.([]any)
			if !ok {
				t.Errorf("%s.%s: multi-valued but %T", where, k, v)
				continue
			}
			vals = l
		}
		for _, e := range vals {
			ok := false
			switch a.Type {
			case TypeString, TypeReference:
				_, ok = e.(string)
			case TypeBoolean:
				_, ok = e.(bool)
			case TypeInteger:
				_, ok = toInt64(e)
			case TypeComplex:
				var m map[string]any
				if m, ok = e.(map[string]any); ok {
					subs := a.SubAttributes
					if a.Name == "subAttributes" {
						// Sub-attribute definitions are attribute
						// definitions: the schema of §7 is recursive.
						subs = append(subs[:len(subs):len(subs)], a)
					}
					conforms(t, where+"."+k, subs, m)
				}
			}
			if !ok {
				t.Errorf("%s.%s: %v is not a %s", where, k, e, a.Type)
			}
		}
	}
	for _, a := range attrs {
		if _, ok := obj[a.Name]; a.Required && !ok {
			t.Errorf("%s: required %q is missing", where, a.Name)
		}
	}
}

package schema

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// storedUser is a User as a store would hold it: decoded from RFC 7643
// §8.3, plus the server-assigned id, meta and groups.
func storedUser(t *testing.T) Resource {
	t.Helper()
	res, err := User().Decode(readTestdata(t, "rfc7643-8.3-enterprise-user.json"))
	if err != nil {
		t.Fatal(err)
	}
	res["id"] = "2819c223-7f76-453a-919d-413861904646"
	res["meta"] = map[string]any{
		"resourceType": "User",
		"created":      "2010-01-23T04:56:22Z",
		"lastModified": "2011-05-13T04:42:34Z",
		"location":     "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
	}
	res["groups"] = []any{map[string]any{"value": "e9e30dba", "display": "Tour Guides", "type": "direct"}}
	res[EnterpriseUserURN].(map[string]any)["manager"].(map[string]any)["displayName"] = "John Smith"
	return res
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func TestProject(t *testing.T) {
	id := "2819c223-7f76-453a-919d-413861904646"
	allCore := []string{EnterpriseUserURN, "active", "addresses", "displayName", "emails", "externalId", "groups", "id", "ims",
		"locale", "meta", "name", "nickName", "phoneNumbers", "photos", "preferredLanguage", "profileUrl", "schemas",
		"timezone", "title", "userName", "userType", "x509Certificates"}
	tests := []struct {
		name               string
		attributes         []string
		excludedAttributes []string
		wantKeys           []string       // sorted top-level keys of the result
		check              map[string]any // expected values of some top-level keys
	}{
		{
			name:     "default set leaves out password",
			wantKeys: allCore,
			check:    map[string]any{"schemas": []any{UserURN, EnterpriseUserURN}},
		},
		{
			name:       "attributes selects plus always-returned",
			attributes: []string{"userName"},
			wantKeys:   []string{"id", "schemas", "userName"},
			check:      map[string]any{"schemas": []any{UserURN}, "id": id},
		},
		{
			name:       "names are case-insensitive",
			attributes: []string{"USERNAME", "Name.GivenName"},
			wantKeys:   []string{"id", "name", "schemas", "userName"},
			check:      map[string]any{"name": map[string]any{"givenName": "Barbara"}},
		},
		{
			name:       "sub-attribute keeps only that sub-attribute",
			attributes: []string{"name.givenName"},
			wantKeys:   []string{"id", "name", "schemas"},
			check:      map[string]any{"name": map[string]any{"givenName": "Barbara"}},
		},
		{
			name:       "sub-attribute of a multi-valued attribute, comma-separated",
			attributes: []string{"emails.value, emails.type"},
			wantKeys:   []string{"emails", "id", "schemas"},
			check: map[string]any{"emails": []any{
				map[string]any{"value": "bjensen@example.com", "type": "work"},
				map[string]any{"value": "babs@jensen.org", "type": "home"}}},
		},
		{
			name:       "sub-attribute present in only some elements",
			attributes: []string{"emails.primary"},
			wantKeys:   []string{"emails", "id", "schemas"},
			check:      map[string]any{"emails": []any{map[string]any{"primary": true}}},
		},
		{
			name:       "parent and sub-attribute named together",
			attributes: []string{"name", "name.givenName"},
			wantKeys:   []string{"id", "name", "schemas"},
			check: map[string]any{"name": map[string]any{"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen",
				"givenName": "Barbara", "middleName": "Jane", "honorificPrefix": "Ms.", "honorificSuffix": "III"}},
		},
		{
			name:       "core URN-qualified name",
			attributes: []string{UserURN + ":userName"},
			wantKeys:   []string{"id", "schemas", "userName"},
		},
		{
			name:       "password is never returned, even when asked for",
			attributes: []string{"password"},
			wantKeys:   []string{"id", "schemas"},
		},
		{
			name:       "unknown names are ignored",
			attributes: []string{"shoeSize", "name.shoeSize", "urn:example:x:y", "department"},
			wantKeys:   []string{"id", "schemas"},
		},
		{
			name:       "meta like any attribute",
			attributes: []string{"meta.created"},
			wantKeys:   []string{"id", "meta", "schemas"},
			check:      map[string]any{"meta": map[string]any{"created": "2010-01-23T04:56:22Z"}},
		},
		{
			name:       "extension attribute",
			attributes: []string{EnterpriseUserURN + ":department"},
			wantKeys:   []string{EnterpriseUserURN, "id", "schemas"},
			check: map[string]any{
				EnterpriseUserURN: map[string]any{"department": "Tour Operations"},
				"schemas":         []any{UserURN, EnterpriseUserURN},
			},
		},
		{
			name:       "extension sub-attribute",
			attributes: []string{EnterpriseUserURN + ":manager.displayName"},
			wantKeys:   []string{EnterpriseUserURN, "id", "schemas"},
			check:      map[string]any{EnterpriseUserURN: map[string]any{"manager": map[string]any{"displayName": "John Smith"}}},
		},
		{
			name:       "whole extension",
			attributes: []string{EnterpriseUserURN},
			wantKeys:   []string{EnterpriseUserURN, "id", "schemas"},
			check: map[string]any{EnterpriseUserURN: map[string]any{
				"employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
				"division": "Theme Park", "department": "Tour Operations",
				"manager": map[string]any{"value": "26118915-6090-4610-87e4-49d8ca9f808d",
					"$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}}},
		},
		{
			name:               "excluding the whole extension",
			excludedAttributes: []string{EnterpriseUserURN},
			wantKeys:           slices.DeleteFunc(slices.Clone(allCore), func(k string) bool { return k == EnterpriseUserURN }),
			check:              map[string]any{"schemas": []any{UserURN}},
		},
		{
			name:               "always-returned cannot be excluded",
			excludedAttributes: []string{"id", "schemas"},
			wantKeys:           allCore,
		},
		{
			name:               "excluding attributes",
			excludedAttributes: []string{"emails", "META", "x509Certificates", "groups"},
			wantKeys: []string{EnterpriseUserURN, "active", "addresses", "displayName", "externalId", "id", "ims",
				"locale", "name", "nickName", "phoneNumbers", "photos", "preferredLanguage", "profileUrl", "schemas",
				"timezone", "title", "userName", "userType"},
		},
		{
			name:               "excluding a sub-attribute",
			attributes:         []string{"name"},
			excludedAttributes: []string{"name.givenName", "name.middleName"},
			wantKeys:           []string{"id", "name", "schemas"},
			check: map[string]any{"name": map[string]any{"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen",
				"honorificPrefix": "Ms.", "honorificSuffix": "III"}},
		},
		{
			name:               "excluding a parent wins over selecting its sub-attribute",
			attributes:         []string{"name.givenName", "userName"},
			excludedAttributes: []string{"name"},
			wantKeys:           []string{"id", "schemas", "userName"},
		},
		{
			name:               "excluding a sub-attribute of every element",
			attributes:         []string{"phoneNumbers"},
			excludedAttributes: []string{"phoneNumbers.value"},
			wantKeys:           []string{"id", "phoneNumbers", "schemas"},
			check:              map[string]any{"phoneNumbers": []any{map[string]any{"type": "work"}, map[string]any{"type": "mobile"}}},
		},
	}
	rt := User()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := storedUser(t)
			got, err := rt.Project(res, tt.attributes, tt.excludedAttributes)
			if err != nil {
				t.Fatalf("Project: %v", err)
			}
			want := slices.Sorted(slices.Values(tt.wantKeys))
			if gotKeys := keys(got); !reflect.DeepEqual(gotKeys, want) {
				t.Errorf("keys = %v\nwant   %v", gotKeys, want)
			}
			for k, want := range tt.check {
				if !reflect.DeepEqual(got[k], want) {
					t.Errorf("%s = %#v, want %#v", k, got[k], want)
				}
			}
			if _, ok := got["password"]; ok {
				t.Error("password returned")
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "null") {
				t.Errorf("output contains null: %s", b)
			}
		})
	}
}

func TestProjectErrors(t *testing.T) {
	tests := []struct {
		name               string
		attributes         []string
		excludedAttributes []string
		detail             string
	}{
		{"value filter in attributes", []string{`emails[type eq "work"].value`}, nil, `the attributes parameter contains "emails[type eq \"work\"].value"`},
		{"sub-sub-attribute", []string{"name.givenName.x"}, nil, "not an attribute name"},
		{"bad excludedAttributes", nil, []string{"user name"}, `the excludedAttributes parameter contains "user name"`},
	}
	rt := User()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rt.Project(Resource{"userName": "a"}, tt.attributes, tt.excludedAttributes)
			if err == nil {
				t.Fatal("Project succeeded")
			}
			e := asSchemaError(t, err)
			if e.ScimType != ScimTypeInvalidValue || !strings.Contains(e.Detail, tt.detail) {
				t.Errorf("error = %v, want invalidValue containing %q", e, tt.detail)
			}
		})
	}
}

// TestProjectCleansOutput checks that Project emits only schema-defined,
// non-null data and shares nothing with its input.
func TestProjectCleansOutput(t *testing.T) {
	rt := User()
	res := Resource{
		"id":             "1",
		"userName":       "a",
		"internalSecret": "s3cr3t",
		"displayName":    nil,
		"emails":         []any{nil, map[string]any{"value": nil}, map[string]any{"value": "x", "Bogus": 1}},
		"phoneNumbers":   []any{},
		"name":           map[string]any{},
		"password":       "hunter2",
		"schemas":        []any{"urn:wrong"},
		"nickName":       []any{"not", "a", "string"},
		"photos":         "not an array",
		"x509Certificates": []map[string]any{
			{"value": "aGVsbG8="},
		},
		EnterpriseUserURN: "not an object",
	}
	got, err := rt.Project(res, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Resource{
		"schemas":          []any{UserURN},
		"id":               "1",
		"userName":         "a",
		"emails":           []any{map[string]any{"value": "x"}},
		"nickName":         []any{"not", "a", "string"},
		"x509Certificates": []any{map[string]any{"value": "aGVsbG8="}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Project =\n%#v\nwant\n%#v", got, want)
	}

	stored := storedUser(t)
	out, err := rt.Project(stored, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	out["name"].(map[string]any)["givenName"] = "changed"
	out["emails"].([]any)[0].(map[string]any)["value"] = "changed"
	out[EnterpriseUserURN].(map[string]any)["department"] = "changed"
	if !reflect.DeepEqual(stored, storedUser(t)) {
		t.Error("changing Project's result changed its input")
	}
}

// TestProjectReturnedRequest uses a resource type with a returned
// "request" attribute, which the built-in schemas do not have.
func TestProjectReturnedRequest(t *testing.T) {
	core := &Schema{ID: "urn:example:Thing", Name: "Thing", Attributes: []*Attribute{
		attr("label", TypeString, "A label."),
		attr("secretHint", TypeString, "Returned on request.", returned(ReturnedRequest)),
		attr("box", TypeComplex, "A box.", subs(
			attr("size", TypeInteger, "Default."),
			attr("weight", TypeInteger, "On request.", returned(ReturnedRequest)),
			attr("serial", TypeString, "Always.", returned(ReturnedAlways)),
		)),
	}}
	rt := newResourceType("Thing", "Thing", "/Things", "Things", core)
	res := Resource{"id": "1", "label": "l", "secretHint": "h", "box": map[string]any{"size": int64(1), "weight": int64(2), "serial": "s"}}
	tests := []struct {
		name       string
		attributes []string
		excluded   []string
		want       Resource
	}{
		{"default set", nil, nil, Resource{"schemas": []any{core.ID}, "id": "1", "label": "l", "box": map[string]any{"size": int64(1), "serial": "s"}}},
		{"named request attribute", []string{"secretHint"}, nil, Resource{"schemas": []any{core.ID}, "id": "1", "secretHint": "h"}},
		{"whole schema does not name request attributes", []string{"urn:example:Thing"}, nil,
			Resource{"schemas": []any{core.ID}, "id": "1", "label": "l", "box": map[string]any{"size": int64(1), "serial": "s"}}},
		{"named request sub-attribute", []string{"box.weight"}, nil, Resource{"schemas": []any{core.ID}, "id": "1", "box": map[string]any{"weight": int64(2), "serial": "s"}}},
		{"parent and request sub-attribute", []string{"box", "box.weight"}, nil,
			Resource{"schemas": []any{core.ID}, "id": "1", "box": map[string]any{"size": int64(1), "weight": int64(2), "serial": "s"}}},
		{"always sub-attribute cannot be excluded", []string{"box"}, []string{"box.serial", "box.size"},
			Resource{"schemas": []any{core.ID}, "id": "1", "box": map[string]any{"serial": "s"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rt.Project(res, tt.attributes, tt.excluded)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Project =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestProjectGroup(t *testing.T) {
	rt := Group()
	res, err := rt.Decode(readTestdata(t, "rfc7643-8.4-group.json"))
	if err != nil {
		t.Fatal(err)
	}
	res["id"] = "e9e30dba-f08f-4109-8486-d5c6a331660a"
	tests := []struct {
		name       string
		attributes []string
		excluded   []string
		want       Resource
	}{
		{"excluding members, as Entra ID does", nil, []string{"members"},
			Resource{"schemas": []any{GroupURN}, "id": "e9e30dba-f08f-4109-8486-d5c6a331660a", "displayName": "Tour Guides"}},
		{"member ids only", []string{"members.value"}, nil,
			Resource{"schemas": []any{GroupURN}, "id": "e9e30dba-f08f-4109-8486-d5c6a331660a", "members": []any{
				map[string]any{"value": "2819c223-7f76-453a-919d-413861904646"},
				map[string]any{"value": "902c246b-6245-4190-8e05-00816be7344a"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rt.Project(res, tt.attributes, tt.excluded)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Project =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

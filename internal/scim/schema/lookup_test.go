package schema

import (
	"errors"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	user, group := User(), Group()
	const entPrefix = "urn:ietf:params:scim:schemas:extension:enterprise:2.0"
	tests := []struct {
		name           string
		rt             *ResourceType
		urn, attr, sub string
		wantName       string // canonical name of the attribute found
		wantURN        string
		wantErr        error  // sentinel, when an error is expected
		wantDetail     string // substring of the *Error detail
	}{
		{name: "core attribute", rt: user, attr: "userName", wantName: "userName", wantURN: UserURN},
		{name: "case-insensitive name", rt: user, attr: "USERNAME", wantName: "userName", wantURN: UserURN},
		{name: "sub-attribute", rt: user, attr: "name", sub: "givenName", wantName: "givenName", wantURN: UserURN},
		{name: "case-insensitive sub-attribute", rt: user, attr: "Name", sub: "GIVENNAME", wantName: "givenName", wantURN: UserURN},
		{name: "$ref sub-attribute any case", rt: user, attr: "groups", sub: "$REF", wantName: "$ref", wantURN: UserURN},
		{name: "common attribute id", rt: user, attr: "id", wantName: "id", wantURN: UserURN},
		{name: "common attribute meta.lastModified", rt: group, attr: "meta", sub: "lastModified", wantName: "lastModified", wantURN: GroupURN},
		{name: "core URN-qualified", rt: user, urn: UserURN, attr: "userName", wantName: "userName", wantURN: UserURN},
		{name: "core URN any case", rt: user, urn: strings.ToUpper(UserURN), attr: "emails", sub: "value", wantName: "value", wantURN: UserURN},
		{name: "common attribute qualified with core URN", rt: user, urn: UserURN, attr: "externalId", wantName: "externalId", wantURN: UserURN},
		{name: "extension attribute", rt: user, urn: EnterpriseUserURN, attr: "employeeNumber", wantName: "employeeNumber", wantURN: EnterpriseUserURN},
		{name: "extension sub-attribute", rt: user, urn: EnterpriseUserURN, attr: "manager", sub: "value", wantName: "value", wantURN: EnterpriseUserURN},
		{name: "extension URN any case", rt: user, urn: strings.ToLower(EnterpriseUserURN), attr: "DEPARTMENT", wantName: "department", wantURN: EnterpriseUserURN},
		{name: "whole extension as split by a path parser", rt: user, urn: entPrefix, attr: "User", wantURN: EnterpriseUserURN, wantErr: ErrWholeSchema},
		{name: "whole extension as urn only", rt: user, urn: EnterpriseUserURN, wantURN: EnterpriseUserURN, wantErr: ErrWholeSchema},
		{name: "whole extension as name only", rt: user, attr: EnterpriseUserURN, wantURN: EnterpriseUserURN, wantErr: ErrWholeSchema},
		{name: "whole core schema", rt: user, urn: "urn:ietf:params:scim:schemas:core:2.0", attr: "User", wantURN: UserURN, wantErr: ErrWholeSchema},
		{name: "unknown attribute", rt: user, attr: "shoeSize", wantErr: ErrUnknownAttribute, wantDetail: `resource type "User" has no attribute "shoeSize"`},
		{name: "bare extension attribute is not resolved", rt: user, attr: "employeeNumber", wantErr: ErrUnknownAttribute,
			wantDetail: `must be qualified with its schema URN, as in "` + EnterpriseUserURN + `:employeeNumber"`},
		{name: "extension attribute under core URN", rt: user, urn: UserURN, attr: "department", wantErr: ErrUnknownAttribute},
		{name: "core attribute under extension URN", rt: user, urn: EnterpriseUserURN, attr: "userName", wantErr: ErrUnknownAttribute,
			wantDetail: `schema "` + EnterpriseUserURN + `" has no attribute "userName"`},
		{name: "unknown schema", rt: user, urn: "urn:example:other", attr: "x", wantErr: ErrUnknownAttribute, wantDetail: `has no schema "urn:example:other"`},
		{name: "extension of another resource type", rt: group, urn: EnterpriseUserURN, attr: "department", wantErr: ErrUnknownAttribute},
		{name: "unknown sub-attribute", rt: user, attr: "name", sub: "nickname", wantErr: ErrUnknownAttribute,
			wantDetail: `attribute "name" has no sub-attribute "nickname"; its sub-attributes are formatted, familyName`},
		{name: "sub-attribute of a simple attribute", rt: user, attr: "userName", sub: "x", wantErr: ErrUnknownAttribute,
			wantDetail: `attribute "userName" is of type string and has no sub-attributes`},
		{name: "empty name", rt: user, wantErr: ErrUnknownAttribute},
		{name: "Group has no userName", rt: group, attr: "userName", wantErr: ErrUnknownAttribute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, urn, err := tt.rt.Lookup(tt.urn, tt.attr, tt.sub)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Lookup(%q, %q, %q) error = %v, want %v", tt.urn, tt.attr, tt.sub, err, tt.wantErr)
				}
				if tt.wantErr == ErrWholeSchema {
					if a != nil || urn != tt.wantURN {
						t.Errorf("Lookup = (%v, %q), want (nil, %q)", a, urn, tt.wantURN)
					}
					return
				}
				e := asSchemaError(t, err)
				if e.ScimType != ScimTypeInvalidPath {
					t.Errorf("ScimType = %q, want invalidPath", e.ScimType)
				}
				if !strings.Contains(e.Detail, tt.wantDetail) {
					t.Errorf("Detail = %q, want it to contain %q", e.Detail, tt.wantDetail)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lookup(%q, %q, %q): %v", tt.urn, tt.attr, tt.sub, err)
			}
			if a.Name != tt.wantName || urn != tt.wantURN {
				t.Errorf("Lookup = (%q, %q), want (%q, %q)", a.Name, urn, tt.wantName, tt.wantURN)
			}
		})
	}
}

func TestSplitPath(t *testing.T) {
	tests := []struct {
		name, path     string
		urn, attr, sub string
	}{
		{"bare", "userName", "", "userName", ""},
		{"sub-attribute", "name.givenName", "", "name", "givenName"},
		{"core qualified", UserURN + ":name.givenName", UserURN, "name", "givenName"},
		{"extension qualified, dots in URN kept", EnterpriseUserURN + ":manager.value", EnterpriseUserURN, "manager", "value"},
		{"whole extension", EnterpriseUserURN, "urn:ietf:params:scim:schemas:extension:enterprise:2.0", "User", ""},
		{"URN prefix any case", "URN:example:x:attr", "URN:example:x", "attr", ""},
		{"not a URN", "a:b.c", "", "a:b", "c"},
		{"empty", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			urn, attr, sub := SplitPath(tt.path)
			if urn != tt.urn || attr != tt.attr || sub != tt.sub {
				t.Errorf("SplitPath(%q) = (%q, %q, %q), want (%q, %q, %q)", tt.path, urn, attr, sub, tt.urn, tt.attr, tt.sub)
			}
		})
	}
}

func TestLookupPath(t *testing.T) {
	tests := []struct {
		name, path string
		wantName   string
		wantErr    error
	}{
		{"extension sub-attribute", EnterpriseUserURN + ":manager.displayName", "displayName", nil},
		{"whole extension", EnterpriseUserURN, "", ErrWholeSchema},
		{"unknown", "urn:example:x:y", "", ErrUnknownAttribute},
	}
	rt := User()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, err := rt.LookupPath(tt.path)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("LookupPath(%q) error = %v, want %v", tt.path, err, tt.wantErr)
			}
			if tt.wantErr == nil && a.Name != tt.wantName {
				t.Errorf("LookupPath(%q) = %q, want %q", tt.path, a.Name, tt.wantName)
			}
		})
	}
}

func TestErrorWithScimType(t *testing.T) {
	_, _, err := User().Lookup("", "nope", "")
	e := asSchemaError(t, err)
	f := e.WithScimType(ScimTypeInvalidFilter)
	if f.ScimType != ScimTypeInvalidFilter || e.ScimType != ScimTypeInvalidPath {
		t.Errorf("WithScimType: got %q (original %q)", f.ScimType, e.ScimType)
	}
	if !errors.Is(f, ErrUnknownAttribute) || f.Detail != e.Detail {
		t.Error("WithScimType lost the sentinel or the detail")
	}
	if got, want := f.Error(), "invalidFilter: "+e.Detail; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestSchemaFor(t *testing.T) {
	rt := User()
	tests := []struct {
		name, urn string
		want      string
	}{
		{"core", UserURN, UserURN},
		{"extension any case", strings.ToUpper(EnterpriseUserURN), EnterpriseUserURN},
		{"unknown", GroupURN, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := rt.SchemaFor(tt.urn)
			got := ""
			if s != nil {
				got = s.ID
			}
			if got != tt.want {
				t.Errorf("SchemaFor(%q) = %q, want %q", tt.urn, got, tt.want)
			}
		})
	}
}

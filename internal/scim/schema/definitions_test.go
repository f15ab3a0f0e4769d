package schema

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestDefinitions checks attribute characteristics against RFC 7643 §3.1
// and §8.7.1 (and the documented departures).
func TestDefinitions(t *testing.T) {
	user, group := User(), Group()
	tests := []struct {
		name       string
		rt         *ResourceType
		path       string
		typ        Type
		multi      bool
		required   bool
		caseExact  bool
		mutability Mutability
		returned   Returned
		uniqueness Uniqueness
		refTypes   []string
		canonical  []string
	}{
		{"id is readOnly, returned always", user, "id", TypeString, false, false, true, MutabilityReadOnly, ReturnedAlways, UniquenessServer, nil, nil},
		{"externalId is caseExact readWrite", user, "externalId", TypeString, false, false, true, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, nil},
		{"meta is readOnly", user, "meta", TypeComplex, false, false, false, MutabilityReadOnly, ReturnedDefault, UniquenessNone, nil, nil},
		{"meta.created is a readOnly dateTime", user, "meta.created", TypeDateTime, false, false, false, MutabilityReadOnly, ReturnedDefault, UniquenessNone, nil, nil},
		{"meta.version is caseExact", user, "meta.version", TypeString, false, false, true, MutabilityReadOnly, ReturnedDefault, UniquenessNone, nil, nil},
		{"userName is required, returned default, unique per server", user, "userName", TypeString, false, true, false, MutabilityReadWrite, ReturnedDefault, UniquenessServer, nil, nil},
		{"name.givenName", user, "name.givenName", TypeString, false, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, nil},
		{"profileUrl is an external reference", user, "profileUrl", TypeReference, false, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, []string{"external"}, nil},
		{"active is boolean", user, "active", TypeBoolean, false, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, nil},
		{"password is writeOnly, returned never", user, "password", TypeString, false, false, false, MutabilityWriteOnly, ReturnedNever, UniquenessNone, nil, nil},
		{"emails is multi-valued complex", user, "emails", TypeComplex, true, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, nil},
		{"emails.type canonical values", user, "emails.type", TypeString, false, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, []string{"work", "home", "other"}},
		{"phoneNumbers.type canonical values", user, "phoneNumbers.type", TypeString, false, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, []string{"work", "home", "mobile", "fax", "pager", "other"}},
		{"ims.type canonical values", user, "ims.type", TypeString, false, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, []string{"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"}},
		{"photos.value is an external reference", user, "photos.value", TypeReference, false, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, []string{"external"}, nil},
		{"addresses.primary added per §2.4", user, "addresses.primary", TypeBoolean, false, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, nil},
		{"groups is readOnly", user, "groups", TypeComplex, true, false, false, MutabilityReadOnly, ReturnedDefault, UniquenessNone, nil, nil},
		{"groups.$ref is readOnly", user, "groups.$ref", TypeReference, false, false, false, MutabilityReadOnly, ReturnedDefault, UniquenessNone, []string{"User", "Group"}, nil},
		{"groups.type canonical values", user, "groups.type", TypeString, false, false, false, MutabilityReadOnly, ReturnedDefault, UniquenessNone, nil, []string{"direct", "indirect"}},
		{"entitlements.primary", user, "entitlements.primary", TypeBoolean, false, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, nil},
		{"roles.value", user, "roles.value", TypeString, false, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, nil},
		{"x509Certificates.value is binary", user, "x509Certificates.value", TypeBinary, false, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, nil},
		{"enterprise employeeNumber", user, EnterpriseUserURN + ":employeeNumber", TypeString, false, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, nil},
		{"enterprise manager.$ref references User", user, EnterpriseUserURN + ":manager.$ref", TypeReference, false, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, []string{"User"}, nil},
		{"enterprise manager.displayName is readOnly", user, EnterpriseUserURN + ":manager.displayName", TypeString, false, false, false, MutabilityReadOnly, ReturnedDefault, UniquenessNone, nil, nil},
		{"Group displayName is required", group, "displayName", TypeString, false, true, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, nil},
		{"members is multi-valued readWrite", group, "members", TypeComplex, true, false, false, MutabilityReadWrite, ReturnedDefault, UniquenessNone, nil, nil},
		{"members.value is immutable and required", group, "members.value", TypeString, false, true, false, MutabilityImmutable, ReturnedDefault, UniquenessNone, nil, nil},
		{"members.$ref is immutable", group, "members.$ref", TypeReference, false, false, false, MutabilityImmutable, ReturnedDefault, UniquenessNone, []string{"User", "Group"}, nil},
		{"members.type canonical values", group, "members.type", TypeString, false, false, false, MutabilityImmutable, ReturnedDefault, UniquenessNone, nil, []string{"User", "Group"}},
		{"members.display is readOnly: taken from the user", group, "members.display", TypeString, false, false, false, MutabilityReadOnly, ReturnedDefault, UniquenessNone, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, err := tt.rt.LookupPath(tt.path)
			if err != nil {
				t.Fatalf("LookupPath(%q): %v", tt.path, err)
			}
			if a.Type != tt.typ || a.MultiValued != tt.multi || a.Required != tt.required || a.CaseExact != tt.caseExact ||
				a.Mutability != tt.mutability || a.Returned != tt.returned || a.Uniqueness != tt.uniqueness {
				t.Errorf("%s = {type %s multi %t required %t caseExact %t %s %s %s}, want {type %s multi %t required %t caseExact %t %s %s %s}",
					tt.path, a.Type, a.MultiValued, a.Required, a.CaseExact, a.Mutability, a.Returned, a.Uniqueness,
					tt.typ, tt.multi, tt.required, tt.caseExact, tt.mutability, tt.returned, tt.uniqueness)
			}
			if !slices.Equal(a.ReferenceTypes, tt.refTypes) {
				t.Errorf("%s referenceTypes = %v, want %v", tt.path, a.ReferenceTypes, tt.refTypes)
			}
			if !slices.Equal(a.CanonicalValues, tt.canonical) {
				t.Errorf("%s canonicalValues = %v, want %v", tt.path, a.CanonicalValues, tt.canonical)
			}
			if a.Description == "" {
				t.Errorf("%s has no description", tt.path)
			}
		})
	}
}

// TestUserAttributeOrder checks that the User schema has exactly the
// attributes of RFC 7643 §8.7.1, in order.
func TestUserAttributeOrder(t *testing.T) {
	tests := []struct {
		name   string
		schema *Schema
		want   []string
	}{
		{"core User", userSchema(), []string{"userName", "name", "displayName", "nickName", "profileUrl", "title", "userType",
			"preferredLanguage", "locale", "timezone", "active", "password", "emails", "phoneNumbers", "ims", "photos",
			"addresses", "groups", "entitlements", "roles", "x509Certificates"}},
		{"enterprise User", enterpriseUserSchema(), []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"}},
		{"core Group", groupSchema(), []string{"displayName", "members"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, a := range tt.schema.Attributes {
				got = append(got, a.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("attributes = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestNamesWellFormed checks every defined name against RFC 7643 §2.1 and
// that no two siblings differ only in case.
func TestNamesWellFormed(t *testing.T) {
	var check func(t *testing.T, where string, attrs []*Attribute)
	check = func(t *testing.T, where string, attrs []*Attribute) {
		seen := map[string]bool{}
		for _, a := range attrs {
			if !isValidName(a.Name) {
				t.Errorf("%s: invalid attribute name %q", where, a.Name)
			}
			if seen[strings.ToLower(a.Name)] {
				t.Errorf("%s: duplicate attribute name %q", where, a.Name)
			}
			seen[strings.ToLower(a.Name)] = true
			if (a.Type == TypeComplex) != (len(a.SubAttributes) > 0) {
				t.Errorf("%s.%s: type %s with %d sub-attributes", where, a.Name, a.Type, len(a.SubAttributes))
			}
			check(t, where+"."+a.Name, a.SubAttributes)
		}
	}
	for _, s := range Schemas() {
		t.Run(s.Name, func(t *testing.T) { check(t, s.ID, s.Attributes) })
	}
	t.Run("common", func(t *testing.T) { check(t, "common", commonAttributes()) })
}

// TestFreshDefinitions checks that callers cannot change each other's view.
func TestFreshDefinitions(t *testing.T) {
	tests := []struct {
		name   string
		mutate func()
		check  func() bool
	}{
		{
			name: "User attribute",
			mutate: func() {
				a, _, _ := User().Lookup("", "userName", "")
				a.Required = false
			},
			check: func() bool { a, _, _ := User().Lookup("", "userName", ""); return a.Required },
		},
		{
			name:   "Schemas slice",
			mutate: func() { Schemas()[0].Attributes[0].Name = "changed" },
			check:  func() bool { return Schemas()[0].Attributes[0].Name == "userName" },
		},
		{
			name:   "ResourceTypes extension",
			mutate: func() { ResourceTypes()[0].Extensions[0].Required = true },
			check:  func() bool { return !ResourceTypes()[0].Extensions[0].Required },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.mutate()
			if !tt.check() {
				t.Error("a change to one returned value is visible in another")
			}
		})
	}
}

// TestExportedFieldsDoNotChangeDecoding documents that Decode uses the
// schemas fixed at construction.
func TestExportedFieldsDoNotChangeDecoding(t *testing.T) {
	rt := User()
	rt.Schema = "urn:example:other"
	rt.Extensions = nil
	res := mustDecode(t, rt, `{"schemas":["`+UserURN+`"],"userName":"a","`+EnterpriseUserURN+`":{"department":"x"}}`)
	if res["userName"] != "a" {
		t.Errorf("userName = %v", res["userName"])
	}
	if _, ok := res[EnterpriseUserURN]; !ok {
		t.Error("enterprise extension lost")
	}
}

func TestUnknownErrorWraps(t *testing.T) {
	if !errors.Is(unknownError("x", "y"), ErrUnknownAttribute) {
		t.Error("unknownError does not wrap ErrUnknownAttribute")
	}
	if errors.Is(newError("x", "y"), ErrUnknownAttribute) {
		t.Error("newError wraps ErrUnknownAttribute")
	}
}

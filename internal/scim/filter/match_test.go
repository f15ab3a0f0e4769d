package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// bjensenJSON is modelled on the full User representation of RFC 7643
// §8.2, with a few extra attributes of other types.
const bjensenJSON = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "id": "2819c223-7f76-453a-919d-413861904646",
  "externalId": "701984",
  "userName": "bjensen@example.com",
  "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara"},
  "displayName": "Babs Jensen",
  "nickNames": ["Babs", "BJ"],
  "profileUrl": "https://login.example.com/bjensen",
  "emails": [
    {"value": "bjensen@example.com", "type": "work", "primary": true},
    {"value": "babs@jensen.org", "type": "home"}
  ],
  "ims": [{"value": "someaimhandle", "type": "aim"}],
  "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood"}],
  "userType": "Employee",
  "title": "Tour Guide",
  "locale": "",
  "active": true,
  "loginCount": 42,
  "score": 2.5,
  "photo": "aGVsbG8=",
  "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}],
  "meta": {
    "resourceType": "User",
    "created": "2010-01-23T04:56:22Z",
    "lastModified": "2011-05-13T04:42:34Z",
    "version": "W/\"3694e05e9dff591\""
  },
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "701984",
    "costCenter": "4130",
    "department": "Tour Operations",
    "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
  }
}`

// sparseJSON has few attributes, some null or empty, to exercise absence.
const sparseJSON = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "id": "0001",
  "USERNAME": "Alice",
  "title": null,
  "displayName": "",
  "nickNames": [],
  "emails": [{"value": "alice@example.org"}, {}, null],
  "name": {"givenName": null},
  "loginCount": 9007199254740993
}`

func decode(t testing.TB, s string, useNumber bool) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	if useNumber {
		d.UseNumber()
	}
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name   string
		filter string
		bjensen,
		sparse bool
	}{
		// RFC 7644 §3.4.2.2 examples.
		{name: "rfc userName eq", filter: `userName eq "bjensen"`},
		{name: "rfc Eq case-insensitive value", filter: `userName Eq "BJENSEN@EXAMPLE.COM"`, bjensen: true},
		{name: "rfc familyName co", filter: `name.familyName co "O'Malley"`},
		{name: "rfc sw", filter: `userName sw "J"`},
		{name: "rfc sw urn", filter: `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B"`, bjensen: true},
		{name: "rfc title pr", filter: `title pr`, bjensen: true},
		{name: "rfc lastModified gt", filter: `meta.lastModified gt "2011-05-13T04:42:34Z"`},
		{name: "rfc lastModified ge", filter: `meta.lastModified ge "2011-05-13T04:42:34Z"`, bjensen: true},
		{name: "rfc lastModified lt", filter: `meta.lastModified lt "2011-05-13T04:42:34Z"`},
		{name: "rfc lastModified le", filter: `meta.lastModified le "2011-05-13T04:42:34Z"`, bjensen: true},
		{name: "rfc title pr and", filter: `title pr and userType eq "Employee"`, bjensen: true},
		{name: "rfc title pr or", filter: `title pr or userType eq "Intern"`, bjensen: true},
		{name: "rfc schemas eq", filter: `schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`, bjensen: true},
		{name: "rfc emails co shorthand", filter: `userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`, bjensen: true},
		{name: "rfc ne and not", filter: `userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`},
		{name: "rfc emails.type", filter: `userType eq "Employee" and (emails.type eq "work")`, bjensen: true},
		{name: "rfc value path", filter: `userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`, bjensen: true},
		{name: "rfc value path or", filter: `emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`, bjensen: true},

		// Strings and case folding.
		{name: "caseExact id differs in case", filter: `id eq "2819C223-7F76-453A-919D-413861904646"`},
		{name: "caseExact id", filter: `id eq "2819c223-7f76-453a-919d-413861904646"`, bjensen: true},
		{name: "case-insensitive co", filter: `displayName co "JENS"`, bjensen: true},
		{name: "ew", filter: `userName ew "@Example.COM"`, bjensen: true},
		{name: "sw equal string", filter: `userName sw "bjensen@example.com"`, bjensen: true},
		{name: "string gt folds case", filter: `displayName gt "BABS"`, bjensen: true},
		{name: "string lt", filter: `displayName lt "Babs"`, sparse: true}, // "" < "babs"
		{name: "resource key case-insensitive", filter: `userName eq "alice"`, sparse: true},
		{name: "reference co", filter: `profileUrl co "login.example"`, bjensen: true},
		{name: "binary exact", filter: `photo eq "AGVSBG8="`},
		{name: "binary eq", filter: `photo eq "aGVsbG8="`, bjensen: true},
		{name: "non-ascii case folding", filter: `title eq "TOUR GUIDE"`, bjensen: true},

		// Numbers, booleans, dates.
		{name: "integer eq", filter: `loginCount eq 42`, bjensen: true},
		{name: "integer eq as decimal literal", filter: `loginCount eq 42.0`, bjensen: true},
		{name: "integer eq exponent", filter: `loginCount eq 4.2e1`, bjensen: true},
		{name: "integer gt", filter: `loginCount gt 41 and loginCount lt 43`, bjensen: true},
		{name: "large integers exact", filter: `loginCount eq 9007199254740993`, sparse: true},
		{name: "large integers exact ne", filter: `loginCount gt 9007199254740992`, sparse: true},
		{name: "decimal", filter: `score ge 2.5 and score lt 3`, bjensen: true},
		{name: "boolean eq", filter: `active eq true`, bjensen: true},
		{name: "boolean ne", filter: `active ne true`, sparse: true},
		{name: "dateTime other zone", filter: `meta.lastModified eq "2011-05-13T06:42:34+02:00"`, bjensen: true},
		{name: "dateTime fraction", filter: `meta.created lt "2010-01-23T04:56:22.001Z"`, bjensen: true},
		{name: "dateTime without zone is UTC", filter: `meta.created eq "2010-01-23T04:56:22"`, bjensen: true},

		// pr.
		{name: "pr null", filter: `title pr`, bjensen: true},
		{name: "pr empty string", filter: `displayName pr`, bjensen: true},
		{name: "pr empty array", filter: `nickNames pr`, bjensen: true},
		{name: "pr empty complex", filter: `name pr`, bjensen: true},
		{name: "pr multi-valued complex", filter: `emails pr`, bjensen: true, sparse: true},
		{name: "pr sub of multi-valued", filter: `emails.type pr`, bjensen: true},
		{name: "pr empty string locale", filter: `locale pr`},

		// ne and null.
		{name: "ne absent is true", filter: `userType ne "Employee"`, sparse: true},
		{name: "ne present different", filter: `userType ne "Intern"`, bjensen: true, sparse: true},
		{name: "ne null attribute", filter: `title ne "x"`, bjensen: true, sparse: true},
		{name: "ne multi-valued any equal is false", filter: `emails.type ne "home"`, sparse: true},
		{name: "ne multi-valued none equal", filter: `emails.type ne "other"`, bjensen: true, sparse: true},
		{name: "ne is not eq", filter: `not (userType eq "Employee")`, sparse: true},
		{name: "eq null absent", filter: `title eq null`, sparse: true},
		{name: "eq null empty", filter: `displayName eq null and nickNames eq null and name eq null`, sparse: true},
		{name: "ne null", filter: `title ne null`, bjensen: true},
		{name: "wrong JSON type never matches", filter: `userName eq "42"`},

		// Multi-valued.
		{name: "multi-valued simple any", filter: `nickNames eq "bj"`, bjensen: true},
		{name: "multi-valued complex sub any", filter: `emails.value ew ".org"`, bjensen: true, sparse: true},
		{name: "shorthand eq", filter: `emails eq "babs@jensen.org"`, bjensen: true},
		{name: "shorthand ne", filter: `emails ne "babs@jensen.org"`, sparse: true},
		{name: "value path same element", filter: `emails[type eq "work" and value ew ".org"]`},
		{name: "sub-attributes across elements", filter: `emails.type eq "work" and emails.value ew ".org"`, bjensen: true},
		{name: "value path not", filter: `emails[not (type eq "work")]`, bjensen: true, sparse: true},
		{name: "value path pr", filter: `emails[primary pr]`, bjensen: true},
		{name: "value path boolean", filter: `emails[primary eq true and type eq "work"]`, bjensen: true},
		{name: "value path on absent", filter: `ims[value pr]`, bjensen: true},
		{name: "not of value path", filter: `not (ims[type eq "aim"])`, sparse: true},
		{name: "entra extension", filter: `emails[type eq "work"].value eq "bjensen@example.com"`, bjensen: true},
		{name: "entra extension other element", filter: `emails[type eq "work"].value eq "babs@jensen.org"`},
		{name: "entra extension pr", filter: `addresses[type eq "work"].locality pr`, bjensen: true},

		// Schema URNs.
		{name: "extension attribute", filter: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, bjensen: true},
		{name: "extension sub-attribute", filter: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName sw "john"`, bjensen: true},
		{name: "extension urn case-insensitive", filter: `URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:COSTCENTER eq "4130"`, bjensen: true},
		{name: "extension absent", filter: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr`, bjensen: true},
		{name: "extension ne absent", filter: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department ne "x"`, bjensen: true, sparse: true},
		{name: "core urn sub-attribute", filter: `urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "barbara"`, bjensen: true},
		{name: "core urn value path", filter: `urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "home"]`, bjensen: true},

		// Logic.
		{name: "precedence", filter: `active eq false or userType eq "Employee" and title pr`, bjensen: true},
		{name: "grouping", filter: `(active eq false or userType eq "Employee") and title pr`, bjensen: true},
		{name: "not", filter: `not (active eq true)`, sparse: true},
	}
	schema := newTestSchema()
	for _, useNumber := range []bool{true, false} {
		bjensen := decode(t, bjensenJSON, useNumber)
		sparse := decode(t, sparseJSON, useNumber)
		for _, tc := range tests {
			name := tc.name
			if !useNumber {
				name += "/float64"
			}
			t.Run(name, func(t *testing.T) {
				e, err := Parse(tc.filter)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				for _, r := range []struct {
					name string
					res  map[string]any
					want bool
				}{{"bjensen", bjensen, tc.bjensen}, {"sparse", sparse, tc.sparse}} {
					if !useNumber && tc.name == "large integers exact" || !useNumber && tc.name == "large integers exact ne" {
						continue // float64 cannot hold 2^53+1
					}
					got, err := Match(e, r.res, schema)
					if err != nil {
						t.Fatalf("Match(%s): %v", r.name, err)
					}
					if got != r.want {
						t.Errorf("Match(%s) = %v, want %v", r.name, got, r.want)
					}
				}
			})
		}
	}
}

func TestMatchGoValues(t *testing.T) {
	ts := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	res := map[string]any{
		"loginCount": int64(7),
		"score":      uint64(1 << 63),
		"nickNames":  []string{"x", "y"},
		"meta":       map[string]any{"created": ts},
		"emails":     []map[string]any{{"value": "a@b.c", "type": "work"}},
	}
	tests := []struct {
		name   string
		filter string
		want   bool
	}{
		{name: "int64", filter: `loginCount eq 7`, want: true},
		{name: "huge uint64", filter: `score gt 9223372036854775807`, want: true},
		{name: "string slice", filter: `nickNames eq "Y"`, want: true},
		{name: "time.Time", filter: `meta.created eq "2020-01-02T03:04:05Z"`, want: true},
		{name: "slice of maps", filter: `emails[type eq "work"]`, want: true},
	}
	schema := newTestSchema()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Match(e, res, schema)
			if err != nil || got != tc.want {
				t.Errorf("Match = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestMatchRejectsInvalidFilter(t *testing.T) {
	e, err := Parse(`active gt true`)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := Match(e, decode(t, bjensenJSON, true), newTestSchema())
	var fe *Error
	if ok || !errors.As(err, &fe) {
		t.Errorf("Match = %v, %v; want false, *Error", ok, err)
	}
	if ok, err := Match(e, nil, nil); ok || err == nil {
		t.Errorf("Match(nil resolver) = %v, %v; want an error", ok, err)
	}
}

func TestMatchNilResource(t *testing.T) {
	e, err := Parse(`userName ne "x" and title eq null`)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := Match(e, nil, newTestSchema())
	if err != nil || !ok {
		t.Errorf("Match(nil resource) = %v, %v; want true, nil", ok, err)
	}
}

func TestMatchDuplicateKeysDifferingInCase(t *testing.T) {
	res := map[string]any{"USERNAME": "a", "Username": "b"}
	e, err := Parse(`userName eq "b"`)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 { // map order varies between iterations
		ok, err := Match(e, res, newTestSchema())
		if err != nil || ok {
			t.Fatalf("Match = %v, %v; want the smallest key (USERNAME) to win", ok, err)
		}
	}
}

func TestNumCompare(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{name: "ints", a: "3", b: "4", want: -1},
		{name: "int equals float", a: "3", b: "3.0", want: 0},
		{name: "int below fraction", a: "3", b: "3.5", want: -1},
		{name: "negative int above fraction", a: "-1", b: "-1.5", want: 1},
		{name: "beyond float precision", a: "9007199254740993", b: "9007199254740992.0", want: 1},
		{name: "max int64 below 2^63", a: "9223372036854775807", b: "9.223372036854775808e18", want: -1},
		{name: "min int64 equals -2^63", a: "-9223372036854775808", b: "-9.223372036854775808e18", want: 0},
		{name: "float vs int", a: "2.5e0", b: "2", want: 1},
		{name: "int literal beyond int64", a: "18446744073709551616", b: "1", want: 1},
		{name: "floats", a: "1e-400", b: "0", want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, okA := parseNum(tc.a)
			b, okB := parseNum(tc.b)
			if !okA || !okB {
				t.Fatalf("parseNum failed: %v %v", okA, okB)
			}
			if got := a.compare(b); got != tc.want {
				t.Errorf("compare(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := b.compare(a); got != -tc.want {
				t.Errorf("compare(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.want)
			}
		})
	}
}

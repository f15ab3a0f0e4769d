package schema

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestDecodeExamples decodes the JSON examples of RFC 7643 §8 and the
// bodies Entra ID and Okta send. The expected resource is the input minus
// the readOnly attributes (id, meta, groups, manager.displayName), minus
// nulls and empty arrays, with "schemas" normalised.
func TestDecodeExamples(t *testing.T) {
	tests := []struct {
		name      string
		rt        *ResourceType
		file      string
		dropped   []string // top-level keys that must not survive
		schemas   []any
		transform func(m map[string]any) // turns the input into the expected output
	}{
		{
			name: "RFC 7643 §8.1 minimal user", rt: User(), file: "rfc7643-8.1-minimal-user.json",
			dropped: []string{"id", "meta"}, schemas: []any{UserURN},
		},
		{
			name: "RFC 7643 §8.2 full user", rt: User(), file: "rfc7643-8.2-full-user.json",
			dropped: []string{"id", "meta", "groups"}, schemas: []any{UserURN},
		},
		{
			name: "RFC 7643 §8.3 enterprise user", rt: User(), file: "rfc7643-8.3-enterprise-user.json",
			dropped: []string{"id", "meta", "groups"}, schemas: []any{UserURN, EnterpriseUserURN},
			transform: func(m map[string]any) {
				ext := m[EnterpriseUserURN].(map[string]any)
				delete(ext["manager"].(map[string]any), "displayName")
			},
		},
		{
			name: "RFC 7643 §8.4 group", rt: Group(), file: "rfc7643-8.4-group.json",
			dropped: []string{"id", "meta"}, schemas: []any{GroupURN},
			transform: func(m map[string]any) {
				// members.display is readOnly: roster shows the user's name.
				for _, el := range m["members"].([]any) {
					delete(el.(map[string]any), "display")
				}
			},
		},
		{
			name: "Entra ID create user", rt: User(), file: "entra-create-user.json",
			dropped: []string{"meta", "roles", "displayName", "title", "preferredLanguage", "phoneNumbers", EnterpriseUserURN},
			schemas: []any{UserURN},
			transform: func(m map[string]any) {
				// Only "type" survives of the all-null address.
				m["addresses"] = []any{map[string]any{"type": "work"}}
			},
		},
		{
			name: "Entra ID create group", rt: Group(), file: "entra-create-group.json",
			dropped: []string{"meta", "members"}, schemas: []any{GroupURN},
		},
		{
			name: "Okta create user", rt: User(), file: "okta-create-user.json",
			dropped: []string{"groups"}, schemas: []any{UserURN},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := readTestdata(t, tt.file)
			got, err := tt.rt.Decode(body)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := jsonValue(t, body).(map[string]any)
			for _, k := range tt.dropped {
				if _, ok := got[k]; ok {
					t.Errorf("%q survived decoding", k)
				}
				delete(want, k)
			}
			want["schemas"] = tt.schemas
			if tt.transform != nil {
				tt.transform(want)
			}
			if !reflect.DeepEqual(map[string]any(got), want) {
				gotJSON, _ := json.MarshalIndent(got, "", " ")
				wantJSON, _ := json.MarshalIndent(want, "", " ")
				t.Errorf("Decode =\n%s\nwant\n%s", gotJSON, wantJSON)
			}
		})
	}
}

// TestDecodeValues spot-checks normalised values of the full examples.
func TestDecodeValues(t *testing.T) {
	user := User()
	full, err := user.Decode(readTestdata(t, "rfc7643-8.3-enterprise-user.json"))
	if err != nil {
		t.Fatal(err)
	}
	okta, err := user.Decode(readTestdata(t, "okta-create-user.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"string kept as sent", full["userName"], "bjensen@example.com"},
		{"boolean", full["active"], true},
		{"password kept for the caller", full["password"], "t1meMa$heen"},
		{"Okta password kept", okta["password"], "1mz050nq"},
		{"complex sub-attribute", full["name"].(map[string]any)["givenName"], "Barbara"},
		{"multi-valued complex", full["emails"].([]any)[0].(map[string]any)["primary"], true},
		{"binary kept as sent", len(full["x509Certificates"].([]any)[0].(map[string]any)["value"].(string)), 1120},
		{"extension nested", full[EnterpriseUserURN].(map[string]any)["employeeNumber"], "701984"},
		{"extension reference", full[EnterpriseUserURN].(map[string]any)["manager"].(map[string]any)["$ref"], "../Users/26118915-6090-4610-87e4-49d8ca9f808d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

// TestDecodeAccepts covers inputs that are tolerated or normalised.
func TestDecodeAccepts(t *testing.T) {
	const core = `"schemas":["` + UserURN + `"]`
	tests := []struct {
		name string
		rt   *ResourceType
		body string
		want Resource
	}{
		{
			name: "names are case-insensitive and come out canonical",
			rt:   User(), body: `{"SCHEMAS":["` + UserURN + `"],"USERNAME":"a","Name":{"GIVENNAME":"B"},"Emails":[{"VALUE":"x","Primary":true}]}`,
			want: Resource{"schemas": []any{UserURN}, "userName": "a", "name": map[string]any{"givenName": "B"},
				"emails": []any{map[string]any{"value": "x", "primary": true}}},
		},
		{
			name: "schema URNs are case-insensitive",
			rt:   User(), body: `{"schemas":["` + strings.ToUpper(UserURN) + `"],"userName":"a","` + strings.ToLower(EnterpriseUserURN) + `":{"department":"d"}}`,
			want: Resource{"schemas": []any{UserURN, EnterpriseUserURN}, "userName": "a", EnterpriseUserURN: map[string]any{"department": "d"}},
		},
		{
			name: "readOnly attributes are ignored whatever their value",
			rt:   User(), body: `{` + core + `,"userName":"a","id":5,"meta":"x","groups":[{"value":1}],"` + EnterpriseUserURN + `":{"manager":{"value":"m","displayName":7}}}`,
			want: Resource{"schemas": []any{UserURN, EnterpriseUserURN}, "userName": "a", EnterpriseUserURN: map[string]any{"manager": map[string]any{"value": "m"}}},
		},
		{
			name: "null and empty arrays are unassigned",
			rt:   User(), body: `{` + core + `,"userName":"a","displayName":null,"emails":[],"phoneNumbers":[null],"name":{"givenName":null},"` + EnterpriseUserURN + `":null}`,
			want: Resource{"schemas": []any{UserURN}, "userName": "a"},
		},
		{
			name: "Entra boolean strings",
			rt:   User(), body: `{` + core + `,"userName":"a","active":"False","emails":[{"value":"x","primary":"TRUE"},{"value":"y","primary":"false"}]}`,
			want: Resource{"schemas": []any{UserURN}, "userName": "a", "active": false,
				"emails": []any{map[string]any{"value": "x", "primary": true}, map[string]any{"value": "y", "primary": false}}},
		},
		{
			name: "unknown schema URNs are dropped with their data",
			rt:   Group(), body: `{"schemas":["` + GroupURN + `","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group","urn:example:custom"],"displayName":"g","urn:example:custom":{"x":1},"urn:example:custom:y":2}`,
			want: Resource{"schemas": []any{GroupURN}, "displayName": "g"},
		},
		{
			name: "URN-qualified keys",
			rt:   User(), body: `{` + core + `,"` + UserURN + `:userName":"a","` + EnterpriseUserURN + `:department":"d","` + EnterpriseUserURN + `":{"costCenter":"c"}}`,
			want: Resource{"schemas": []any{UserURN, EnterpriseUserURN}, "userName": "a", EnterpriseUserURN: map[string]any{"department": "d", "costCenter": "c"}},
		},
		{
			name: "extension accepted when not listed in schemas",
			rt:   User(), body: `{` + core + `,"userName":"a","` + EnterpriseUserURN + `":{"department":"d"}}`,
			want: Resource{"schemas": []any{UserURN, EnterpriseUserURN}, "userName": "a", EnterpriseUserURN: map[string]any{"department": "d"}},
		},
		{
			name: "extension listed but empty is not reported",
			rt:   User(), body: `{"schemas":["` + UserURN + `","` + EnterpriseUserURN + `"],"userName":"a","` + EnterpriseUserURN + `":{"manager":{"displayName":"read only"}}}`,
			want: Resource{"schemas": []any{UserURN}, "userName": "a"},
		},
		{
			name: "strings are kept exactly",
			rt:   User(), body: `{` + core + `,"userName":"  Bjensen@Example.COM ","externalId":""}`,
			want: Resource{"schemas": []any{UserURN}, "userName": "  Bjensen@Example.COM ", "externalId": ""},
		},
		{
			name: "Group members with display and type; display is readOnly and ignored",
			rt:   Group(), body: `{"schemas":["` + GroupURN + `"],"displayName":"g","members":[{"value":"1","display":"A","type":"User","$ref":"../Users/1"},{}]}`,
			want: Resource{"schemas": []any{GroupURN}, "displayName": "g",
				"members": []any{map[string]any{"value": "1", "type": "User", "$ref": "../Users/1"}}},
		},
		{
			name: "one primary among several",
			rt:   User(), body: `{` + core + `,"userName":"a","emails":[{"value":"x","primary":false},{"value":"y","primary":true},{"value":"z"}]}`,
			want: Resource{"schemas": []any{UserURN}, "userName": "a", "emails": []any{
				map[string]any{"value": "x", "primary": false}, map[string]any{"value": "y", "primary": true}, map[string]any{"value": "z"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustDecode(t, tt.rt, tt.body)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

// TestDecodeErrors covers every error class with the detail a person sees.
func TestDecodeErrors(t *testing.T) {
	const core = `"schemas":["` + UserURN + `"]`
	tests := []struct {
		name        string
		rt          *ResourceType
		body        string
		scimType    string
		detail      string // substring of Detail
		unknown     bool   // wraps ErrUnknownAttribute
		mustNotShow string // substring Detail must not contain
	}{
		{name: "invalid JSON", rt: User(), body: `{"userName":}`, scimType: ScimTypeInvalidSyntax, detail: "not valid JSON"},
		{name: "empty body", rt: User(), body: ``, scimType: ScimTypeInvalidSyntax, detail: "the request body is empty"},
		{name: "array body", rt: User(), body: `[]`, scimType: ScimTypeInvalidSyntax, detail: "must be a JSON object, got an array"},
		{name: "trailing data", rt: User(), body: `{` + core + `,"userName":"a"} {}`, scimType: ScimTypeInvalidSyntax, detail: "data after the JSON object"},
		{name: "missing schemas", rt: User(), body: `{"userName":"a"}`, scimType: ScimTypeInvalidValue, detail: `required attribute "schemas" is missing`},
		{name: "schemas not an array", rt: User(), body: `{"schemas":"` + UserURN + `","userName":"a"}`, scimType: ScimTypeInvalidValue, detail: `attribute "schemas": expected an array of schema URNs`},
		{name: "schemas empty", rt: User(), body: `{"schemas":[],"userName":"a"}`, scimType: ScimTypeInvalidValue, detail: "got an empty array"},
		{name: "schemas element not a string", rt: User(), body: `{"schemas":["` + UserURN + `",1],"userName":"a"}`, scimType: ScimTypeInvalidValue, detail: `attribute "schemas" (element 2): expected a schema URN string, got a number (1)`},
		{name: "schemas without core URN", rt: User(), body: `{"schemas":["` + GroupURN + `"],"userName":"a"}`, scimType: ScimTypeInvalidValue, detail: `must include "` + UserURN + `"`},
		{name: "schemas given twice", rt: User(), body: `{` + core + `,"Schemas":[],"userName":"a"}`, scimType: ScimTypeInvalidSyntax, detail: `is given twice`},
		{name: "unknown attribute", rt: User(), body: `{` + core + `,"userName":"a","shoeSize":42}`, scimType: ScimTypeInvalidSyntax, detail: `unknown attribute "shoeSize"`, unknown: true},
		{name: "unknown sub-attribute", rt: User(), body: `{` + core + `,"userName":"a","name":{"nick":"x"}}`, scimType: ScimTypeInvalidSyntax, detail: `attribute "name" has no sub-attribute "nick"`, unknown: true},
		{name: "unknown sub-attribute in element", rt: User(), body: `{` + core + `,"userName":"a","emails":[{"value":"x"},{"address":"y"}]}`, scimType: ScimTypeInvalidSyntax, detail: `attribute "emails" (element 2) has no sub-attribute "address"`, unknown: true},
		{name: "extension attribute at top level", rt: User(), body: `{` + core + `,"userName":"a","department":"d"}`, scimType: ScimTypeInvalidSyntax, detail: `must be sent inside the "` + EnterpriseUserURN + `" object`, unknown: true},
		{name: "unknown attribute in extension", rt: User(), body: `{` + core + `,"userName":"a","` + EnterpriseUserURN + `":{"floor":3}}`, scimType: ScimTypeInvalidSyntax, detail: `schema "` + EnterpriseUserURN + `" has no attribute "floor"`, unknown: true},
		{name: "unknown URN-qualified key", rt: User(), body: `{` + core + `,"userName":"a","` + UserURN + `:shoeSize":1}`, scimType: ScimTypeInvalidSyntax, detail: `unknown attribute "` + UserURN + `:shoeSize"`, unknown: true},
		{name: "extension of another resource type", rt: Group(), body: `{"schemas":["` + GroupURN + `"],"displayName":"g","` + EnterpriseUserURN + `":{"department":"d"}}`, scimType: ScimTypeInvalidSyntax, unknown: true},
		{name: "attribute given twice", rt: User(), body: `{` + core + `,"userName":"a","USERNAME":"b"}`, scimType: ScimTypeInvalidSyntax, detail: `attribute "userName" is given twice (as "USERNAME" and "userName")`},
		{name: "attribute given twice via URN", rt: User(), body: `{` + core + `,"` + EnterpriseUserURN + `":{"department":"d"},"` + EnterpriseUserURN + `:department":"e"}`, scimType: ScimTypeInvalidSyntax, detail: `attribute "department" is given twice`},
		{name: "sub-attribute given twice", rt: User(), body: `{` + core + `,"userName":"a","name":{"givenName":"a","GivenName":"b"}}`, scimType: ScimTypeInvalidSyntax, detail: `sub-attribute "givenName" is given twice`},
		{name: "string attribute gets a number", rt: User(), body: `{` + core + `,"userName":42}`, scimType: ScimTypeInvalidValue, detail: `attribute "userName": expected a string, got a number (42)`},
		{name: "boolean attribute gets a word", rt: User(), body: `{` + core + `,"userName":"a","active":"yes"}`, scimType: ScimTypeInvalidValue, detail: `attribute "active": expected a boolean (true or false), got a string "yes"`},
		{name: "boolean attribute gets a number", rt: User(), body: `{` + core + `,"userName":"a","active":1}`, scimType: ScimTypeInvalidValue, detail: `attribute "active": expected a boolean (true or false), got a number (1)`},
		{name: "multi-valued sent as a string", rt: User(), body: `{` + core + `,"userName":"a","emails":"bjensen@example.com"}`, scimType: ScimTypeInvalidValue,
			detail: `attribute "emails": expected an array of objects, got a string "bjensen@example.com"`},
		{name: "multi-valued sent as one object", rt: User(), body: `{` + core + `,"userName":"a","emails":{"value":"x"}}`, scimType: ScimTypeInvalidValue, detail: `attribute "emails": expected an array of objects, got an object`},
		{name: "element of the wrong type", rt: User(), body: `{` + core + `,"userName":"a","emails":["x"]}`, scimType: ScimTypeInvalidValue, detail: `attribute "emails" (element 1): expected an object, got a string "x"`},
		{name: "sub-attribute of the wrong type", rt: User(), body: `{` + core + `,"userName":"a","emails":[{"value":"x"},{"value":"y","primary":"sometimes"}]}`, scimType: ScimTypeInvalidValue, detail: `attribute "emails.primary" (element 2): expected a boolean`},
		{name: "complex sent as an array", rt: User(), body: `{` + core + `,"userName":"a","name":[{"givenName":"x"}]}`, scimType: ScimTypeInvalidValue, detail: `attribute "name": expected an object, got an array`},
		{name: "two primary values", rt: User(), body: `{` + core + `,"userName":"a","emails":[{"value":"x","primary":true},{"value":"y"},{"value":"z","primary":"True"}]}`, scimType: ScimTypeInvalidValue,
			detail: `attribute "emails": elements 1 and 3 both have "primary": true`},
		{name: "missing required attribute", rt: User(), body: `{` + core + `,"displayName":"a"}`, scimType: ScimTypeInvalidValue, detail: `required attribute "userName" is missing or empty`},
		{name: "required attribute null", rt: User(), body: `{` + core + `,"userName":null}`, scimType: ScimTypeInvalidValue, detail: `required attribute "userName" is missing`},
		{name: "required attribute empty", rt: User(), body: `{` + core + `,"userName":""}`, scimType: ScimTypeInvalidValue, detail: `required attribute "userName" is missing or empty`},
		{name: "Group without displayName", rt: Group(), body: `{"schemas":["` + GroupURN + `"],"members":[]}`, scimType: ScimTypeInvalidValue, detail: `required attribute "displayName" is missing`},
		{name: "member without value", rt: Group(), body: `{"schemas":["` + GroupURN + `"],"displayName":"g","members":[{"value":"1"},{"display":"Babs"}]}`, scimType: ScimTypeInvalidValue,
			detail: `attribute "members" (element 2): required sub-attribute "value" is missing or empty`},
		{name: "binary not base64", rt: User(), body: `{` + core + `,"userName":"a","x509Certificates":[{"value":"not base64!"}]}`, scimType: ScimTypeInvalidValue,
			detail: `attribute "x509Certificates.value" (element 1): expected a base64-encoded string`},
		{name: "reference with a control character", rt: User(), body: `{` + core + `,"userName":"a","profileUrl":"http://x/\u0001"}`, scimType: ScimTypeInvalidValue, detail: `attribute "profileUrl": expected a URI reference string`},
		{name: "extension not an object", rt: User(), body: `{` + core + `,"userName":"a","` + EnterpriseUserURN + `":"x"}`, scimType: ScimTypeInvalidValue, detail: `expected an object holding the extension's attributes`},
		{name: "extension value of the wrong type", rt: User(), body: `{` + core + `,"userName":"a","` + EnterpriseUserURN + `":{"manager":"boss"}}`, scimType: ScimTypeInvalidValue,
			detail: `attribute "` + EnterpriseUserURN + `:manager": expected an object, got a string "boss"`},
		{name: "password value is never echoed", rt: User(), body: `{` + core + `,"userName":"a","password":31415926}`, scimType: ScimTypeInvalidValue,
			detail: `attribute "password": expected a string, got a number`, mustNotShow: "31415926"},
		{name: "long values are shortened", rt: User(), body: `{` + core + `,"userName":"a","active":"` + strings.Repeat("x", 100) + `"}`, scimType: ScimTypeInvalidValue,
			detail: strings.Repeat("x", 40) + "…", mustNotShow: strings.Repeat("x", 41)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.rt.Decode([]byte(tt.body))
			if err == nil {
				t.Fatalf("Decode succeeded with %v", res)
			}
			e := asSchemaError(t, err)
			if e.ScimType != tt.scimType {
				t.Errorf("ScimType = %q, want %q (detail %q)", e.ScimType, tt.scimType, e.Detail)
			}
			if !strings.Contains(e.Detail, tt.detail) {
				t.Errorf("Detail = %q, want it to contain %q", e.Detail, tt.detail)
			}
			if tt.mustNotShow != "" && strings.Contains(e.Detail, tt.mustNotShow) {
				t.Errorf("Detail = %q shows %q", e.Detail, tt.mustNotShow)
			}
			if got := errors.Is(err, ErrUnknownAttribute); got != tt.unknown {
				t.Errorf("errors.Is(err, ErrUnknownAttribute) = %t, want %t", got, tt.unknown)
			}
		})
	}
}

// TestDecodeDoesNotModifyInput checks that DecodeMap leaves its input alone.
func TestDecodeDoesNotModifyInput(t *testing.T) {
	body := readTestdata(t, "rfc7643-8.3-enterprise-user.json")
	in := jsonValue(t, body).(map[string]any)
	before := jsonValue(t, body)
	if _, err := User().DecodeMap(in); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(any(in), before) {
		t.Error("DecodeMap modified its input")
	}
}

func TestDecodeMapWithoutUseNumber(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal([]byte(`{"schemas":["`+UserURN+`"],"userName":"a","active":true}`), &m); err != nil {
		t.Fatal(err)
	}
	res, err := User().DecodeMap(m)
	if err != nil {
		t.Fatal(err)
	}
	if res["active"] != true {
		t.Errorf("active = %v", res["active"])
	}
}

// TestCoerce covers the value rules per type, as the PATCH engine uses them.
func TestCoerce(t *testing.T) {
	integer := &Attribute{Name: "n", Type: TypeInteger, Mutability: MutabilityReadWrite}
	decimal := &Attribute{Name: "d", Type: TypeDecimal, Mutability: MutabilityReadWrite}
	dateTime := &Attribute{Name: "t", Type: TypeDateTime, Mutability: MutabilityReadWrite}
	binary := &Attribute{Name: "b", Type: TypeBinary, Mutability: MutabilityReadWrite}
	boolean := &Attribute{Name: "flag", Type: TypeBoolean, Mutability: MutabilityReadWrite}
	tags := &Attribute{Name: "tags", Type: TypeString, MultiValued: true, Mutability: MutabilityReadWrite}
	emails, _, _ := User().Lookup("", "emails", "")
	manager, _, _ := User().Lookup(EnterpriseUserURN, "manager", "")
	tests := []struct {
		name    string
		attr    *Attribute
		in      any
		want    any
		wantErr string // substring of the error; "" means success
	}{
		{"integer", integer, json.Number("42"), int64(42), ""},
		{"negative integer", integer, json.Number("-7"), int64(-7), ""},
		{"largest integer", integer, json.Number("9223372036854775807"), int64(9223372036854775807), ""},
		{"integer overflow", integer, json.Number("9223372036854775808"), nil, `expected an integer`},
		{"integer with fraction", integer, json.Number("4.5"), nil, `expected an integer without fraction or exponent, got a number (4.5)`},
		{"integer with exponent", integer, json.Number("1e3"), nil, `expected an integer`},
		{"integer from float64", integer, float64(3), int64(3), ""},
		{"integer from int", integer, 3, int64(3), ""},
		{"integer as string", integer, "3", nil, `got a string "3"`},
		{"decimal", decimal, json.Number("4.25"), 4.25, ""},
		{"decimal without fraction", decimal, json.Number("5"), 5.0, ""},
		{"decimal overflow", decimal, json.Number("1e400"), nil, "expected a number"},
		{"decimal as string", decimal, "4.2", nil, "expected a number"},
		{"dateTime UTC", dateTime, "2008-01-23T04:56:22Z", "2008-01-23T04:56:22Z", ""},
		{"dateTime without zone", dateTime, "2008-01-23T04:56:22", "2008-01-23T04:56:22", ""},
		{"dateTime with fraction and offset", dateTime, "2008-01-23T04:56:22.123+05:30", "2008-01-23T04:56:22.123+05:30", ""},
		{"dateTime leap day", dateTime, "2000-02-29T00:00:00Z", "2000-02-29T00:00:00Z", ""},
		{"dateTime negative year", dateTime, "-0044-03-15T12:00:00Z", "-0044-03-15T12:00:00Z", ""},
		{"dateTime five-digit year", dateTime, "12008-01-23T04:56:22Z", "12008-01-23T04:56:22Z", ""},
		{"dateTime end of day", dateTime, "2008-01-23T24:00:00Z", "2008-01-23T24:00:00Z", ""},
		{"dateTime offset 14:00", dateTime, "2008-01-23T04:56:22-14:00", "2008-01-23T04:56:22-14:00", ""},
		{"date only", dateTime, "2008-01-23", nil, `expected an xsd:dateTime string such as "2008-01-23T04:56:22Z", got a string "2008-01-23"`},
		{"dateTime with space", dateTime, "2008-01-23 04:56:22Z", nil, "xsd:dateTime"},
		{"dateTime February 30", dateTime, "2008-02-30T00:00:00Z", nil, "xsd:dateTime"},
		{"dateTime 1900 not leap", dateTime, "1900-02-29T00:00:00Z", nil, "xsd:dateTime"},
		{"dateTime without seconds", dateTime, "2008-01-23T04:56Z", nil, "xsd:dateTime"},
		{"dateTime hour 24 with minutes", dateTime, "2008-01-23T24:00:01Z", nil, "xsd:dateTime"},
		{"dateTime offset too large", dateTime, "2008-01-23T04:56:22+15:00", nil, "xsd:dateTime"},
		{"dateTime one-digit month", dateTime, "2008-1-23T04:56:22Z", nil, "xsd:dateTime"},
		{"dateTime leading zero in long year", dateTime, "02008-01-23T04:56:22Z", nil, "xsd:dateTime"},
		{"dateTime empty fraction", dateTime, "2008-01-23T04:56:22.Z", nil, "xsd:dateTime"},
		{"dateTime trailing text", dateTime, "2008-01-23T04:56:22Zx", nil, "xsd:dateTime"},
		{"dateTime as number", dateTime, json.Number("2008"), nil, "xsd:dateTime"},
		{"binary", binary, "aGVsbG8=", "aGVsbG8=", ""},
		{"binary without padding", binary, "aGVsbG8", nil, "base64"},
		{"binary URL alphabet", binary, "-_-_", nil, "base64"},
		{"boolean", boolean, true, true, ""},
		{"boolean string True", boolean, "True", true, ""},
		{"boolean string FALSE", boolean, "FALSE", false, ""},
		{"boolean string yes", boolean, "yes", nil, `got a string "yes"`},
		{"null is unassigned", boolean, nil, nil, ""},
		{"multi-valued simple", tags, []any{"a", nil, "b"}, []any{"a", "b"}, ""},
		{"multi-valued empty is unassigned", tags, []any{}, nil, ""},
		{"multi-valued single value", tags, "a", nil, `attribute "tags": expected an array of strings, got a string "a"`},
		{"multi-valued element of the wrong type", tags, []any{"a", true}, nil, `attribute "tags" (element 2): expected a string, got a boolean (true)`},
		{"multi-valued complex", emails, []any{map[string]any{"Value": "x", "TYPE": "work"}}, []any{map[string]any{"value": "x", "type": "work"}}, ""},
		{"complex drops readOnly sub-attributes", manager, map[string]any{"value": "1", "displayName": "x"}, map[string]any{"value": "1"}, ""},
		{"complex with only readOnly is unassigned", manager, map[string]any{"displayName": "x"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.attr.Coerce(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Coerce(%#v) = %#v, want error", tt.in, got)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Coerce(%#v) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Coerce(%#v): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Coerce(%#v) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestCoerceElement(t *testing.T) {
	emails, _, _ := User().Lookup("", "emails", "")
	tests := []struct {
		name    string
		in      any
		want    any
		wantErr string
	}{
		{"one element", map[string]any{"value": "x", "primary": "true"}, map[string]any{"value": "x", "primary": true}, ""},
		{"array is not an element", []any{map[string]any{"value": "x"}}, nil, `attribute "emails": expected an object, got an array`},
		{"null", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := emails.CoerceElement(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("CoerceElement error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CoerceElement = %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

// TestDecodeUnknownNull covers the Microsoft tutorial's older "Provision a
// user" body, which sends unmapped enterprise attributes as top-level
// nulls: null means unassigned (RFC 7643 §2.5), so nothing is lost, while an
// unknown attribute with a value is still refused.
func TestDecodeUnknownNull(t *testing.T) {
	rt := User()
	res, err := rt.Decode([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann","department":null,"manager":null}`))
	if err != nil || res["userName"] != "ann" || len(res) != 2 {
		t.Errorf("Decode with unknown nulls = %v, %v", res, err)
	}
	if _, err := rt.Decode([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann","department":"Sales"}`)); err == nil {
		t.Error("an unknown attribute with a value was accepted")
	}
}

// TestDecodeRefusesInvalidUTF8 pins what FuzzApply found: text that is not
// UTF-8 would change on its way through storage, so it is refused.
func TestDecodeRefusesInvalidUTF8(t *testing.T) {
	_, err := User().DecodeMap(map[string]any{"schemas": []any{UserURN}, "userName": "ann", "displayName": "B\xffabs"})
	var e *Error
	if !errors.As(err, &e) || e.ScimType != ScimTypeInvalidValue {
		t.Errorf("DecodeMap with invalid UTF-8 = %v, want invalidValue", err)
	}
}

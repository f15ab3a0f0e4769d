package schema

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const exampleBase = "https://example.com/v2"

// TestResourceTypesMatchRFC compares /ResourceTypes with RFC 7643 §8.6.
// The one intended difference: the Enterprise User extension is optional
// here (see User).
func TestResourceTypesMatchRFC(t *testing.T) {
	want := jsonValue(t, readTestdata(t, "rfc7643-8.6-resource-types.json")).([]any)
	want[0].(map[string]any)["schemaExtensions"].([]any)[0].(map[string]any)["required"] = false
	tests := []struct {
		name    string
		baseURL string
	}{
		{"base URL", exampleBase},
		{"base URL with trailing slash", exampleBase + "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roundTrip(t, ResourceTypesList(tt.baseURL)).(map[string]any)
			wantList := map[string]any{
				"schemas":      []any{ListResponseURN},
				"totalResults": json.Number("2"),
				"startIndex":   json.Number("1"),
				"itemsPerPage": json.Number("2"),
				"Resources":    want,
			}
			if !reflect.DeepEqual(got, wantList) {
				t.Errorf("ResourceTypesList =\n%v\nwant\n%v", got, wantList)
			}
		})
	}
}

func TestResourceTypeByID(t *testing.T) {
	rfc := jsonValue(t, readTestdata(t, "rfc7643-8.6-resource-types.json")).([]any)
	tests := []struct {
		name, id string
		found    bool
		want     any // RFC 7643 §8.6 document to compare with, or nil
	}{
		{"User", "User", true, nil}, // differs from §8.6 only in "required", see TestResourceTypesMatchRFC
		{"Group any case", "group", true, rfc[1]},
		{"unknown", "Device", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, ok := ResourceTypeByID(exampleBase, tt.id)
			if ok != tt.found {
				t.Fatalf("ResourceTypeByID(%q) found = %t, want %t", tt.id, ok, tt.found)
			}
			if !ok {
				return
			}
			if tt.want != nil && !reflect.DeepEqual(roundTrip(t, doc), tt.want) {
				t.Errorf("ResourceTypeByID = %v, want %v", roundTrip(t, doc), tt.want)
			}
			if doc.Meta.Location != exampleBase+"/ResourceTypes/"+doc.ID {
				t.Errorf("location = %q", doc.Meta.Location)
			}
		})
	}
}

func TestSchemasList(t *testing.T) {
	list := SchemasList(exampleBase + "/")
	if list.TotalResults != 6 || list.ItemsPerPage != 6 || list.StartIndex != 1 || len(list.Resources) != 6 {
		t.Fatalf("list = %+v", list)
	}
	b, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "null") {
		t.Errorf("/Schemas contains null: %s", b)
	}
	tests := []struct {
		name, id, schemaName string
		attributes           int
	}{
		{"core User", UserURN, "User", 21},
		{"Enterprise User", EnterpriseUserURN, "EnterpriseUser", 6},
		{"core Group", GroupURN, "Group", 2},
		{"ServiceProviderConfig", ServiceProviderConfigURN, "Service Provider Configuration", 10}, // with RFC 9967 securityEvents
		{"ResourceType", ResourceTypeURN, "ResourceType", 6},
		{"Schema", SchemaURN, "Schema", 4},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := list.Resources[i].(SchemaDocument)
			if doc.ID != tt.id || doc.Name != tt.schemaName || len(doc.Attributes) != tt.attributes {
				t.Errorf("schema %d = %s %s with %d attributes", i, doc.ID, doc.Name, len(doc.Attributes))
			}
			if want := (Meta{ResourceType: "Schema", Location: exampleBase + "/Schemas/" + tt.id}); doc.Meta != want {
				t.Errorf("meta = %+v, want %+v", doc.Meta, want)
			}
			if !reflect.DeepEqual(doc.Schemas, []string{SchemaURN}) {
				t.Errorf("schemas = %v", doc.Schemas)
			}
		})
	}
}

// TestSchemaDocument checks the JSON form of attribute definitions against
// RFC 7643 §7 and §8.7.1.
func TestSchemaDocument(t *testing.T) {
	doc, ok := SchemaByID(exampleBase, strings.ToLower(EnterpriseUserURN))
	if !ok {
		t.Fatal("enterprise schema not found")
	}
	got := roundTrip(t, doc).(map[string]any)
	manager := got["attributes"].([]any)[5]
	want := jsonValue(t, []byte(`{
		"name": "manager",
		"type": "complex",
		"multiValued": false,
		"description": "The User's manager.  A complex type that optionally allows service providers to represent organizational hierarchy by referencing the 'id' attribute of another User.",
		"required": false,
		"caseExact": false,
		"mutability": "readWrite",
		"returned": "default",
		"uniqueness": "none",
		"subAttributes": [
			{"name": "value", "type": "string", "multiValued": false,
			 "description": "The id of the SCIM resource representing the User's manager.  REQUIRED. Limit: at most 1,024 bytes of UTF-8; longer values are refused with invalidValue.",
			 "required": false, "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
			{"name": "$ref", "type": "reference", "referenceTypes": ["User"], "multiValued": false,
			 "description": "The URI of the SCIM resource representing the User's manager.  REQUIRED. Limit: at most 1,024 bytes of UTF-8; longer values are refused with invalidValue.",
			 "required": false, "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
			{"name": "displayName", "type": "string", "multiValued": false,
			 "description": "The displayName of the User's manager. OPTIONAL and READ-ONLY.",
			 "required": false, "caseExact": false, "mutability": "readOnly", "returned": "default", "uniqueness": "none"}
		]
	}`))
	if !reflect.DeepEqual(manager, want) {
		t.Errorf("manager =\n%v\nwant\n%v", manager, want)
	}
	if got["id"] != EnterpriseUserURN || got["description"] != "Enterprise User" {
		t.Errorf("id, description = %v, %v", got["id"], got["description"])
	}
	if _, ok := SchemaByID(exampleBase, "urn:ietf:params:scim:schemas:core:2.0:Nothing"); ok {
		t.Error("SchemaByID found a schema that /Schemas does not list")
	}
}

// TestServiceProviderConfigMatchesRFC builds the configuration of RFC 7643
// §8.5 and compares the document, leaving out the meta members (created,
// lastModified, version) that a static document does not have.
func TestServiceProviderConfigMatchesRFC(t *testing.T) {
	cfg := ServiceProviderConfig{
		DocumentationURI:        "http://example.com/help/scim.html",
		PatchSupported:          true,
		BulkSupported:           true,
		BulkMaxOperations:       1000,
		BulkMaxPayloadSize:      1048576,
		FilterSupported:         true,
		FilterMaxResults:        200,
		ChangePasswordSupported: true,
		SortSupported:           true,
		ETagSupported:           true,
		AuthenticationSchemes: []AuthenticationScheme{
			{Type: "oauthbearertoken", Name: "OAuth Bearer Token", Description: "Authentication scheme using the OAuth Bearer Token Standard",
				SpecURI: "http://www.rfc-editor.org/info/rfc6750", DocumentationURI: "http://example.com/help/oauth.html", Primary: true},
			{Type: "httpbasic", Name: "HTTP Basic", Description: "Authentication scheme using the HTTP Basic Standard",
				SpecURI: "http://www.rfc-editor.org/info/rfc2617", DocumentationURI: "http://example.com/help/httpBasic.html"},
		},
	}
	doc, err := cfg.Document(exampleBase)
	if err != nil {
		t.Fatal(err)
	}
	want := jsonValue(t, readTestdata(t, "rfc7643-8.5-service-provider-config.json")).(map[string]any)
	meta := want["meta"].(map[string]any)
	for _, k := range []string{"created", "lastModified", "version"} {
		delete(meta, k)
	}
	if got := roundTrip(t, doc); !reflect.DeepEqual(got, any(want)) {
		t.Errorf("Document =\n%v\nwant\n%v", got, want)
	}
}

func TestServiceProviderConfigDocument(t *testing.T) {
	tests := []struct {
		name    string
		cfg     ServiceProviderConfig
		want    string // JSON the document must contain
		wantErr string
	}{
		{
			name: "minimal has every required member and no nulls",
			cfg:  ServiceProviderConfig{},
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],"patch":{"supported":false},` +
				`"bulk":{"supported":false,"maxOperations":0,"maxPayloadSize":0},"filter":{"supported":false,"maxResults":0},` +
				`"changePassword":{"supported":false},"sort":{"supported":false},"etag":{"supported":false},"authenticationSchemes":[],` +
				`"meta":{"resourceType":"ServiceProviderConfig","location":"https://example.com/v2/ServiceProviderConfig"}}`,
		},
		{
			name: "RFC 9865 pagination as in its example",
			cfg: ServiceProviderConfig{Pagination: &PaginationConfig{Cursor: true, Index: true, DefaultPaginationMethod: "cursor",
				DefaultPageSize: 100, MaxPageSize: 250, CursorTimeout: 3600}},
			want: `"pagination":{"cursor":true,"index":true,"defaultPaginationMethod":"cursor","defaultPageSize":100,"maxPageSize":250,"cursorTimeout":3600}`,
		},
		{
			name: "pagination optional members left out",
			cfg:  ServiceProviderConfig{Pagination: &PaginationConfig{Index: true}},
			want: `"pagination":{"cursor":false,"index":true}`,
		},
		{
			name:    "unknown pagination method",
			cfg:     ServiceProviderConfig{Pagination: &PaginationConfig{Cursor: true, DefaultPaginationMethod: "Cursor"}},
			wantErr: `DefaultPaginationMethod is "Cursor"`,
		},
		{
			name:    "default method not supported",
			cfg:     ServiceProviderConfig{Pagination: &PaginationConfig{Index: true, DefaultPaginationMethod: "cursor"}},
			wantErr: "Cursor is false",
		},
		{
			name:    "default page size above maximum",
			cfg:     ServiceProviderConfig{Pagination: &PaginationConfig{Cursor: true, DefaultPageSize: 500, MaxPageSize: 100}},
			wantErr: "exceeds MaxPageSize",
		},
		{
			name:    "negative cursor timeout",
			cfg:     ServiceProviderConfig{Pagination: &PaginationConfig{Cursor: true, CursorTimeout: -1}},
			wantErr: "CursorTimeout is negative",
		},
		{
			name:    "negative bulk limit",
			cfg:     ServiceProviderConfig{BulkMaxOperations: -1},
			wantErr: "BulkMaxOperations is negative",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := tt.cfg.Document(exampleBase + "/")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Document error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tt.want) {
				t.Errorf("Document = %s\nwant it to contain %s", b, tt.want)
			}
			if strings.Contains(string(b), "null") {
				t.Errorf("Document contains null: %s", b)
			}
		})
	}
}

func TestServiceProviderConfigDoesNotAlias(t *testing.T) {
	cfg := ServiceProviderConfig{AuthenticationSchemes: []AuthenticationScheme{{Type: "oauthbearertoken", Name: "Bearer"}}}
	doc, err := cfg.Document(exampleBase)
	if err != nil {
		t.Fatal(err)
	}
	doc.AuthenticationSchemes[0].Name = "changed"
	if cfg.AuthenticationSchemes[0].Name != "Bearer" {
		t.Error("the document shares AuthenticationSchemes with the configuration")
	}
}

// TestSecurityEventsAdvertised: RFC 9967 §4 adds "securityEvents" to the
// core ServiceProviderConfig, with asyncRequest and eventUris; absent, it
// says events are not supported.
func TestSecurityEventsAdvertised(t *testing.T) {
	uris := []string{"urn:ietf:params:scim:event:prov:create:notice", "urn:ietf:params:scim:event:prov:delete"}
	doc, err := ServiceProviderConfig{SecurityEvents: &SecurityEventsConfig{EventURIs: uris}}.Document("https://roster.example/scim/v2")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(doc)
	var got struct {
		SecurityEvents *struct {
			AsyncRequest string   `json:"asyncRequest"`
			EventURIs    []string `json:"eventUris"`
		} `json:"securityEvents"`
	}
	json.Unmarshal(b, &got)
	if got.SecurityEvents == nil || got.SecurityEvents.AsyncRequest != "none" || len(got.SecurityEvents.EventURIs) != 2 || got.SecurityEvents.EventURIs[1] != uris[1] {
		t.Fatalf("securityEvents = %s", b)
	}
	doc, _ = ServiceProviderConfig{}.Document("https://roster.example/scim/v2")
	if b, _ := json.Marshal(doc); strings.Contains(string(b), "securityEvents") {
		t.Fatalf("without events the document still says securityEvents: %s", b)
	}
	if _, err := (ServiceProviderConfig{SecurityEvents: &SecurityEventsConfig{AsyncRequest: "sometimes"}}).Document(""); err == nil {
		t.Fatal("an asyncRequest RFC 9967 does not define was accepted")
	}
}

package patch

import (
	"reflect"
	"testing"

	"github.com/rosterhq/roster/internal/scim/schema"
)

// The request bodies of the examples of RFC 7644 §3.5.2.1 to §3.5.2.3,
// copied from the RFC. The RFC prints some ids shortened with "..." (to
// fit its line width); they are kept as printed. Two bodies (the pathless
// add of §3.5.2.1 and the pathless replace of §3.5.2.3) lack the "}" that
// closes the operation object in the RFC and are not valid JSON as
// printed; the brace is restored and marked "[added]".
const (
	rfcAddMember = `
   { "schemas":
       ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations":[
       {
        "op":"add",
        "path":"members",
        "value":[
         {
           "display": "Babs Jensen",
           "$ref":
   "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
           "value": "2819c223-7f76-453a-919d-413861904646"
         }
        ]
       }
     ]
   }`

	rfcAddPathless = `
   { "schemas":
       ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations":[{
       "op":"add",
       "value":{
         "emails":[
           {
             "value":"babs@jensen.org",
             "type":"home"
           }
         ],
         "nickname":"Babs"
     }}]` + /* [added] "}" before "]" */ `
   }`

	rfcRemoveAllMembers = `
   { "schemas":
       ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations":[{
       "op":"remove","path":"members"
     }]
   }`

	rfcRemoveOneMember = `
   { "schemas":
       ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations":[{
       "op":"remove",
       "path":"members[value eq \"2819c223-7f76-...413861904646\"]"
     }]
   }`

	rfcRemoveWorkEmails = `
   { "schemas":
       ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations": [{
       "op":"remove",
       "path":"emails[type eq \"work\" and value ew \"example.com\"]"
     }]
   }`

	rfcRemoveThenAddMember = `
   { "schemas":
       ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations": [
       {
         "op":"remove",
         "path":
           "members[value eq\"2819c223...919d-413861904646\"]"
       },
       {
         "op":"add",
         "path":"members",
         "value":[
           {
             "display": "James Smith",
             "$ref":
   "https://example.com/v2/Users/08e1d05d...473d93df9210",
             "value": "08e1d05d...473d93df9210"
           }
         ]
       }
     ]
   }`

	rfcRemoveAllThenAdd = `
   { "schemas":
       ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations": [
       {
         "op":"remove","path":"members"
       },
       {
         "op":"add",
         "path":"members",
         "value":[
         {
           "display": "Babs Jensen",
           "$ref":
   "https://example.com/v2/Users/2819c223...413861904646",
           "value": "2819c223-7f76-453a-919d-413861904646"
         },
         {
           "display": "James Smith",
           "$ref":
   "https://example.com/v2/Users/08e1d05d...473d93df9210",
           "value": "08e1d05d-121c-4561-8b96-473d93df9210"
         }
         ]
       }
     ]
   }`

	rfcReplaceMembers = `
   { "schemas":
       ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations": [{
       "op":"replace",
       "path":"members",
       "value":[
         {
           "display": "Babs Jensen",
           "$ref":
   "https://example.com/v2/Users/2819c223...413861904646",
           "value": "2819c223...413861904646"
         },
         {
           "display": "James Smith",
           "$ref":
   "https://example.com/v2/Users/08e1d05d...473d93df9210",
           "value": "08e1d05d...473d93df9210"
         }
       ]
     }]
   }`

	rfcReplaceWorkAddress = `
   { "schemas":
       ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations": [{
       "op":"replace",
       "path":"addresses[type eq \"work\"]",
       "value":
       {
         "type": "work",
         "streetAddress": "911 Universal City Plaza",
         "locality": "Hollywood",
         "region": "CA",
         "postalCode": "91608",
         "country": "US",
         "formatted":
   "911 Universal City Plaza\nHollywood, CA 91608 US",
         "primary": true
       }
     }]
   }`

	rfcReplaceStreetAddress = `
   { "schemas":
       ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations": [{
       "op":"replace",
       "path":"addresses[type eq \"work\"].streetAddress",
       "value":"1010 Broadway Ave"
     }]
   }`

	rfcReplacePathless = `
   { "schemas":
       ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations": [{
       "op":"replace",
       "value":{
         "emails":[
           {
             "value":"bjensen@example.com",
             "type":"work",
             "primary":true
           },
           {
             "value":"babs@jensen.org",
             "type":"home"
           }
         ],
         "nickname":"Babs"
     }}]` + /* [added] "}" before "]" */ `
   }`
)

// TestRFCUserExamples applies the User examples of RFC 7644 §3.5.2.1 to
// §3.5.2.3 to the RFC 7643 §8.2 user.
func TestRFCUserExamples(t *testing.T) {
	rt := schema.User()
	tests := []struct {
		name  string
		body  string
		prep  func(res schema.Resource) // adjusts the user before patching
		field string
		want  string
		also  func(t *testing.T, res schema.Resource)
	}{
		{
			// §3.5.2.1: "an additional value is added to the multi-valued
			// attribute "emails". The second attribute, "nickname", is
			// added to the User resource. If the resource already had an
			// existing "nickname", the value is replaced".
			name: "§3.5.2.1 add without path", body: rfcAddPathless,
			prep:  func(res schema.Resource) { res["nickName"] = "Barbara"; res["emails"] = res["emails"].([]any)[:1] },
			field: "emails",
			want:  `[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}]`,
			also: func(t *testing.T, res schema.Resource) {
				mustEqualJSON(t, "nickName", res["nickName"], `"Babs"`)
			},
		},
		{
			// §3.5.2.1: "If the target location already contains the value
			// specified, no changes SHOULD be made to the resource".
			name: "§3.5.2.1 add without path, email already present", body: rfcAddPathless,
			field: "emails",
			want:  `[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}]`,
		},
		{
			name: "§3.5.2.2 remove emails matching a complex filter", body: rfcRemoveWorkEmails,
			field: "emails",
			want:  `[{"value":"babs@jensen.org","type":"home"}]`,
		},
		{
			// §3.5.2.3: "all matching record values SHALL be replaced".
			name: "§3.5.2.3 replace the work address", body: rfcReplaceWorkAddress,
			field: "addresses",
			want: `[{"type":"work","streetAddress":"911 Universal City Plaza","locality":"Hollywood","region":"CA","postalCode":"91608","country":"US","formatted":"911 Universal City Plaza\nHollywood, CA 91608 US","primary":true},
			        {"type":"home","streetAddress":"456 Hollywood Blvd","locality":"Hollywood","region":"CA","postalCode":"91608","country":"USA","formatted":"456 Hollywood Blvd\nHollywood, CA 91608 USA"}]`,
		},
		{
			// §3.5.2.3: "the matching sub-attribute of all matching
			// records is replaced".
			name: "§3.5.2.3 replace streetAddress of the work address", body: rfcReplaceStreetAddress,
			field: "addresses",
			want: `[{"type":"work","streetAddress":"1010 Broadway Ave","locality":"Hollywood","region":"CA","postalCode":"91608","country":"USA","formatted":"100 Universal City Plaza\nHollywood, CA 91608 USA","primary":true},
			        {"type":"home","streetAddress":"456 Hollywood Blvd","locality":"Hollywood","region":"CA","postalCode":"91608","country":"USA","formatted":"456 Hollywood Blvd\nHollywood, CA 91608 USA"}]`,
		},
		{
			// §3.5.2.3: "replace all values of one or more specific
			// attributes of a User resource"; the other attributes are
			// unaffected.
			name: "§3.5.2.3 replace without path", body: rfcReplacePathless,
			prep: func(res schema.Resource) {
				res["emails"] = []any{map[string]any{"value": "old@example.com", "type": "other"}}
				res["nickName"] = "Barbara"
			},
			field: "emails",
			want:  `[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}]`,
			also: func(t *testing.T, res schema.Resource) {
				mustEqualJSON(t, "nickName", res["nickName"], `"Babs"`)
				mustEqualJSON(t, "title", res["title"], `"Tour Guide"`)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := fullUser(t)
			if tt.prep != nil {
				tt.prep(res)
			}
			before := snapshot(t, res)
			got, err := Apply(rt, res, decodeOps(t, tt.body))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if snapshot(t, res) != before {
				t.Error("Apply modified its input")
			}
			mustEqualJSON(t, tt.field, got[tt.field], tt.want)
			if tt.also != nil {
				tt.also(t, got)
			}
			checkValid(t, rt, got)
		})
	}
}

// TestRFCGroupExamples plans the Group examples of RFC 7644 §3.5.2.1 to
// §3.5.2.3, and checks that applying them with Apply to the RFC 7643 §8.4
// group gives the same member list as applying the plan.
func TestRFCGroupExamples(t *testing.T) {
	tests := []struct {
		name string
		body string
		want GroupPlan
	}{
		{
			name: "§3.5.2.1 add a member", body: rfcAddMember,
			want: GroupPlan{Add: []string{"2819c223-7f76-453a-919d-413861904646"}},
		},
		{
			// §3.5.2.2: "If the target location is a multi-valued
			// attribute and no filter is specified, the attribute and all
			// values are removed".
			name: "§3.5.2.2 remove all members", body: rfcRemoveAllMembers,
			want: GroupPlan{SetMembers: true, Members: []string{}},
		},
		{
			name: "§3.5.2.2 remove one member", body: rfcRemoveOneMember,
			want: GroupPlan{Remove: []string{"2819c223-7f76-...413861904646"}},
		},
		{
			name: "§3.5.2.2 remove one member and add another", body: rfcRemoveThenAddMember,
			want: GroupPlan{Add: []string{"08e1d05d...473d93df9210"}, Remove: []string{"2819c223...919d-413861904646"}},
		},
		{
			name: "§3.5.2.2 remove all members then add two", body: rfcRemoveAllThenAdd,
			want: GroupPlan{SetMembers: true, Members: []string{"2819c223-7f76-453a-919d-413861904646", "08e1d05d-121c-4561-8b96-473d93df9210"}},
		},
		{
			name: "§3.5.2.3 replace members", body: rfcReplaceMembers,
			want: GroupPlan{SetMembers: true, Members: []string{"2819c223...413861904646", "08e1d05d...473d93df9210"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops := decodeOps(t, tt.body)
			got, err := PlanGroup(schema.Group(), groupID, ops)
			if err != nil {
				t.Fatalf("PlanGroup: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PlanGroup:\n got  %v\n want %v", got, tt.want)
			}
			crossCheck(t, ops, got)
		})
	}
}

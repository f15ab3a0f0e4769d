package patch_test

import (
	"encoding/json"
	"fmt"

	"github.com/rosterhq/roster/internal/scim/patch"
	"github.com/rosterhq/roster/internal/scim/schema"
)

// Entra ID's update of a user, as sent with the aadOptscim062020 flag.
func ExampleApply() {
	rt := schema.User()
	user, err := rt.Decode([]byte(`{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
		"userName": "bjensen@example.com",
		"name": {"givenName": "Barbara", "familyName": "Jensen"},
		"emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}]
	}`))
	if err != nil {
		panic(err)
	}
	ops, err := patch.Decode([]byte(`{
		"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations": [
			{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "babs@example.com"},
			{"op": "replace", "value": {
				"name.givenName": "Babs",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42"}},
			{"op": "Replace", "path": "active", "value": "False"}
		]
	}`))
	if err != nil {
		panic(err)
	}
	out, err := patch.Apply(rt, user, ops)
	if err != nil {
		panic(err)
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Println(string(b))
	// Output:
	// {
	//   "active": false,
	//   "emails": [
	//     {
	//       "primary": true,
	//       "type": "work",
	//       "value": "babs@example.com"
	//     }
	//   ],
	//   "name": {
	//     "familyName": "Jensen",
	//     "givenName": "Babs"
	//   },
	//   "schemas": [
	//     "urn:ietf:params:scim:schemas:core:2.0:User",
	//     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	//   ],
	//   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
	//     "employeeNumber": "42"
	//   },
	//   "userName": "bjensen@example.com"
	// }
}

// Okta's membership update: one member out, one in, and the group's own id
// in a pathless rename.
func ExamplePlanGroup() {
	ops, err := patch.Decode([]byte(`{
		"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations": [
			{"op": "replace", "value": {"id": "g1", "displayName": "Tour Guides"}},
			{"op": "remove", "path": "members[value eq \"u1\"]"},
			{"op": "add", "path": "members", "value": [{"value": "u2", "display": "babs@example.com"}]}
		]
	}`))
	if err != nil {
		panic(err)
	}
	plan, err := patch.PlanGroup(schema.Group(), "g1", ops)
	if err != nil {
		panic(err)
	}
	fmt.Println(plan)
	// Output: GroupPlan{displayName="Tour Guides" add=["u2"] remove=["u1"]}
}

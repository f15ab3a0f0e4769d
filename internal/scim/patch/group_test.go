package patch

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim/schema"
)

func ptr(s string) *string { return &s }

// applyPlan applies a plan to a member list the way the store does.
func applyPlan(members []string, p GroupPlan) []string {
	out := slices.Clone(members)
	if p.SetMembers {
		out = slices.Clone(p.Members)
	}
	out = slices.DeleteFunc(out, func(id string) bool { return slices.Contains(p.Remove, id) })
	for _, id := range p.Add {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// memberIDsOf returns the member ids of a Group resource.
func memberIDsOf(res schema.Resource) []string {
	var ids []string
	l, _ := res["members"].([]any)
	for _, el := range l {
		if m, ok := el.(map[string]any); ok {
			if id, ok := m["value"].(string); ok && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// crossCheck checks that PlanGroup and Apply agree: Apply of ops to the
// RFC 7643 §8.4 group yields the members of applying plan to its member
// list, and the same displayName and externalId.
func crossCheck(t *testing.T, ops []Operation, plan GroupPlan) {
	t.Helper()
	rt := schema.Group()
	group := loadResource(t, "rfc7643-8.4-group.json")
	got, err := Apply(rt, group, ops)
	if err != nil {
		t.Fatalf("Apply to the §8.4 group: %v", err)
	}
	want := applyPlan(memberIDsOf(group), plan)
	have := memberIDsOf(got)
	slices.Sort(want)
	slices.Sort(have)
	if !slices.Equal(want, have) {
		t.Errorf("Apply and PlanGroup disagree on members:\n Apply %q\n plan  %q", have, want)
	}
	if plan.DisplayName != nil && got["displayName"] != *plan.DisplayName {
		t.Errorf("Apply displayName %v, plan %q", got["displayName"], *plan.DisplayName)
	}
	if plan.ExternalID != nil {
		ext, _ := got["externalId"].(string)
		if ext != *plan.ExternalID {
			t.Errorf("Apply externalId %q, plan %q", ext, *plan.ExternalID)
		}
	}
}

func TestPlanGroup(t *testing.T) {
	tests := []struct {
		name string
		ops  string
		want GroupPlan
	}{
		{
			// Entra ID: tutorial "use-scim-to-provision-users-and-groups",
			// "Add members" sends "$ref": null; several members in one
			// PATCH (gallery checklist).
			name: "Entra: add members with $ref null",
			ops:  `[{"op":"Add","path":"members","value":[{"$ref":null,"value":"u1"},{"$ref":null,"value":"u2"}]}]`,
			want: GroupPlan{Add: []string{"u1", "u2"}},
		},
		{
			// Entra ID without aadOptscim062020 (Microsoft known-issues
			// page, "Requests made to remove a group member"). A literal
			// RFC 7644 §3.5.2.2 reading would empty the group
			// (azure-docs #30826); only the listed members are removed.
			name: "Entra: remove members with a value list",
			ops:  `[{"op": "Remove", "path": "members", "value": [{"value": "u1091"}]}]`,
			want: GroupPlan{Remove: []string{"u1091"}},
		},
		{
			// Entra ID with aadOptscim062020 (known-issues page).
			name: "Entra: remove a member with a value filter",
			ops:  `[{"op":"remove","path":"members[value eq \"7f4bc1a3-285e-48ae-8202-5accb43efb0e\"]"}]`,
			want: GroupPlan{Remove: []string{"7f4bc1a3-285e-48ae-8202-5accb43efb0e"}},
		},
		{
			// Okta SCIM 2.0 reference: membership changes as a remove by
			// filter and an add in one PATCH.
			name: "Okta: remove by filter and add in one request",
			ops: `[{"op":"remove","path":"members[value eq \"u1\"]"},
			       {"op":"add","path":"members","value":[{"value":"u2","display":"user2@example.com"}]}]`,
			want: GroupPlan{Add: []string{"u2"}, Remove: []string{"u1"}},
		},
		{
			// Okta SCIM 2.0 reference: the full member list in a replace.
			name: "Okta: replace members with the full list",
			ops:  `[{"op":"replace","path":"members","value":[{"value":"u1","display":"a"},{"value":"u2","display":"b"},{"value":"u1"}]}]`,
			want: GroupPlan{SetMembers: true, Members: []string{"u1", "u2"}},
		},
		{
			// Okta SCIM 2.0 reference: rename with the group's id inside
			// the pathless value.
			name: "Okta: pathless replace with id and displayName",
			ops:  `[{"op":"replace","value":{"id":"` + groupID + `","displayName":"Tour Guides (2)"}}]`,
			want: GroupPlan{DisplayName: ptr("Tour Guides (2)")},
		},
		{
			name: "Okta: pathless replace with members",
			ops:  `[{"op":"replace","value":{"id":"` + groupID + `","displayName":"G","members":[{"value":"u9"}]}}]`,
			want: GroupPlan{DisplayName: ptr("G"), SetMembers: true, Members: []string{"u9"}},
		},
		{
			name: "or-ed value filters",
			ops:  `[{"op":"remove","path":"members[value eq \"a\" or value eq \"b\" or VALUE EQ \"c\"]"}]`,
			want: GroupPlan{Remove: []string{"a", "b", "c"}},
		},
		{
			name: "add then remove of the same member nets to a remove",
			ops:  `[{"op":"add","path":"members","value":[{"value":"x"},{"value":"y"}]},{"op":"remove","path":"members[value eq \"x\"]"}]`,
			want: GroupPlan{Add: []string{"y"}, Remove: []string{"x"}},
		},
		{
			name: "remove then add of the same member nets to an add",
			ops:  `[{"op":"remove","path":"members[value eq \"x\"]"},{"op":"add","path":"members","value":[{"value":"x"}]}]`,
			want: GroupPlan{Add: []string{"x"}},
		},
		{
			name: "operations after a replace fold into the list",
			ops: `[{"op":"add","path":"members","value":[{"value":"early"}]},
			       {"op":"replace","path":"members","value":[{"value":"a"},{"value":"b"}]},
			       {"op":"remove","path":"members[value eq \"a\"]"},
			       {"op":"add","path":"members","value":[{"value":"c"},{"value":"b"}]}]`,
			want: GroupPlan{SetMembers: true, Members: []string{"b", "c"}},
		},
		{
			name: "remove all then add",
			ops:  `[{"op":"remove","path":"members"},{"op":"add","path":"members","value":[{"value":"a"}]}]`,
			want: GroupPlan{SetMembers: true, Members: []string{"a"}},
		},
		{
			name: "replace with an empty list or null empties the group",
			ops:  `[{"op":"replace","path":"members","value":[]},{"op":"replace","path":"members","value":null}]`,
			want: GroupPlan{SetMembers: true, Members: []string{}},
		},
		{
			name: "remove with an empty value list removes nothing",
			ops:  `[{"op":"remove","path":"members","value":[]}]`,
			want: GroupPlan{},
		},
		{
			name: "displayName and externalId by path, last one wins",
			ops: `[{"op":"Replace","path":"displayName","value":"A"},{"op":"add","path":"DISPLAYNAME","value":"B"},
			       {"op":"add","path":"externalId","value":"ext-1"}]`,
			want: GroupPlan{DisplayName: ptr("B"), ExternalID: ptr("ext-1")},
		},
		{
			name: "externalId cleared by remove",
			ops:  `[{"op":"remove","path":"externalId"}]`,
			want: GroupPlan{ExternalID: ptr("")},
		},
		{
			name: "externalId cleared by an empty replace",
			ops:  `[{"op":"replace","path":"externalId","value":""}]`,
			want: GroupPlan{ExternalID: ptr("")},
		},
		{
			name: "URN-qualified paths and keys",
			ops: `[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:Group:displayName","value":"A"},
			       {"op":"add","value":{"urn:ietf:params:scim:schemas:core:2.0:Group:members":[{"value":"m"}]}}]`,
			want: GroupPlan{DisplayName: ptr("A"), Add: []string{"m"}},
		},
		{
			name: "pathless ignores schemas and meta",
			ops:  `[{"op":"replace","value":{"schemas":["x"],"meta":{"resourceType":"Group"},"displayName":"A"}}]`,
			want: GroupPlan{DisplayName: ptr("A")},
		},
		{
			name: "pathless externalId and displayName",
			ops:  `[{"op":"add","value":{"externalId":"e1","displayName":"D"}},{"op":"replace","value":{"EXTERNALID":null}}]`,
			want: GroupPlan{DisplayName: ptr("D"), ExternalID: ptr("")},
		},
		{
			name: "pathless null id is ignored",
			ops:  `[{"op":"replace","value":{"id":null,"displayName":"A"}}]`,
			want: GroupPlan{DisplayName: ptr("A")},
		},
		{
			name: "member type User is accepted",
			ops:  `[{"op":"add","path":"members","value":[{"value":"u","type":"User"}]}]`,
			want: GroupPlan{Add: []string{"u"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops := decodeOps(t, body(tt.ops))
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

func TestPlanGroupErrors(t *testing.T) {
	tests := []struct {
		name      string
		ops       string
		scimType  string
		detailHas string
	}{
		{"other filter on members", `[{"op":"remove","path":"members[display eq \"Babs\"]"}]`, schema.ScimTypeInvalidFilter, "only value eq"},
		{"ne filter on members", `[{"op":"remove","path":"members[value ne \"x\"]"}]`, schema.ScimTypeInvalidFilter, "only value eq"},
		{"and filter on members", `[{"op":"remove","path":"members[value eq \"x\" and type eq \"User\"]"}]`, schema.ScimTypeInvalidFilter, "only value eq"},
		{"unknown sub-attribute in a members filter", `[{"op":"remove","path":"members[foo eq \"x\"]"}]`, schema.ScimTypeInvalidFilter, "foo"},
		{"empty member id in a filter", `[{"op":"remove","path":"members[value eq \"\"]"}]`, schema.ScimTypeInvalidValue, "empty"},
		{"member without value", `[{"op":"add","path":"members","value":[{"display":"x"}]}]`, schema.ScimTypeInvalidValue, "value"},
		{"member with empty value", `[{"op":"add","path":"members","value":[{"value":""}]}]`, schema.ScimTypeInvalidValue, "value"},
		{"member with null value", `[{"op":"add","path":"members","value":[{"value":null}]}]`, schema.ScimTypeInvalidValue, "non-empty"},
		{"member value not a string", `[{"op":"add","path":"members","value":[{"value":5}]}]`, schema.ScimTypeInvalidValue, "string"},
		{"nested group", `[{"op":"add","path":"members","value":[{"value":"g2","type":"Group"}]}]`, schema.ScimTypeInvalidValue, "nested groups are not supported"},
		{"nested group in a replace", `[{"op":"replace","path":"members","value":[{"value":"g2","type":"group"}]}]`, schema.ScimTypeInvalidValue, "nested groups"},
		{"members not an array", `[{"op":"add","path":"members","value":{"value":"u"}}]`, schema.ScimTypeInvalidValue, "array"},
		{"unknown member sub-attribute", `[{"op":"add","path":"members","value":[{"value":"u","foo":1}]}]`, schema.ScimTypeInvalidSyntax, "foo"},
		{"member sub-attribute path", `[{"op":"replace","path":"members[value eq \"u\"].display","value":"x"}]`, schema.ScimTypeMutability, "readOnly"},
		{"members.value path", `[{"op":"remove","path":"members.value"}]`, schema.ScimTypeMutability, "immutable"},
		{"replace with a members filter", `[{"op":"replace","path":"members[value eq \"u\"]","value":{"value":"v"}}]`, schema.ScimTypeMutability, "in place"},
		{"pathless id of another group", `[{"op":"replace","value":{"id":"other","displayName":"x"}}]`, schema.ScimTypeMutability, "id"},
		{"id path", `[{"op":"replace","path":"id","value":"x"}]`, schema.ScimTypeMutability, "readOnly"},
		{"meta path", `[{"op":"remove","path":"meta.lastModified"}]`, schema.ScimTypeMutability, "readOnly"},
		{"remove displayName", `[{"op":"remove","path":"displayName"}]`, schema.ScimTypeMutability, "required"},
		{"empty displayName", `[{"op":"replace","path":"displayName","value":""}]`, schema.ScimTypeMutability, "required"},
		{"displayName not a string", `[{"op":"replace","path":"displayName","value":7}]`, schema.ScimTypeInvalidValue, "string"},
		{"unknown attribute", `[{"op":"add","path":"description","value":"x"}]`, schema.ScimTypeInvalidPath, "description"},
		{"unknown pathless key", `[{"op":"replace","value":{"description":"x"}}]`, schema.ScimTypeInvalidSyntax, "description"},
		{"filter on displayName", `[{"op":"remove","path":"displayName[value eq \"x\"]"}]`, schema.ScimTypeInvalidPath, "multi-valued"},
		{"remove without path", `[{"op":"remove","path":""}]`, schema.ScimTypeNoTarget, "path"},
		{"second operation fails", `[{"op":"add","path":"members","value":[{"value":"u"}]},{"op":"remove","path":"displayName"}]`, schema.ScimTypeMutability, "operation 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops := []Operation{}
			for _, raw := range jsonValue(t, tt.ops).([]any) {
				m := raw.(map[string]any)
				op := Operation{Op: strings.ToLower(m["op"].(string)), Value: m["value"]}
				op.Path, _ = m["path"].(string)
				ops = append(ops, op)
			}
			plan, err := PlanGroup(schema.Group(), groupID, ops)
			if err == nil {
				t.Fatalf("PlanGroup succeeded: %v", plan)
			}
			if got := scimType(t, err); got != tt.scimType {
				t.Errorf("scimType = %q, want %q (%v)", got, tt.scimType, err)
			}
			if !strings.Contains(err.Error(), tt.detailHas) {
				t.Errorf("error %q does not mention %q", err, tt.detailHas)
			}
		})
	}
}

// TestPlanGroupLarge checks that a plan for a large membership change does
// not depend on the group's size and stays linear.
func TestPlanGroupLarge(t *testing.T) {
	const n = 100000
	value := make([]any, n)
	for i := range value {
		value[i] = map[string]any{"value": "u" + strconv.Itoa(i)}
	}
	ops := []Operation{{Op: OpReplace, Path: "members", Value: value}}
	for i := 0; i < n; i += 2 {
		ops = append(ops, Operation{Op: OpRemove, Path: `members[value eq "` + value[i].(map[string]any)["value"].(string) + `"]`})
		if len(ops) >= MaxOperations {
			break
		}
	}
	plan, err := PlanGroup(schema.Group(), groupID, ops)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.SetMembers || len(plan.Members) != n-(len(ops)-1) {
		t.Errorf("got %d members, want %d", len(plan.Members), n-(len(ops)-1))
	}
}

func TestGroupPlanString(t *testing.T) {
	tests := []struct {
		name string
		plan GroupPlan
		want string
	}{
		{"empty", GroupPlan{}, "GroupPlan{}"},
		{"everything", GroupPlan{DisplayName: ptr("G"), ExternalID: ptr(""), SetMembers: true, Members: []string{"a"}},
			`GroupPlan{displayName="G" externalId="" members=["a"]}`},
		{"delta", GroupPlan{Add: []string{"a"}, Remove: []string{"b"}}, `GroupPlan{add=["a"] remove=["b"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.plan.String(); got != tt.want {
				t.Errorf("String() = %s, want %s", got, tt.want)
			}
		})
	}
}

package patch

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim/schema"
)

// fuzzSeeds are request bodies covering every kind of operation.
var fuzzSeeds = []string{
	rfcAddMember, rfcAddPathless, rfcRemoveAllMembers, rfcRemoveOneMember, rfcRemoveWorkEmails,
	rfcRemoveThenAddMember, rfcRemoveAllThenAdd, rfcReplaceMembers, rfcReplaceWorkAddress,
	rfcReplaceStreetAddress, rfcReplacePathless,
	``, `{}`, `[]`, `null`, body(`[]`), body(`[{}]`), body(`[{"op":"remove"}]`),
	body(`[{"op":"Replace","path":"active","value":"False"}]`),
	body(`[{"op":"replace","value":{"displayName":"B","name.givenName":"K","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"A"}}]`),
	body(`[{"op":"Add","path":"emails[type eq \"work\"].value","value":"w@example.com"},{"op":"Add","path":"emails[type eq \"other\"].primary","value":"true"}]`),
	body(`[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m"}]`),
	body(`[{"op":"Add","path":"manager","value":[{"$ref":"http://x/Users/1","value":"1"}]}]`),
	body(`[{"op":"remove","path":"manager[value eq \"26118915-6090-4610-87e4-49d8ca9f808d\"]"}]`),
	body(`[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"manager":{}}}]`),
	body(`[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`),
	body(`[{"op":"Remove","path":"members","value":[{"value":"u1091"}]}]`),
	body(`[{"op":"replace","value":{"id":"e9e30dba-f08f-4109-8486-d5c6a331660a","displayName":"x","members":[{"value":"a","type":"Group"}]}}]`),
	body(`[{"op":"replace","path":"emails[value pr].primary","value":true}]`),
	body(`[{"op":"add","path":"phoneNumbers.display","value":"x"},{"op":"remove","path":"phoneNumbers[type eq \"work\"].value"}]`),
	body(`[{"op":"replace","path":"addresses[type eq \"home\"]","value":{"primary":"TRUE"}},{"op":"remove","path":"id"}]`),
	body(`[{"op":"add","path":"x509Certificates","value":[{"value":"AAAA","primary":true}]},{"op":"replace","path":"meta.version","value":"x"}]`),
}

// FuzzDecode feeds arbitrary bodies to Decode: it never panics, every
// failure is a complete *schema.Error, and every success satisfies the
// invariants Apply and PlanGroup rely on.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ops, err := Decode(b)
		if err != nil {
			var se *schema.Error
			if !errors.As(err, &se) || se.ScimType == "" || se.Detail == "" {
				t.Fatalf("Decode error %v (%T) is not a complete *schema.Error", err, err)
			}
			return
		}
		if len(ops) == 0 || len(ops) > MaxOperations {
			t.Fatalf("Decode returned %d operations", len(ops))
		}
		for i, op := range ops {
			switch op.Op {
			case OpAdd, OpReplace:
				if _, ok := op.Value.(map[string]any); op.Path == "" && !ok {
					t.Fatalf("operation %d: pathless %s with a %T value", i, op.Op, op.Value)
				}
			case OpRemove:
				if op.Path == "" {
					t.Fatalf("operation %d: remove without a path", i)
				}
			default:
				t.Fatalf("operation %d: op %q", i, op.Op)
			}
		}
		again, _ := Decode(b)
		if !reflect.DeepEqual(ops, again) {
			t.Fatal("Decode is not deterministic")
		}
	})
}

// FuzzApply applies two arbitrary operations (op, path and JSON value
// each; a value that is not JSON is used as a string) to the RFC 7643 §8.3
// user (the §8.2 full user plus the Enterprise extension) and plans them
// for the §8.4 group. Neither panics; errors are complete *schema.Errors;
// the input is never modified; a patched user always re-decodes to itself
// and applying is deterministic; a plan's lists are free of duplicates and
// Add and Remove are disjoint.
func FuzzApply(f *testing.F) {
	for _, s := range fuzzSeeds {
		ops, err := Decode([]byte(s))
		if err != nil {
			continue
		}
		ops = append(ops, Operation{Op: OpRemove, Path: "nickName"})
		f.Add(ops[0].Op, ops[0].Path, canonical(f, ops[0].Value), ops[1].Op, ops[1].Path, canonical(f, ops[1].Value))
	}
	user, group := schema.User(), schema.Group()
	stored := enterpriseUser(f)
	before := snapshot(f, stored)
	f.Fuzz(func(t *testing.T, op1, path1, value1, op2, path2, value2 string) {
		ops := []Operation{fuzzOp(op1, path1, value1), fuzzOp(op2, path2, value2)}
		got, err := Apply(user, stored, ops)
		if snapshot(t, stored) != before {
			t.Fatal("Apply modified its input")
		}
		if err != nil {
			var se *schema.Error
			if !errors.As(err, &se) || se.ScimType == "" || se.Detail == "" {
				t.Fatalf("Apply error %v (%T) is not a complete *schema.Error", err, err)
			}
			if got != nil {
				t.Fatal("Apply returned a resource with its error")
			}
		} else {
			checkValid(t, user, got)
			again, err := Apply(user, stored, ops)
			if err != nil || !reflect.DeepEqual(got, again) {
				t.Fatalf("Apply is not deterministic: %v", err)
			}
		}

		plan, err := PlanGroup(group, groupID, ops)
		if err != nil {
			var se *schema.Error
			if !errors.As(err, &se) || se.ScimType == "" || se.Detail == "" {
				t.Fatalf("PlanGroup error %v (%T) is not a complete *schema.Error", err, err)
			}
			return
		}
		if plan.SetMembers && (plan.Members == nil || len(plan.Add) > 0 || len(plan.Remove) > 0) {
			t.Fatalf("plan with SetMembers has Add/Remove or nil Members: %v", plan)
		}
		if plan.DisplayName != nil && *plan.DisplayName == "" {
			t.Fatal("plan empties displayName")
		}
		for _, l := range [][]string{plan.Members, plan.Add, plan.Remove} {
			s := slices.Clone(l)
			slices.Sort(s)
			if len(slices.Compact(s)) != len(l) || slices.Contains(l, "") {
				t.Fatalf("plan list with duplicates or empty ids: %q", l)
			}
		}
		for _, id := range plan.Add {
			if slices.Contains(plan.Remove, id) {
				t.Fatalf("plan adds and removes %q", id)
			}
		}
	})
}

// fuzzOp builds an operation from fuzzer strings: value is decoded as JSON
// (with UseNumber) when it is JSON, and used as a string otherwise. op is
// used as given, so Apply also sees names Decode would reject.
func fuzzOp(op, path, value string) Operation {
	dec := json.NewDecoder(strings.NewReader(value))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		v = value
	}
	return Operation{Op: op, Path: path, Value: v}
}

package authzen

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
)

// viaJSON is what the answer was before the hand-written encoder, and the
// standard it must keep to.
func viaJSON(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestEncodeDecisionsAsEncodingJSON(t *testing.T) {
	grant := reasonJSON{access.Reason{Kind: "grant", Role: "viewer", ResourceType: store.ResourceFolder, ResourceID: "f1", GroupID: "g1", GroupName: "Sales <EMEA> & \"Ops\""}, "group g1 of the user is granted viewer on folder f1"}
	inherited := reasonJSON{access.Reason{Kind: "membership", Role: "editor", ResourceType: store.ResourceWorkspace, ResourceID: "w1", Origin: "group:g2", Inherited: true}, "line\nbreak\ttab\u2028sep\x01\x7f\xff end"}
	org := reasonJSON{access.Reason{Kind: "org_role", Role: "owner"}, "the user is an organization owner"}
	for _, tc := range []struct {
		name string
		d    decision
	}{
		{"bare denial", decision{}},
		{"bare permit", decision{Decision: true}},
		{"empty context", decision{Context: &decisionContext{}}},
		{"denial with reason", decision{Context: &decisionContext{Reason: "denied: no grant"}}},
		{"permit with reasons", decision{Decision: true, Context: &decisionContext{Role: "editor", Reason: "allowed", Reasons: []reasonJSON{grant, inherited, org}}}},
		{"empty reasons", decision{Context: &decisionContext{Reasons: []reasonJSON{}}}},
		{"error", decision{Context: &decisionContext{Error: &errorJSON{404, `no folder "x\y"`}}}},
		{"stopped", decision{Context: &decisionContext{Role: "viewer", Reason: "r", Stopped: "deny_on_first_deny: the 3 evaluations after this one were not made"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := appendDecision(nil, tc.d), viaJSON(t, tc.d); !bytes.Equal(got, want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			r := evaluationsResponse{[]decision{tc.d, {Decision: true}, tc.d}}
			if got, want := appendEvaluations(nil, r), viaJSON(t, r); !bytes.Equal(got, want) {
				t.Errorf("batch: got  %s\nwant %s", got, want)
			}
		})
	}
	for _, r := range []evaluationsResponse{{}, {Evaluations: []decision{}}} {
		if got, want := appendEvaluations(nil, r), viaJSON(t, r); !bytes.Equal(got, want) {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

// FuzzEncodeDecision checks that any strings, however escaped, encode to
// the bytes encoding/json writes.
func FuzzEncodeDecision(f *testing.F) {
	f.Add("viewer", "allowed: the user's role here is viewer", "Sales & <Ops>", "group:g1", "a\u2029b", uint8(3))
	f.Add("", "", "\x00\x1f\"\\", "\xed\xa0\x80", "\U0001F600", uint8(0))
	f.Fuzz(func(t *testing.T, role, reason, name, origin, text string, flags uint8) {
		c := &decisionContext{Role: role, Reason: reason, Stopped: text}
		if flags&1 != 0 {
			c.Reasons = []reasonJSON{{access.Reason{Kind: name, Role: role, ResourceType: store.ResourceType(origin), ResourceID: text, GroupID: reason, GroupName: name, Origin: origin, Inherited: flags&4 != 0}, text}}
		}
		if flags&2 != 0 {
			c.Error = &errorJSON{int(flags), text}
		}
		d := decision{Decision: flags&8 != 0, Context: c}
		if got, want := appendDecision(nil, d), viaJSON(t, d); !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
}

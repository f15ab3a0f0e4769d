package authzen

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rosterhq/roster/internal/jsontext"
)

// fastSeeds are requests of the shapes PEPs send, and near misses the fast
// path must leave to encoding/json.
var fastSeeds = []string{
	`{"subject":{"type":"user","id":"u1"},"action":{"name":"view"},"resource":{"type":"folder","id":"f1"}}`,
	`{"subject": {"type": "user", "id": "alice@acmecorp.com", "properties": {"id_type": "email"}},
	  "action": {"name": "edit", "properties": {"method": "PUT"}},
	  "resource": {"type": "workspace", "id": "w1", "properties": {"a": [1, {"b": "}"}]}},
	  "context": {"time": "1985-10-26T01:22-07:00"}}`,
	`{"subject":{"type":"user","id":"u1"},"action":{"name":"view"},"evaluations":[{"resource":{"type":"workspace","id":"w1"}},{"resource":{"type":"folder","id":"f1"}}],"options":{"evaluations_semantic":"deny_on_first_deny"}}`,
	`{"evaluations":[]}`,
	`{}`,
	`{"Subject":{"type":"user","id":"u1"}}`,
	`{"subject":{"type":"user","id":"u1"},"subject":{"id":"u2"}}`,
	`{"subject":{"type":"us\u0065r","id":"u1"}}`,
	`{"subject":null}`,
	`{"subject":{"type":"user","id":1}}`,
	`{"context":{"a":"\"}"}}`,
	`{"context":{"a":}}`,
	`{"context":[]}`,
	`{"subject":{"type":"user"}} {}`,
	`{"subject":{"type":"user"},}`,
	`{"other":1}`,
}

// TestFastDecode checks that the fast path takes the common shapes: were
// it to give up on them, it would cost time and change nothing a test of
// answers could see.
func TestFastDecode(t *testing.T) {
	for _, body := range fastSeeds[:5] {
		var e evaluation
		var req evaluationsRequest
		if !fastDecode([]byte(body), &req, nil) {
			t.Errorf("fastDecode(%s) as a batch gave up", body)
		}
		if body != fastSeeds[2] && body != fastSeeds[3] && !fastDecode([]byte(body), &e, nil) {
			t.Errorf("fastDecode(%s) gave up", body)
		}
	}
}

// FuzzFastDecode checks that whatever the fast path accepts of a body that
// passes jsontext.Check, encoding/json decodes to the same value.
func FuzzFastDecode(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add(s)
	}
	var pool scratchPool // shared by the inputs, as by requests
	f.Fuzz(func(t *testing.T, body string) {
		if jsontext.Check([]byte(body)) != nil {
			return // refused before decoding, as decode does
		}
		var fast, slow evaluation
		if fastDecode([]byte(body), &fast, nil) {
			if err := json.Unmarshal([]byte(body), &slow); err != nil {
				t.Fatalf("fast path accepted %q, encoding/json refused it: %v", body, err)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("%q: fast %+v, encoding/json %+v", body, fast, slow)
			}
		}
		var fastB, slowB evaluationsRequest
		if fastDecode([]byte(body), &fastB, nil) {
			if err := json.Unmarshal([]byte(body), &slowB); err != nil {
				t.Fatalf("fast path accepted batch %q, encoding/json refused it: %v", body, err)
			}
			if !reflect.DeepEqual(fastB, slowB) {
				t.Fatalf("batch %q: fast %+v, encoding/json %+v", body, fastB, slowB)
			}
		}
		// With memory lent by a scratch that earlier inputs used: nothing
		// of theirs shows through.
		sc := pool.get()
		defer pool.put(sc)
		var fastS, slowS evaluationsRequest
		if fastDecode([]byte(body), &fastS, sc) {
			json.Unmarshal([]byte(body), &slowS)
			if !reflect.DeepEqual(fastS, slowS) {
				t.Fatalf("batch %q with a reused scratch: fast %+v, encoding/json %+v", body, fastS, slowS)
			}
		}
	})
}

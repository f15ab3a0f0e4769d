package schema

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary request bodies to Decode for both resource
// types. It checks that Decode never panics, that every failure is a
// *Error, that decoding is deterministic, and that a decoded resource
// survives Project and a JSON round trip unchanged.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `{"schemas":null}`,
		`{"schemas":["` + UserURN + `"],"userName":"a","emails":[{"value":"x","primary":"True"},{"primary":true}]}`,
		`{"schemas":["` + UserURN + `"],"userName":"a","` + EnterpriseUserURN + `:manager.value":"x"}`,
		`{"schemas":["` + GroupURN + `"],"displayName":"g","members":[{"value":"1"},{"VALUE":"2","Display":null}]}`,
		`{"schemas":["` + UserURN + `"],"userName":"a","userName":"b","USERNAME":"c"}`,
		`{"schemas":["urn:x"],"urn:x":{"a":[[[[]]]]}}`,
		`{"schemas":["` + UserURN + `"],"userName":"a\u0000b","emails":[{"value":"x","type":"WORK"}]}`,
		`{"schemas":["` + GroupURN + `"],"displayName":"g","members":[{"value":"1","type":"user","display":"A"},{"display":"B"}]}`,
	} {
		f.Add([]byte(s))
	}
	user, group := User(), Group()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, rt := range []*ResourceType{user, group} {
			res, err := rt.Decode(body)
			again, err2 := rt.Decode(body)
			if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) || !reflect.DeepEqual(res, again) {
				t.Fatalf("%s: Decode is not deterministic: %v / %v", rt.Name, err, err2)
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.ScimType == "" || e.Detail == "" {
					t.Fatalf("%s: Decode error %v (%T) is not a complete *Error", rt.Name, err, err)
				}
				continue
			}
			if _, err := rt.Project(res, nil, nil); err != nil {
				t.Fatalf("%s: Project of a decoded resource: %v", rt.Name, err)
			}
			b, err := json.Marshal(res)
			if err != nil {
				t.Fatalf("%s: Marshal of a decoded resource: %v", rt.Name, err)
			}
			round, err := rt.Decode(b)
			if err != nil {
				t.Fatalf("%s: decoding the encoded resource %s: %v", rt.Name, b, err)
			}
			if !reflect.DeepEqual(round, res) {
				t.Fatalf("%s: round trip changed the resource:\n%#v\n%#v", rt.Name, res, round)
			}
		}
	})
}

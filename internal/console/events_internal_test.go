package console

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestIDSample: the feed's reading of an event's id arrays keeps the
// first few, counts all, and refuses what is not an array of strings.
func TestIDSample(t *testing.T) {
	for _, c := range []struct {
		in    string
		first []string
		n     int
		bad   bool
	}{
		{`{"users":["a","b"]}`, []string{"a", "b"}, 2, false},
		{`{"users":[ "a" , "b\"c", "d", "e", "f" ]}`, []string{"a", `b"c`, "d"}, 5, false},
		{`{"users":[]}`, nil, 0, false},
		{`{"users":null}`, nil, 0, false},
		{`{}`, nil, 0, false},
		{`{"users":[1,2]}`, nil, 0, true},
		{`{"users":"a"}`, nil, 0, true},
	} {
		var d struct {
			Users idSample `json:"users"`
		}
		err := json.Unmarshal([]byte(c.in), &d)
		if (err != nil) != c.bad {
			t.Errorf("%s: err %v", c.in, err)
			continue
		}
		if !c.bad && (!slices.Equal(d.Users.First, c.first) || d.Users.N != c.n) {
			t.Errorf("%s = %q, %d; want %q, %d", c.in, d.Users.First, d.Users.N, c.first, c.n)
		}
	}
}

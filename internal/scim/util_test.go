package scim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
)

func jsonUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatal(err)
	}
}

// normalize renders JSON values with sorted keys for comparison.
func normalize(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		s := "{"
		for _, k := range keys {
			s += k + ":" + normalize(x[k]) + ","
		}
		return s + "}"
	case []any:
		s := "["
		for _, e := range x {
			s += normalize(e) + ","
		}
		return s + "]"
	}
	return fmt.Sprint(v)
}

package api

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/rosterhq/roster/internal/jsontext"
	"github.com/rosterhq/roster/internal/store"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}

// decode reads a JSON body into v, a pointer to a struct: every request
// body of the API is one JSON object. It is the one place bodies are
// decoded, so checks of the raw text belong here. Unknown fields are
// refused by name.
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err // the body limit's *http.MaxBytesError, answered 413
	}
	return jsontext.Decode(body, v, "the fields "+fieldNames(v), true)
}

// fieldNames lists the JSON fields a request struct accepts.
func fieldNames(v any) string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if n, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); n != "" && n != "-" {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

func resourceType(s string) (store.ResourceType, error) {
	rt := store.ResourceType(s)
	if !rt.Valid() {
		return "", invalid("resource_type must be %q or %q, not %q", store.ResourceWorkspace, store.ResourceFolder, s)
	}
	return rt, nil
}

func required(name, v string) error {
	if v == "" {
		return invalid("field %q is required", name)
	}
	return nil
}

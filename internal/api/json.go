package api

import (
	"bytes"
	"encoding/json"
	"errors"
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
	// encoding/json would silently turn invalid UTF-8 and lone surrogates
	// into U+FFFD, and PostgreSQL refuses NUL: refuse them all first.
	if err := jsontext.Check(body); err != nil {
		return invalid("%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if dec.More() {
			return invalid("the request body holds more than one JSON value")
		}
		return nil
	}
	var mbe *http.MaxBytesError
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return invalid("the request body is empty; send a JSON object with: %s", fieldNames(v))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return invalid("unknown field %s in the request body; accepted fields: %s", name, fieldNames(v))
	case errors.As(err, &ute) && ute.Field == "":
		return invalid("the request body must be a JSON object, not %s; send an object with: %s", ute.Value, fieldNames(v))
	case errors.As(err, &ute):
		return invalid("field %q must be a JSON %s, not %s", ute.Field, jsonKind(ute.Type), ute.Value)
	case errors.As(err, &se):
		return invalid("the request body is not valid JSON: %v (at byte %d)", se, se.Offset)
	}
	return invalid("the request body is not valid JSON: %v", err)
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "number"
	}
	return "object"
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

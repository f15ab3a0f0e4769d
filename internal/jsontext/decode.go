package jsontext

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/rosterhq/roster/internal/fault"
)

// Decode checks a request body (see Check) and decodes the one JSON object
// it holds into v, a pointer to a struct. expects says, for people, what
// the object should hold (`"subject", "action" and "resource"`); strict
// refuses fields v does not have, by name. Every refusal is a fault.Invalid
// whose message says what is wrong and what to send, so every JSON edge
// answers bad bodies in the same words.
func Decode(body []byte, v any, expects string, strict bool) error {
	if err := Check(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil {
		if _, err := dec.Token(); err != io.EOF {
			return fault.Invalidf("the request body holds more than one JSON value; send one object")
		}
		return nil
	}
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return fault.Invalidf("the request body is empty; send a JSON object with %s", expects)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fault.Invalidf("unknown field %s in the request body; send a JSON object with %s",
			strings.TrimPrefix(err.Error(), "json: unknown field "), expects)
	case errors.As(err, &ute) && ute.Field == "":
		return fault.Invalidf("the request body must be a JSON object with %s, not a JSON %s", expects, ute.Value)
	case errors.As(err, &ute):
		return fault.Invalidf("%q must be %s, not %s", ute.Field, kind(ute.Type.String()), ute.Value)
	case errors.As(err, &se):
		return fault.Invalidf("the request body is not valid JSON: %v (at byte %d)", se, se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.Invalidf("the request body is not valid JSON: it ends before the object does")
	}
	return fault.Invalidf("the request body is not valid JSON: %v", err)
}

// kind names the JSON values a Go type is decoded from.
func kind(goType string) string {
	goType = strings.TrimLeft(goType, "*")
	switch {
	case goType == "string":
		return "a JSON string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]") && goType != "[]uint8":
		return "a JSON array"
	}
	return "a JSON object"
}

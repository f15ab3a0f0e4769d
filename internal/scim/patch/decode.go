package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/scim/schema"
)

// MaxOperations is the largest number of operations Decode accepts in one
// request. It bounds the work one PATCH can cause; Okta and Entra ID send a
// handful of operations per request (a member list travels as the value of
// one operation, not as one operation per member).
const MaxOperations = 1000

// The operation names of RFC 7644 §3.5.2, in the canonical lower-case
// spelling that Operation.Op always holds.
const (
	OpAdd     = "add"
	OpReplace = "replace"
	OpRemove  = "remove"
)

// Operation is one PATCH operation (RFC 7644 §3.5.2), as returned by Decode.
type Operation struct {
	// Op is "add", "replace" or "remove" (OpAdd, OpReplace, OpRemove),
	// always lower-case whatever the client sent.
	Op string
	// Path is the target path as sent, without surrounding whitespace, or
	// "" when the operation has none.
	Path string
	// Value is the decoded JSON value (numbers as json.Number), or nil when
	// absent or null.
	Value any
}

// Decode parses a PatchOp request body (RFC 7644 §3.5.2) into its
// operations, checking everything that can be checked without the
// resource: the body is one JSON object; "schemas" lists
// urn:ietf:params:scim:api:messages:2.0:PatchOp; "Operations" is an array
// of 1 to MaxOperations objects; each has an "op" that is add, replace or
// remove; add and replace have a "value", which must be an object when
// there is no "path"; remove has a "path"; and every path is syntactically
// valid.
//
// Member names ("schemas", "Operations", "op", "path", "value") and op
// values are matched case-insensitively: Microsoft Entra ID sends "Add",
// "Replace" and "Remove", and Microsoft asks service providers not to match
// structural elements case-sensitively. Other members are ignored. A
// remove may carry a value: Entra ID sends one when removing group members
// (see the package documentation).
//
// Errors are *schema.Error: invalidSyntax for a malformed message,
// invalidValue for a missing value or too many operations, invalidPath for
// a malformed path and noTarget for a remove without a path.
func Decode(body []byte) ([]Operation, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errorf(schema.ScimTypeInvalidSyntax, "the request body is empty; send a PatchOp message (RFC 7644 §3.5.2)")
		}
		return nil, errorf(schema.ScimTypeInvalidSyntax, "the request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errorf(schema.ScimTypeInvalidSyntax, "the request body has data after the JSON object; send exactly one PatchOp message")
	}
	msg, ok := v.(map[string]any)
	if !ok {
		return nil, errorf(schema.ScimTypeInvalidSyntax, "the request body must be a JSON object with \"schemas\" and \"Operations\", got %s", jsonKind(v))
	}
	if err := checkMessageSchemas(msg); err != nil {
		return nil, err
	}
	key, err := foldKey(msg, "Operations", "the request")
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, errorf(schema.ScimTypeInvalidSyntax, "the request has no \"Operations\" array; RFC 7644 §3.5.2 requires one or more operations")
	}
	list, ok := msg[key].([]any)
	switch {
	case !ok:
		return nil, errorf(schema.ScimTypeInvalidSyntax, "\"Operations\" must be an array of operations, got %s", jsonKind(msg[key]))
	case len(list) == 0:
		return nil, errorf(schema.ScimTypeInvalidSyntax, "\"Operations\" is empty; RFC 7644 §3.5.2 requires one or more operations")
	case len(list) > MaxOperations:
		return nil, errorf(schema.ScimTypeInvalidValue, "\"Operations\" has %d operations; this server accepts at most %d per request, so split the change into several requests", len(list), MaxOperations)
	}
	ops := make([]Operation, 0, len(list))
	for i, raw := range list {
		op, err := decodeOperation(raw)
		if err != nil {
			var se *schema.Error
			if errors.As(err, &se) {
				c := se.WithScimType(se.ScimType)
				c.Detail = fmt.Sprintf("operation %d: %s", i+1, c.Detail)
				return nil, c
			}
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// checkMessageSchemas checks that "schemas" lists the PatchOp URN.
func checkMessageSchemas(msg map[string]any) error {
	key, err := foldKey(msg, "schemas", "the request")
	if err != nil {
		return err
	}
	if key == "" {
		return errorf(schema.ScimTypeInvalidSyntax, "the request has no \"schemas\"; send \"schemas\": [%q]", schema.PatchOpURN)
	}
	list, ok := msg[key].([]any)
	if ok && slices.ContainsFunc(list, func(e any) bool {
		s, ok := e.(string)
		return ok && strings.EqualFold(s, schema.PatchOpURN)
	}) {
		return nil
	}
	return errorf(schema.ScimTypeInvalidSyntax, "\"schemas\" must be an array containing %q, got %s", schema.PatchOpURN, jsonKind(msg[key]))
}

// decodeOperation validates one element of "Operations".
func decodeOperation(raw any) (Operation, error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return Operation{}, errorf(schema.ScimTypeInvalidSyntax, "an operation must be an object with \"op\", \"path\" and \"value\", got %s", jsonKind(raw))
	}
	var keys [3]string
	for i, name := range [...]string{"op", "path", "value"} {
		k, err := foldKey(obj, name, "the operation")
		if err != nil {
			return Operation{}, err
		}
		keys[i] = k
	}
	opKey, pathKey, valueKey := keys[0], keys[1], keys[2]

	var op Operation
	name, ok := obj[opKey].(string)
	if opKey == "" || !ok {
		return Operation{}, errorf(schema.ScimTypeInvalidSyntax, "the operation needs an \"op\" of \"add\", \"replace\" or \"remove\"")
	}
	op.Op = strings.ToLower(strings.TrimSpace(name))
	if op.Op != OpAdd && op.Op != OpReplace && op.Op != OpRemove {
		return Operation{}, errorf(schema.ScimTypeInvalidSyntax, "unknown \"op\" %q; use \"add\", \"replace\" or \"remove\"", clip(name))
	}

	if pathKey != "" && obj[pathKey] != nil {
		p, ok := obj[pathKey].(string)
		if !ok {
			return Operation{}, errorf(schema.ScimTypeInvalidPath, "\"path\" must be a string such as \"name.givenName\", got %s", jsonKind(obj[pathKey]))
		}
		op.Path = strings.TrimSpace(p)
	}
	if op.Path != "" {
		if _, err := filter.ParsePath(op.Path); err != nil {
			return Operation{}, pathError(err)
		}
	}
	if valueKey != "" {
		op.Value = obj[valueKey]
	}

	switch op.Op {
	case OpRemove:
		if op.Path == "" {
			return Operation{}, errorf(schema.ScimTypeNoTarget, "\"remove\" needs a \"path\" naming what to remove (RFC 7644 §3.5.2.2)")
		}
	default:
		if valueKey == "" {
			return Operation{}, errorf(schema.ScimTypeInvalidValue, "%q needs a \"value\" (RFC 7644 §3.5.2)", op.Op)
		}
		if op.Path == "" {
			if _, ok := op.Value.(map[string]any); !ok {
				return Operation{}, errorf(schema.ScimTypeInvalidValue, "%q without a \"path\" needs a \"value\" object holding the attributes to change, got %s", op.Op, jsonKind(op.Value))
			}
		}
	}
	return op, nil
}

// foldKey returns the key of m equal to name ignoring case, "" when there
// is none, and an invalidSyntax error when there are several.
func foldKey(m map[string]any, name, where string) (string, error) {
	found := ""
	for k := range m {
		if !strings.EqualFold(k, name) {
			continue
		}
		if found != "" {
			a, b := min(found, k), max(found, k)
			return "", errorf(schema.ScimTypeInvalidSyntax, "%s has %q twice (as %q and %q); member names are case-insensitive", where, name, a, b)
		}
		found = k
	}
	return found, nil
}

// jsonKind names the JSON type of a decoded value for error messages,
// without echoing the value (it may be a password).
func jsonKind(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, int, int64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("a value of Go type %T", t)
	}
}

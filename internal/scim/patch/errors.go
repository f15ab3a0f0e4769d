package patch

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/scim/schema"
)

// errorf returns a *schema.Error with the given keyword and a formatted
// detail. Every client error of this package is a *schema.Error, so the
// HTTP layer can answer 400 with its ScimType and Detail (RFC 7644 §3.12).
func errorf(scimType, format string, args ...any) *schema.Error {
	return &schema.Error{ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// relabel returns err as a *schema.Error with scimType, keeping its detail
// and sentinel. Errors that are not *schema.Error (which this package
// never produces for client input) get scimType and their message.
func relabel(err error, scimType string) *schema.Error {
	var se *schema.Error
	if errors.As(err, &se) {
		return se.WithScimType(scimType)
	}
	return &schema.Error{ScimType: scimType, Detail: err.Error()}
}

// inOperation prefixes the detail of err with the operation it belongs to,
// such as `operation 2 ("replace" "emails[type eq \"work\"].value")`, so
// that the person reading a 400 knows which of the operations failed.
// The scimType and the wrapped sentinel are kept.
func inOperation(err error, i int, op Operation) error {
	var se *schema.Error
	if !errors.As(err, &se) {
		return err
	}
	c := se.WithScimType(se.ScimType)
	where := fmt.Sprintf("operation %d (%q", i+1, op.Op)
	if op.Path != "" {
		where += " " + strconv.Quote(clip(op.Path))
	}
	c.Detail = where + "): " + c.Detail
	return c
}

// pathError maps a ParsePath error to invalidPath: RFC 7644 §3.12 defines
// invalidPath as "the path attribute was invalid or malformed", which
// covers the bracketed filter of a path as well.
func pathError(err error) *schema.Error {
	var fe *filter.Error
	if errors.As(err, &fe) {
		return errorf(schema.ScimTypeInvalidPath, "%s", fe.Error())
	}
	return relabel(err, schema.ScimTypeInvalidPath)
}

// clip shortens s for an error message.
func clip(s string) string {
	const limit = 120
	if len(s) <= limit {
		return s
	}
	end := limit
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + "..."
}

package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultLimit is the page size when ?limit= is not given.
const DefaultLimit = 100

// cursorTag starts every cursor this API hands out, so that a value it did
// not hand out ("garbage" is valid base64) is refused instead of paging
// from a meaningless position.
const cursorTag = "c1."

// limitOf reads ?limit=.
func limitOf(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return 0, invalid("limit must be a whole number from 1 to 1000, not %q", s)
	}
	return n, nil
}

// page reads ?limit= and ?after=, a cursor: opaque to clients, the "next"
// value of the previous page.
func page(r *http.Request) (after string, limit int, err error) {
	if limit, err = limitOf(r); err != nil {
		return "", 0, err
	}
	s := r.URL.Query().Get("after")
	if s == "" {
		return "", limit, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	c, tagged := strings.CutPrefix(string(b), cursorTag)
	if err != nil || !tagged || !utf8.ValidString(c) {
		return "", 0, invalid("after %q is not a cursor this API returned: pass the \"next\" value of the previous page", s)
	}
	return c, limit, nil
}

// cursor returns the opaque form of a position.
func cursor(c string) string { return base64.RawURLEncoding.EncodeToString([]byte(cursorTag + c)) }

// list writes a page: items and, when more exist, the cursor of the next.
func list[T any](w http.ResponseWriter, items []T, more bool, next func(T) string) error {
	return listWith(w, nil, items, more, next)
}

// listWith writes a page with more fields beside items and next.
func listWith[T any](w http.ResponseWriter, fields map[string]any, items []T, more bool, next func(T) string) error {
	body := map[string]any{"items": items}
	for k, v := range fields {
		body[k] = v
	}
	if items == nil {
		body["items"] = []T{}
	}
	if more && len(items) > 0 {
		body["next"] = cursor(next(items[len(items)-1]))
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// fetchPage asks for one more than limit to learn whether more exist.
func fetchPage[T any](items []T, err error, limit int) ([]T, bool, error) {
	if err != nil {
		return nil, false, err
	}
	if len(items) > limit {
		return items[:limit], true, nil
	}
	return items, false, nil
}

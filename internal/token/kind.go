package token

import (
	"strings"

	"github.com/rosterhq/roster/internal/store"
)

// kinds are every kind of bearer credential roster issues, by prefix.
var kinds = []store.TokenKind{store.TokenSCIM, store.TokenAPI, store.TokenAdmin}

// KindOf tells from its prefix which kind of roster credential text claims
// to be, without checking it; ok is false for text of no roster kind. Edges
// use it to tell a caller who sent the wrong kind of credential which one
// the surface takes.
func KindOf(text string) (kind store.TokenKind, ok bool) {
	for _, k := range kinds {
		if strings.HasPrefix(text, prefix(k)) {
			return k, true
		}
	}
	return "", false
}

package access

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

// TestIndexKnowsEveryEventTypeTheStoreWrites reads the store's source for
// the event types it writes (t.emit("type", …)) and applies one of each to
// an index: none may be unknown to it, or every occurrence would rebuild
// the organization's index from a snapshot — seconds at 100,000 users. A
// new event type fails here until the index applies it or lists it as
// unread.
func TestIndexKnowsEveryEventTypeTheStoreWrites(t *testing.T) {
	files, err := filepath.Glob("../store/sqlstore/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("store sources: %v (%d files)", err, len(files))
	}
	// Written through a variable: the deletion of a group with joined
	// members names one of the two (sqlstore/groups.go).
	types := map[string]bool{"member.removed": true, "member.origin_removed": true}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "emit" {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				typ, _ := strconv.Unquote(lit.Value)
				types[typ] = true
			}
			return true
		})
	}
	if len(types) < 40 {
		t.Fatalf("found %d event types in the store's source; the scan is broken", len(types))
	}
	for typ := range types {
		x := newIndex()
		err := x.apply(store.Event{Seq: 1, Type: typ, SubjectID: "id", Data: []byte(`{}`)})
		if re, ok := err.(errReload); ok && strings.HasPrefix(re.reason, "event type ") {
			t.Errorf("the store writes %q, which the access index does not know: apply it, or list it in unread", typ)
		}
	}
}

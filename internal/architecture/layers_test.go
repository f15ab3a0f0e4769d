package architecture

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/rosterhq/roster/"

// layer says what a package is. Every package of the module must be in
// this table, so a new package is placed on purpose.
var layer = map[string]string{
	"cmd/roster":       "edge",
	"cmd/rosterload":   "tool", // drives a server from outside, and seeds a database for benchmarks
	"internal/api":     "edge",
	"internal/scim":    "edge",
	"internal/auth":    "edge", // the edges' credential seam; it asks the token service
	"internal/console": "edge",
	"internal/authzen": "edge",
	"internal/signin":  "edge",

	"internal/scim/filter": "protocol", // SCIM's grammar and schema: no store, no domain
	"internal/scim/patch":  "protocol",
	"internal/scim/schema": "protocol",
	"internal/sso/saml":    "protocol",
	"internal/server":      "protocol", // HTTP plumbing every edge is mounted on
	"internal/ratelimit":   "protocol", // token buckets; the seam (internal/auth) decides whose

	"internal/access":    "domain",
	"internal/directory": "domain",
	"internal/token":     "domain",
	"internal/sso":       "domain",
	"internal/events":    "domain",
	"internal/retention": "domain",
	"internal/reqlog":    "domain",

	"internal/store":           "store",
	"internal/store/sqlstore":  "store",
	"internal/store/sqlite":    "store",
	"internal/store/postgres":  "store",
	"internal/fault":           "vocabulary",
	"internal/jsontext":        "protocol",
	"internal/requestid":       "vocabulary",
	"internal/ttlcache":        "vocabulary",
	"internal/architecture":    "test",
	"internal/store/storetest": "test",

	"internal/store/postgres/pgtest":   "test",
	"internal/ratelimit/ratelimittest": "test",
	"internal/sso/saml/samltest":       "test",
}

// composition lists the files that open the database and hand it to the
// domain services: the only edge files that may name an engine.
var composition = map[string]bool{
	"cmd/roster/db.go":        true,
	"cmd/roster/surfaces.go":  true,
	"cmd/roster/serve.go":     true,
	"cmd/roster/migrate.go":   true,
	"cmd/roster/backup.go":    true,
	"cmd/roster/retention.go": true,
}

func TestEveryPackageHasALayer(t *testing.T) {
	for _, pkg := range modulePackages(t) {
		if _, ok := layer[pkg]; !ok {
			t.Errorf("package %s is in no layer: add it to the table in layers_test.go and to docs/design.md", pkg)
		}
	}
}

func TestDataFlowsOneWay(t *testing.T) {
	root := moduleRoot(t)
	interfaces := storeInterfaces(t, filepath.Join(root, "internal/store"))
	for _, pkg := range modulePackages(t) {
		kind := layer[pkg]
		files, err := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			rel, _ := filepath.Rel(root, path)
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			storeName := ""
			for _, imp := range f.Imports {
				p := strings.Trim(imp.Path.Value, `"`)
				dep, ours := strings.CutPrefix(p, module)
				if !ours {
					continue
				}
				switch {
				case kind == "domain" && layer[dep] == "edge":
					t.Errorf("%s: domain package imports edge %s; the flow is edge → domain → store", rel, dep)
				case (kind == "edge" || kind == "protocol") && layer[dep] == "store" && dep != "internal/store" && !composition[rel]:
					t.Errorf("%s: edge imports the engine %s; only cmd/roster's composition files open the database", rel, dep)
				case kind == "protocol" && (layer[dep] == "domain" || layer[dep] == "edge"):
					t.Errorf("%s: protocol package imports %s; it must stay independent of roster's services", rel, dep)
				}
				if dep == "internal/store" {
					storeName = "store"
					if imp.Name != nil {
						storeName = imp.Name.Name
					}
				}
			}
			if kind != "edge" {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == storeName && interfaces[sel.Sel.Name] {
					t.Errorf("%s: edge names store.%s, a store interface: call a domain service instead", rel, sel.Sel.Name)
				}
				// The composition files hand the store to the services; nothing
				// else may reach it through them.
				if sel.Sel.Name == "Store" && !composition[rel] {
					if _, isPkg := sel.X.(*ast.Ident); !isPkg || sel.X.(*ast.Ident).Name != storeName {
						t.Errorf("%s: edge reaches into a service's store (%s): call the service's methods", rel, render(sel))
					}
				}
				return true
			})
		}
	}
}

// storeInterfaces returns the persistence interfaces package store
// declares.
func storeInterfaces(t *testing.T, dir string) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	out := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range g.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok {
					// Store, UserStore, …: the persistence contract. Other
					// interfaces (a query's Cond) are vocabulary.
					if _, ok := ts.Type.(*ast.InterfaceType); ok && strings.HasSuffix(ts.Name.Name, "Store") {
						out[ts.Name.Name] = true
					}
				}
			}
		}
	}
	if !out["Store"] {
		t.Fatal("found no store.Store interface: has package store moved?")
	}
	return out
}

func render(sel *ast.SelectorExpr) string {
	if id, ok := sel.X.(*ast.Ident); ok {
		return id.Name + "." + sel.Sel.Name
	}
	if inner, ok := sel.X.(*ast.SelectorExpr); ok {
		return render(inner) + "." + sel.Sel.Name
	}
	return "…." + sel.Sel.Name
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(dir))
}

func modulePackages(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-f", "{{.ImportPath}}", "./...")
	cmd.Dir = moduleRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []string
	if len(strings.Fields(string(out))) < 10 {
		t.Fatalf("go list found only %q: not run from the module?", out)
	}
	for _, line := range strings.Fields(string(out)) {
		if p, ok := strings.CutPrefix(line, module); ok {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs
}

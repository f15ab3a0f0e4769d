package scim_test

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/scim/schema"
)

type schemaResolver struct{ rt *schema.ResourceType }

func (r schemaResolver) Resolve(p filter.AttrPath) (filter.AttrInfo, error) {
	a, _, err := r.rt.Lookup(p.URN, p.Name, p.Sub)
	if err != nil {
		return filter.AttrInfo{}, err
	}
	return filter.AttrInfo{Type: string(a.Type), MultiValued: a.MultiValued, CaseExact: a.CaseExact}, nil
}

// TestFilterMatchesEvaluator compiles filters to SQL and checks, on random
// users, that the database returns exactly the users the in-memory
// evaluator of RFC 7644 §3.4.2.2 accepts: every grammar rule, case
// sensitivity per attribute, multi-valued and value-path semantics.
func TestFilterMatchesEvaluator(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		rng := rand.New(rand.NewPCG(7, 11))
		pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
		var groups []string
		for _, g := range []string{"Sales", "sales-emea", "Ops"} {
			groups = append(groups, e.createGroup(g))
		}
		for i := 0; i < 60; i++ {
			u := map[string]any{"active": rng.IntN(4) != 0}
			if rng.IntN(3) != 0 {
				u["displayName"] = pick("Ann Smith", "ann smith", "Bob", "Björn Ångström", "Zoë", "Carl")
			}
			if rng.IntN(2) == 0 {
				u["externalId"] = pick("E1", "e1", "E2", "00u1")
			}
			if rng.IntN(2) == 0 {
				u["title"] = pick("Tour Guide", "tour operator", "Engineer", "CEO")
			}
			if rng.IntN(2) == 0 {
				u["name"] = map[string]any{"givenName": pick("Ann", "ANN", "Bob"), "familyName": pick("Jensen", "Smith")}
			}
			var emails []any
			for j := 0; j < rng.IntN(3); j++ {
				emails = append(emails, map[string]any{"type": pick("work", "home", "Work"),
					"value": pick("a", "b", "c") + fmt.Sprint(i) + "@" + pick("example.com", "Example.COM", "corp.org")})
			}
			if len(emails) > 0 {
				emails[0].(map[string]any)["primary"] = true
				u["emails"] = emails
			}
			if rng.IntN(2) == 0 {
				u[entURN] = map[string]any{"department": pick("Sales", "R&D"), "employeeNumber": fmt.Sprint(rng.IntN(5))}
				u["schemas"] = []string{userURN, entURN}
			}
			id := e.createUser(fmt.Sprintf("%s%02d@Example.com", pick("user", "User", "admin"), i), u)
			if rng.IntN(2) == 0 {
				g := groups[rng.IntN(len(groups))]
				e.do("PATCH", "/scim/v2/Groups/"+g, map[string]any{"schemas": []string{patchURN},
					"Operations": []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}}}}).must(t, 204)
			}
		}
		all := e.do("GET", "/scim/v2/Users?count=1000", nil).must(t, 200)
		resources := all.body["Resources"].([]any)
		mid := resources[len(resources)/2].(map[string]any)
		midID := mid["id"].(string)
		midModified := mid["meta"].(map[string]any)["lastModified"].(string)

		atoms := []string{
			`userName eq "USER01@example.com"`, `userName sw "user"`, `userName ew ".COM"`, `userName co "min0"`,
			`userName gt "u"`, `userName le "admin30@example.com"`, `userName ne "user00@Example.com"`,
			`displayName eq "ann smith"`, `displayName pr`, `displayName co "ö"`, `displayName ge "Bob"`,
			`externalId eq "E1"`, `externalId eq "e1"`, `externalId pr`, `externalId ne "E2"`,
			`title sw "tour"`, `title pr`, `title eq null`, `title ne null`, `title lt "F"`,
			`active eq true`, `active eq false`, `active ne true`, `active pr`,
			`name.givenName eq "ann"`, `name pr`, `name.familyName ne "Smith"`,
			`emails pr`, `emails.type eq "work"`, `emails co "corp"`, `emails.value ew "example.com"`,
			`emails[type eq "work" and value co "example.com"]`, `emails[not (type eq "work")]`,
			`emails[type eq "home" or primary eq true]`, `emails[primary eq true]`,
			`emails[type eq "work"].value co "corp"`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales"`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt "2"`,
			`groups.display eq "SALES"`, `groups pr`, `groups[value eq "` + groups[2] + `"]`, `groups.value eq "` + groups[0] + `"`,
			`id eq "` + midID + `"`, `id gt "` + midID + `"`, `meta.lastModified gt "` + midModified + `"`,
			`meta.lastModified le "` + midModified + `"`, `meta.created pr`,
			`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "ADMIN"`,
		}
		fixed := []string{
			`title pr and userType eq "Employee"`,
			`userName sw "user" or displayName eq "bob" and active eq false`,
			`(userName sw "user" or displayName eq "bob") and active eq false`,
			`not (emails co "example.com" or emails.value co "corp.org")`,
			`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
			`USERNAME EQ "user01@example.com" OR TITLE PR`,
		}
		filters := append(slices.Clone(atoms), fixed...)
		var gen func(depth int) string
		gen = func(depth int) string {
			if depth == 0 || rng.IntN(3) == 0 {
				return atoms[rng.IntN(len(atoms))]
			}
			switch rng.IntN(3) {
			case 0:
				return gen(depth-1) + " and " + gen(depth-1)
			case 1:
				return "(" + gen(depth-1) + " or " + gen(depth-1) + ")"
			}
			return "not (" + gen(depth-1) + ")"
		}
		for i := 0; i < 150; i++ {
			filters = append(filters, gen(3))
		}
		r := schemaResolver{schema.User()}
		for _, f := range filters {
			expr, err := filter.Parse(f)
			if err != nil {
				t.Fatalf("parse %q: %v", f, err)
			}
			var want []string
			for _, res := range resources {
				ok, err := filter.Match(expr, res.(map[string]any), r)
				if err != nil {
					t.Fatalf("match %q: %v", f, err)
				}
				if ok {
					want = append(want, res.(map[string]any)["id"].(string))
				}
			}
			got := e.do("GET", "/scim/v2/Users?count=1000&attributes=id&filter="+url.QueryEscape(f), nil)
			if got.code != 200 {
				t.Errorf("filter %q: %d %s", f, got.code, got.raw)
				continue
			}
			var ids []string
			for _, res := range got.body["Resources"].([]any) {
				ids = append(ids, res.(map[string]any)["id"].(string))
			}
			sort.Strings(ids)
			sort.Strings(want)
			if strings.Join(ids, ",") != strings.Join(want, ",") {
				t.Errorf("filter %q: SQL returned %d users, evaluator %d", f, len(ids), len(want))
			}
			if fmt.Sprint(got.body["totalResults"]) != fmt.Sprint(len(want)) {
				t.Errorf("filter %q: totalResults %v, want %d", f, got.body["totalResults"], len(want))
			}
		}
	})
}

package filter

import (
	"errors"
	"fmt"
	"strings"
)

// Constructors keep expected trees in tables short.

func attr(name string) AttrPath         { return AttrPath{Name: name} }
func subAttr(name, sub string) AttrPath { return AttrPath{Name: name, Sub: sub} }
func urnAttr(urn, name, sub string) AttrPath {
	return AttrPath{URN: urn, Name: name, Sub: sub}
}
func str(s string) Value    { return Value{Kind: KindString, Str: s} }
func number(s string) Value { return Value{Kind: KindNumber, Str: s} }
func boolean(b bool) Value  { return Value{Kind: KindBool, Bool: b} }
func null() Value           { return Value{Kind: KindNull} }
func cmpx(p AttrPath, op Op, v Value) *Compare {
	return &Compare{Path: p, Op: op, Value: v}
}
func and(l, r Expr) *And               { return &And{Left: l, Right: r} }
func or(l, r Expr) *Or                 { return &Or{Left: l, Right: r} }
func not(e Expr) *Not                  { return &Not{Expr: e} }
func pr(p AttrPath) *Present           { return &Present{Path: p} }
func vp(p AttrPath, f Expr) *ValuePath { return &ValuePath{Path: p, Filter: f} }

const (
	coreUserURN   = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// errUnknown is what testSchema returns for attributes it does not know.
var errUnknown = errors.New("no such attribute in the User schema")

// testSchema is a Resolver for a cut-down RFC 7643 User (plus a few
// attributes of other types) and the enterprise extension. Keys are
// lower-case "name" or "name.sub".
type testSchema struct {
	core, enterprise map[string]AttrInfo
}

func newTestSchema() testSchema {
	s := AttrInfo{Type: "string"}
	sx := AttrInfo{Type: "string", CaseExact: true}
	cmv := AttrInfo{Type: "complex", MultiValued: true}
	return testSchema{
		core: map[string]AttrInfo{
			"id":                      sx,
			"externalid":              sx,
			"username":                s,
			"displayname":             s,
			"title":                   s,
			"usertype":                s,
			"locale":                  s,
			"active":                  {Type: "boolean"},
			"logincount":              {Type: "integer"},
			"score":                   {Type: "decimal"},
			"photo":                   {Type: "binary"},
			"profileurl":              {Type: "reference"},
			"nicknames":               {Type: "string", MultiValued: true},
			"schemas":                 {Type: "reference", MultiValued: true, CaseExact: true},
			"name":                    {Type: "complex"},
			"name.familyname":         s,
			"name.givenname":          s,
			"name.formatted":          s,
			"emails":                  cmv,
			"emails.value":            s,
			"emails.type":             s,
			"emails.display":          s,
			"emails.primary":          {Type: "boolean"},
			"ims":                     cmv,
			"ims.value":               s,
			"ims.type":                s,
			"members":                 cmv,
			"members.value":           sx,
			"members.display":         s,
			"members.$ref":            {Type: "reference"},
			"addresses":               cmv,
			"addresses.type":          s,
			"addresses.streetaddress": s,
			"addresses.locality":      s,
			"addresses.primary":       {Type: "boolean"},
			"x509certificates":        cmv,
			"x509certificates.value":  {Type: "binary"},
			"meta":                    {Type: "complex"},
			"meta.created":            {Type: "dateTime"},
			"meta.lastmodified":       {Type: "dateTime"},
			"meta.resourcetype":       s,
			"meta.version":            sx,
		},
		enterprise: map[string]AttrInfo{
			"employeenumber":      s,
			"costcenter":          s,
			"organization":        s,
			"division":            s,
			"department":          s,
			"manager":             {Type: "complex"},
			"manager.value":       s,
			"manager.$ref":        {Type: "reference"},
			"manager.displayname": s,
		},
	}
}

func (t testSchema) Resolve(p AttrPath) (AttrInfo, error) {
	var table map[string]AttrInfo
	switch {
	case p.URN == "" || strings.EqualFold(p.URN, coreUserURN):
		table = t.core
	case strings.EqualFold(p.URN, enterpriseURN):
		table = t.enterprise
	default:
		return AttrInfo{}, fmt.Errorf("unknown schema %q", p.URN)
	}
	key := strings.ToLower(p.Name)
	if p.Sub != "" {
		key += "." + strings.ToLower(p.Sub)
	}
	info, ok := table[key]
	if !ok {
		return AttrInfo{}, errUnknown
	}
	return info, nil
}

package sqlstore

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// column is a field stored in a column of the resource's own table.
type column struct {
	col  string // SQL expression
	fold string // folded twin for case-insensitive comparison, "" if none
	kind byte   // 's' text, 'b' bool, 't' time
}

// relation is a multi-valued field stored as rows of another table.
type relation struct {
	from string            // FROM clause for the element rows, alias m
	key  string            // the column of m holding the outer row's id
	subs map[string]column // sub-attribute columns of an element
}

// resource describes how one resource type is stored.
type resource struct {
	table, alias string
	columns      map[string]column // keyed by "attr" or "attr.sub"
	relations    map[string]relation
	values       bool // other attributes live in user_values
	// counter is the column of orgs that holds how many of the resource
	// the organization has: the total of a query without a filter.
	counter string
}

var usersResource = resource{
	table: "users", alias: "u",
	columns: map[string]column{
		"id":                {col: "u.id", kind: 's'},
		"username":          {col: "u.user_name", fold: "u.user_name_key", kind: 's'},
		"externalid":        {col: "u.external_id", kind: 's'},
		"displayname":       {col: "u.display_name", fold: "u.display_name_key", kind: 's'},
		"active":            {col: "u.active", kind: 'b'},
		"meta.created":      {col: "u.created_at", kind: 't'},
		"meta.lastmodified": {col: "u.updated_at", kind: 't'},
	},
	relations: map[string]relation{
		"groups": {
			from: "group_members m JOIN groups mg ON mg.org_id = m.org_id AND mg.id = m.group_id",
			key:  "m.user_id",
			subs: map[string]column{
				"value":   {col: "m.group_id", kind: 's'},
				"display": {col: "mg.display_name", fold: "mg.display_name_key", kind: 's'},
				"type":    {col: "'direct'", kind: 's'},
			},
		},
	},
	values:  true,
	counter: "user_count",
}

var groupsResource = resource{
	table: "groups", alias: "g", counter: "group_count",
	columns: map[string]column{
		"id":                {col: "g.id", kind: 's'},
		"displayname":       {col: "g.display_name", fold: "g.display_name_key", kind: 's'},
		"externalid":        {col: "g.external_id", kind: 's'},
		"meta.created":      {col: "g.created_at", kind: 't'},
		"meta.lastmodified": {col: "g.updated_at", kind: 't'},
	},
	relations: map[string]relation{
		"members": {
			from: "group_members m JOIN users mu ON mu.org_id = m.org_id AND mu.id = m.user_id",
			key:  "m.group_id",
			subs: map[string]column{
				"value":   {col: "m.user_id", kind: 's'},
				"display": {col: "COALESCE(mu.display_name, mu.user_name)", kind: 's'},
				"type":    {col: "'User'", kind: 's'},
			},
		},
	},
}

// compiler turns a store.Cond into a SQL predicate and its arguments.
type compiler struct {
	s    *DB
	res  *resource
	args []any
	n    int    // alias counter
	org  string // placeholder of the organization id
}

func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

func (c *compiler) alias(p string) string {
	c.n++
	return p + strconv.Itoa(c.n)
}

// elem is the element in scope inside a store.Elem.
type elem struct {
	attr  string
	rel   *relation // element of a relation: its columns are in scope
	alias string    // element of user_values: alias of one of its rows
}

func (c *compiler) cond(x store.Cond, e *elem) (string, error) {
	switch x := x.(type) {
	case store.And:
		return c.binary(x.L, x.R, "AND", e)
	case store.Or:
		return c.binary(x.L, x.R, "OR", e)
	case store.Not:
		in, err := c.cond(x.C, e)
		if err != nil {
			return "", err
		}
		return "NOT (" + in + ")", nil
	case store.Cmp:
		if x.Op == store.OpNe {
			// Ne is the negation of Eq: true when no value equals, which
			// includes an absent value.
			x.Op = store.OpEq
			in, err := c.field(x.Field, e, true, func(col column) (string, error) { return c.compare(col, x) })
			if err != nil {
				return "", err
			}
			return "NOT (" + in + ")", nil
		}
		return c.field(x.Field, e, true, func(col column) (string, error) { return c.compare(col, x) })
	case store.Present:
		return c.field(x.Field, e, false, func(col column) (string, error) {
			switch col.kind {
			case 's':
				return fmt.Sprintf("(%s IS NOT NULL AND %s <> '')", col.col, col.col), nil
			default:
				return fmt.Sprintf("%s IS NOT NULL", col.col), nil
			}
		})
	case store.Elem:
		if e != nil {
			return "", store.Invalidf("nested value filter on %q", x.Attr)
		}
		return c.elem(x)
	case nil:
		return "", store.Invalidf("empty condition")
	default:
		return "", store.Invalidf("unknown condition %T", x)
	}
}

func (c *compiler) binary(l, r store.Cond, op string, e *elem) (string, error) {
	a, err := c.cond(l, e)
	if err != nil {
		return "", err
	}
	b, err := c.cond(r, e)
	if err != nil {
		return "", err
	}
	return "(" + a + " " + op + " " + b + ")", nil
}

// field resolves f and returns pred applied to it, wrapped in the EXISTS
// that reaches a multi-valued store when needed.
func (c *compiler) field(f store.Field, e *elem, leaf bool, pred func(column) (string, error)) (string, error) {
	key := f.Attr
	if f.Sub != "" {
		key += "." + f.Sub
	}
	if e != nil {
		if f.Attr != e.attr {
			return "", store.Invalidf("attribute %q inside a value filter on %q", f.Attr, e.attr)
		}
		if e.rel != nil {
			col, ok := e.rel.subs[f.Sub]
			if !ok {
				return "", store.Invalidf("unknown sub-attribute %q of %q", f.Sub, f.Attr)
			}
			return pred(col)
		}
		v := c.alias("v")
		p, err := pred(column{col: v + ".str", fold: v + ".fold", kind: 's'})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("EXISTS (SELECT 1 FROM user_values %[1]s WHERE %[1]s.org_id = %[2]s.org_id AND %[1]s.user_id = %[2]s.user_id AND %[1]s.attr = %[2]s.attr AND %[1]s.elem = %[2]s.elem AND %[1]s.sub = %[3]s AND %[4]s)",
			v, e.alias, c.arg(f.Sub), p), nil
	}
	if col, ok := c.res.columns[key]; ok {
		p, err := pred(col)
		if err != nil || col.kind != 's' {
			return p, err
		}
		// Null-safe, so that NOT around it is true for an absent value.
		return fmt.Sprintf("(%s IS NOT NULL AND %s)", col.col, p), nil
	}
	if rel, ok := c.res.relations[f.Attr]; ok {
		sub := f.Sub
		if sub == "" {
			sub = "value"
		}
		col, ok := rel.subs[sub]
		if !ok {
			return "", store.Invalidf("unknown sub-attribute %q of %q", f.Sub, f.Attr)
		}
		p, err := pred(col)
		if err != nil {
			return "", err
		}
		return c.in(rel.key, rel.from, "m.org_id", p), nil
	}
	if !c.res.values {
		return "", store.Invalidf("attribute %q cannot be filtered", key)
	}
	v := c.alias("v")
	p, err := pred(column{col: v + ".str", fold: v + ".fold", kind: 's'})
	if err != nil {
		return "", err
	}
	// A comparison tests a leaf, whose sub is "" for a simple attribute:
	// naming it lets the index reach the value. Only "present" on a whole
	// complex attribute leaves it open.
	subCond := ""
	if f.Sub != "" || leaf {
		subCond = fmt.Sprintf(" AND %s.sub = %s", v, c.arg(f.Sub))
	}
	return c.in(v+".user_id", "user_values "+v, v+".org_id",
		fmt.Sprintf("%s.attr = %s%s AND %s", v, c.arg(f.Attr), subCond, p)), nil
}

// in returns "<outer>.id IN (SELECT key FROM from WHERE orgCol = org AND
// cond)". It is the same as a correlated EXISTS, but it lets both engines
// drive the lookup from the index on the values instead of probing every
// row of the organization: a filter on emails stays fast at a million
// users.
func (c *compiler) in(key, from, orgCol, cond string) string {
	return fmt.Sprintf("%s.id IN (SELECT %s FROM %s WHERE %s = %s AND %s)", c.res.alias, key, from, orgCol, c.org, cond)
}

func (c *compiler) elem(x store.Elem) (string, error) {
	if rel, ok := c.res.relations[x.Attr]; ok {
		in, err := c.cond(x.C, &elem{attr: x.Attr, rel: &rel})
		if err != nil {
			return "", err
		}
		return c.in(rel.key, rel.from, "m.org_id", in), nil
	}
	if !c.res.values {
		return "", store.Invalidf("attribute %q cannot be filtered", x.Attr)
	}
	a := c.alias("e")
	in, err := c.cond(x.C, &elem{attr: x.Attr, alias: a})
	if err != nil {
		return "", err
	}
	cond := fmt.Sprintf("%s.attr = %s", a, c.arg(x.Attr))
	// An equality on a sub-attribute among the conditions that must all
	// hold lets the element row itself be that value, found by the index
	// (emails[type eq "work" and value eq "x"] starts from the value).
	if d, ok := driver(x.C); ok {
		target, v := a+".str", d.Value.(string)
		if !d.CaseExact {
			target, v = a+".fold", store.Fold(v)
		}
		cond += fmt.Sprintf(" AND %s.sub = %s AND %s = %s", a, c.arg(d.Field.Sub), target, c.arg(v))
	}
	return c.in(a+".user_id", "user_values "+a, a+".org_id", cond+" AND "+in), nil
}

// driver finds an equality on a sub-attribute with a string that must hold
// for the condition to hold: a conjunct of its top-level And chain. It
// prefers "value", the sub-attribute that tells elements apart, over the
// likes of type eq "work", which most elements share.
func driver(x store.Cond) (store.Cmp, bool) {
	var found []store.Cmp
	var walk func(store.Cond)
	walk = func(x store.Cond) {
		switch x := x.(type) {
		case store.And:
			walk(x.L)
			walk(x.R)
		case store.Cmp:
			if v, ok := x.Value.(string); ok && x.Op == store.OpEq && x.Field.Sub != "" && v != "" {
				found = append(found, x)
			}
		}
	}
	walk(x)
	for _, c := range found {
		if c.Field.Sub == "value" {
			return c, true
		}
	}
	if len(found) > 0 {
		return found[0], true
	}
	return store.Cmp{}, false
}

// maxRune bounds a prefix range: every string starting with p sorts in
// [p, p+maxRune) byte-wise, so "sw" uses the same index as "eq".
const maxRune = "\U0010FFFF"

func (c *compiler) compare(col column, x store.Cmp) (string, error) {
	switch v := x.Value.(type) {
	case bool:
		s := "false"
		if v {
			s = "true"
		}
		switch {
		case x.Op != store.OpEq:
			return "", store.Invalidf("operator %q on a boolean", x.Op)
		case col.kind == 'b':
			return fmt.Sprintf("%s = %s", col.col, c.arg(v)), nil
		case col.kind == 's':
			return fmt.Sprintf("%s = %s", col.col, c.arg(s)), nil
		}
		return "", store.Invalidf("a boolean compared with a date")
	case time.Time:
		if col.kind != 't' {
			if col.kind == 's' {
				return c.text(col.col, x.Op, v.UTC().Format(time.RFC3339Nano))
			}
			return "", store.Invalidf("a date compared with a boolean")
		}
		op, ok := sqlOps[x.Op]
		if !ok {
			return "", store.Invalidf("operator %q on a date", x.Op)
		}
		return fmt.Sprintf("%s %s %s", col.col, op, c.arg(c.s.t(v))), nil
	case string:
		switch col.kind {
		case 'b':
			return "", store.Invalidf("a string compared with a boolean")
		case 't':
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return "", store.Invalidf("%q is not a dateTime", v)
			}
			op, ok := sqlOps[x.Op]
			if !ok {
				return "", store.Invalidf("operator %q on a date", x.Op)
			}
			return fmt.Sprintf("%s %s %s", col.col, op, c.arg(c.s.t(t))), nil
		}
		target := col.col
		if !x.CaseExact {
			if col.fold != "" {
				target, v = col.fold, store.Fold(v)
			} else {
				target, v = "LOWER("+col.col+")", store.Fold(v)
			}
		}
		return c.text(target, x.Op, v)
	default:
		return "", store.Invalidf("cannot compare with a %T", x.Value)
	}
}

var sqlOps = map[store.Op]string{
	store.OpEq: "=", store.OpGt: ">", store.OpGe: ">=", store.OpLt: "<", store.OpLe: "<=",
}

func (c *compiler) text(col string, op store.Op, v string) (string, error) {
	if op == store.OpCo || op == store.OpSw || op == store.OpEw {
		if v == "" {
			return fmt.Sprintf("%s IS NOT NULL", col), nil
		}
	}
	switch op {
	case store.OpCo:
		return c.s.d.Contains(col, c.arg(v)), nil
	case store.OpSw:
		return fmt.Sprintf("(%s >= %s AND %s < %s)", col, c.arg(v), col, c.arg(v+maxRune)), nil
	case store.OpEw:
		return c.s.d.EndsWith(col, c.arg(v)), nil
	}
	o, ok := sqlOps[op]
	if !ok {
		return "", store.Invalidf("unknown operator %q", op)
	}
	return fmt.Sprintf("%s %s %s", col, o, c.arg(v)), nil
}

// orderBy returns the ORDER BY expression for a sort field.
func (c *compiler) orderBy(f store.Field) (string, error) {
	if f == (store.Field{}) {
		return "", nil
	}
	key := f.Attr
	if f.Sub != "" {
		key += "." + f.Sub
	}
	if col, ok := c.res.columns[key]; ok {
		if col.fold != "" {
			return col.fold, nil
		}
		return col.col, nil
	}
	if !c.res.values || c.res.relations[f.Attr].from != "" {
		return "", store.Invalidf("cannot sort by %q", key)
	}
	sub := ""
	if f.Sub != "" {
		sub = " AND s.sub = " + c.arg(f.Sub)
	}
	return fmt.Sprintf("(SELECT MIN(s.fold) FROM user_values s%s WHERE s.org_id = u.org_id AND s.user_id = u.id AND s.attr = %s%s)",
		c.s.d.ValuesByUser, c.arg(f.Attr), sub), nil
}

// where builds the WHERE clause of a query (without paging), starting
// with the organization.
func (c *compiler) where(orgID string, q store.Query) (string, error) {
	c.org = c.arg(orgID)
	w := c.res.alias + ".org_id = " + c.org
	if q.Filter != nil {
		p, err := c.cond(q.Filter, nil)
		if err != nil {
			return "", err
		}
		w += " AND " + p
	}
	return w, nil
}

type scanner interface{ Scan(...any) error }

// buildSelect returns the page query and the count query.
func (s *DB) buildSelect(res *resource, cols, orgID string, q store.Query) (sel string, selArgs []any, count string, countArgs []any, err error) {
	if (q.After != "" || q.Before != "") && (q.SortBy != (store.Field{}) || q.Descending) {
		return "", nil, "", nil, store.Invalidf("cursor paging requires the default order")
	}
	c := &compiler{s: s, res: res}
	where, err := c.where(orgID, q)
	if err != nil {
		return "", nil, "", nil, err
	}
	count = "SELECT COUNT(*) FROM " + res.table + " " + res.alias + " WHERE " + where
	if q.Filter == nil {
		// Every resource of the organization matches: its kept count costs
		// one row at any size, where COUNT(*) reads every one (61 ms at a
		// million users).
		count = "SELECT " + res.counter + " FROM orgs WHERE id = $1"
	}
	countArgs = append([]any(nil), c.args...)

	a := res.alias
	order, err := c.orderBy(q.SortBy)
	if err != nil {
		return "", nil, "", nil, err
	}
	dir, nulls := "ASC", "NULLS LAST"
	if q.Descending {
		dir, nulls = "DESC", "NULLS FIRST"
	}
	switch {
	case q.After != "":
		where += " AND " + a + ".id > " + c.arg(q.After)
	case q.Before != "":
		where += " AND " + a + ".id < " + c.arg(q.Before)
		dir = "DESC"
	}
	orderSQL := a + ".id " + dir
	if order != "" {
		orderSQL = order + " " + dir + " " + nulls + ", " + orderSQL
	}
	// One row more than asked tells whether another page follows.
	sel = "SELECT " + cols + " FROM " + res.table + " " + a + " WHERE " + where +
		" ORDER BY " + orderSQL + " LIMIT " + c.arg(q.Limit+1) + " OFFSET " + c.arg(q.Offset)
	return sel, c.args, count, countArgs, nil
}

// inList returns "$k, $k+1, …" for the values, appending them to args.
func inList(args []any, vals []string) (string, []any) {
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		args = append(args, v)
		b.WriteString("$" + strconv.Itoa(len(args)))
	}
	return b.String(), args
}

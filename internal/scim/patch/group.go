package patch

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/scim/schema"
)

// GroupPlan describes the effect of a PATCH on a Group without the
// group's member list, which may hold 100,000 members and lives in the
// store as rows. The store applies it atomically: first the attributes,
// then SetMembers, then Add and Remove.
type GroupPlan struct {
	// DisplayName is the new displayName, or nil when unchanged. It is
	// never empty: displayName is required.
	DisplayName *string
	// ExternalID is the new externalId, or nil when unchanged; "" means
	// unassign it.
	ExternalID *string

	// SetMembers says that the member list is replaced by Members: a
	// replace of "members", a remove of all members, or a pathless replace
	// whose value has "members".
	SetMembers bool
	// Members is the complete new member list when SetMembers is set
	// (empty, not nil, for "no members"), without duplicates, in the
	// order first given. Operations after the one that set the list are
	// folded into it.
	Members []string

	// Add lists members to add and Remove members to remove, by id,
	// without duplicates. They are disjoint: a later operation on the same
	// id cancels an earlier one ("add x" then "remove x" leaves x in
	// Remove only). They are empty when SetMembers is set. Adding a member
	// already present and removing one that is absent are no-ops (RFC 7644
	// §3.5.2.1; see the package documentation for remove).
	Add    []string
	Remove []string
}

// PlanGroup turns the operations of a PATCH on the group groupID into a
// GroupPlan, validating them against rt (the Group resource type) with the
// rules Apply uses. It supports the attributes a Group has: displayName,
// externalId and members (id and meta are readOnly).
//
// Members are handled as RFC 7644 §3.5.2 describes, plus the shapes Okta
// and Entra ID send (see the package documentation):
//
//   - add "members" with an array of {"value": id, ...}: Add;
//   - replace "members" with an array: SetMembers with that list;
//   - remove "members" without a value: SetMembers with no members
//     (RFC 7644 §3.5.2.2: all values are removed);
//   - remove "members" with an array value (Entra ID): Remove those ids;
//   - remove `members[value eq "id"]`, also several value eq joined by
//     "or": Remove those ids. Any other filter on members is
//     invalidFilter, since matching it would need the member list;
//   - a pathless replace (Okta) may carry "id" (ignored when it equals
//     groupID, mutability otherwise), "displayName", "externalId" and
//     "members" (SetMembers).
//
// Member values must be non-empty strings; a member whose "type" is not
// "User" (ignoring case, as members.type is not caseExact) is
// invalidValue: nested groups are not supported and users are the only
// other resources, which is also what POST and PUT refuse. The
// sub-attributes of members are immutable or readOnly, so paths such as
// `members[value eq "x"].display` are mutability errors.
//
// Errors are *schema.Error naming the operation.
func PlanGroup(rt *schema.ResourceType, groupID string, ops []Operation) (GroupPlan, error) {
	if rt == nil {
		return GroupPlan{}, errors.New("patch: PlanGroup called with a nil ResourceType")
	}
	p := &planner{rt: rt, groupID: groupID}
	for i, op := range ops {
		if err := p.apply(op); err != nil {
			return GroupPlan{}, inOperation(err, i, op)
		}
	}
	return p.plan(), nil
}

// planner accumulates the effect of group operations.
type planner struct {
	rt      *schema.ResourceType
	groupID string

	displayName *string
	externalID  *string

	setMembers bool
	members    idSet // when setMembers
	add        idSet // when !setMembers
	remove     idSet // when !setMembers
}

func (p *planner) plan() GroupPlan {
	g := GroupPlan{DisplayName: p.displayName, ExternalID: p.externalID, SetMembers: p.setMembers}
	if p.setMembers {
		g.Members = p.members.list()
		if g.Members == nil {
			g.Members = []string{}
		}
		return g
	}
	g.Add = p.add.list()
	g.Remove = p.remove.list()
	return g
}

func (p *planner) apply(op Operation) error {
	op, path, done, err := prologue(op)
	if done || err != nil {
		return err
	}
	if path == "" {
		return p.pathless(op.Op, op.Value)
	}
	t, err := resolvePath(p.rt, path)
	if err != nil {
		return err
	}
	if t.core {
		if op.Op == OpRemove {
			return errorf(schema.ScimTypeInvalidPath, "the core schema %q cannot be removed; name the attributes to remove", t.urn)
		}
		return p.pathless(op.Op, op.Value)
	}
	return p.do(op.Op, t, op.Value)
}

// pathless applies the members of a pathless add or replace value.
func (p *planner) pathless(op string, v any) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return errorf(schema.ScimTypeInvalidValue, "%q without a \"path\" needs a \"value\" object holding the attributes to change, got %s", op, jsonKind(v))
	}
	seen := make(map[string]string)
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if strings.EqualFold(k, "schemas") {
			continue
		}
		t, err := resolveKey(p.rt, k, "")
		if err != nil {
			return err
		}
		if t.attr != nil && t.sub == nil && !t.ext && strings.EqualFold(t.attr.Name, "id") {
			// Okta sends the group's own id in its pathless replace.
			if id, ok := obj[k].(string); obj[k] != nil && (!ok || id != p.groupID) {
				return errorf(schema.ScimTypeMutability, "\"id\" is readOnly; the value names a different group than the one being patched")
			}
			continue
		}
		if t.attr != nil && t.attr.Mutability == schema.MutabilityReadOnly {
			continue // meta: ignored, as in a PUT
		}
		if prev, dup := seen[t.key()]; dup {
			return errorf(schema.ScimTypeInvalidSyntax, "the value names %s twice (as %q and %q); attribute names are case-insensitive", t.quoted(), prev, k)
		}
		seen[t.key()] = k
		var err2 error
		if t.core {
			err2 = p.pathless(op, obj[k])
		} else {
			err2 = p.do(op, t, obj[k])
		}
		if err2 != nil {
			return err2
		}
	}
	return nil
}

// do applies one operation to a resolved group target.
func (p *planner) do(op string, t target, v any) error {
	if t.whole {
		return errorf(schema.ScimTypeInvalidPath, "the extension %q has no attributes this server can change on a group", t.urn)
	}
	a := t.attr
	if a.Mutability == schema.MutabilityReadOnly || (t.sub != nil && t.sub.Mutability == schema.MutabilityReadOnly) {
		return errorf(schema.ScimTypeMutability, "%s is readOnly: the service provider sets it and clients cannot %s it", t.quoted(), op)
	}
	switch {
	case t.ext:
	case strings.EqualFold(a.Name, "members"):
		return p.membersOp(op, t, v)
	case t.sub != nil || t.filter != nil:
	case strings.EqualFold(a.Name, "displayName"):
		return p.displayNameOp(op, t, v)
	case strings.EqualFold(a.Name, "externalId"):
		return p.externalIDOp(op, t, v)
	}
	return errorf(schema.ScimTypeInvalidPath, "%s cannot be changed with PATCH on a group; use displayName, externalId or members", t.quoted())
}

func (p *planner) displayNameOp(op string, t target, v any) error {
	if op == OpRemove || isEmpty(v) {
		return errorf(schema.ScimTypeMutability, "%s is required; it cannot be removed or set to an empty value", t.quoted())
	}
	nv, err := t.attr.Coerce(v)
	if err != nil {
		return err
	}
	s, _ := nv.(string)
	p.displayName = &s
	return nil
}

func (p *planner) externalIDOp(op string, t target, v any) error {
	s := ""
	if op != OpRemove && !isEmpty(v) {
		nv, err := t.attr.Coerce(v)
		if err != nil {
			return err
		}
		s, _ = nv.(string)
	}
	p.externalID = &s
	return nil
}

// membersOp handles every path that starts with "members".
func (p *planner) membersOp(op string, t target, v any) error {
	if t.sub != nil {
		return errorf(schema.ScimTypeMutability, "the sub-attributes of \"members\" are immutable; remove the member and add it again instead of changing %q", t.sub.Name)
	}
	if t.filter != nil {
		if op != OpRemove {
			return errorf(schema.ScimTypeMutability, "members cannot be changed in place (their sub-attributes are immutable); use \"remove\" with this path, then \"add\" with the path \"members\"")
		}
		ids, err := memberFilterIDs(t.filter)
		if err != nil {
			return err
		}
		for _, id := range ids {
			p.removeMember(id)
		}
		return nil
	}
	switch op {
	case OpAdd:
		ids, err := p.memberIDs(t, v)
		if err != nil {
			return err
		}
		for _, id := range ids {
			p.addMember(id)
		}
	case OpReplace:
		ids, err := p.memberIDs(t, v)
		if err != nil {
			return err
		}
		p.replaceMembers(ids)
	case OpRemove:
		if v == nil {
			// RFC 7644 §3.5.2.2: remove without a filter removes all values.
			p.replaceMembers(nil)
			return nil
		}
		// Entra ID: {"op":"Remove","path":"members","value":[{"value":"id"}]}
		// removes the listed members (azure-docs #30826).
		ids, err := p.memberIDs(t, listValue(v))
		if err != nil {
			return err
		}
		for _, id := range ids {
			p.removeMember(id)
		}
	}
	return nil
}

// listValue wraps a lone member object in an array for a remove value.
func listValue(v any) any {
	if _, ok := v.(map[string]any); ok {
		return []any{v}
	}
	return v
}

// memberIDs validates a members value (an array of member objects) and
// returns the member ids in order, without duplicates.
func (p *planner) memberIDs(t target, v any) ([]string, error) {
	if isEmpty(v) {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		_, err := t.attr.Coerce(v) // the multi-valued type error
		if err == nil {
			err = errorf(schema.ScimTypeInvalidValue, "\"members\" must be an array of objects such as {\"value\": \"<user id>\"}")
		}
		return nil, err
	}
	var ids []string
	seen := make(map[string]bool, len(list))
	for i, raw := range list {
		nv, err := t.attr.CoerceElement(raw)
		if err != nil {
			return nil, err
		}
		m, _ := nv.(map[string]any)
		id, _ := m["value"].(string)
		if id == "" {
			return nil, errorf(schema.ScimTypeInvalidValue, "attribute \"members\" (element %d): a member needs a non-empty \"value\" holding the user's id", i+1)
		}
		switch typ, _ := m["type"].(string); {
		case strings.EqualFold(typ, "Group"):
			return nil, errorf(schema.ScimTypeInvalidValue, "attribute \"members\" (element %d): %q is a group; nested groups are not supported, members must be users", i+1, clip(id))
		case typ != "" && !strings.EqualFold(typ, "User"):
			return nil, errorf(schema.ScimTypeInvalidValue, "attribute \"members\" (element %d): %q has type %q; members must be users (type \"User\")", i+1, clip(id), clip(typ))
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// memberFilterIDs returns the ids a members filter selects. Only `value eq
// "id"`, possibly several joined by "or", is supported: any other filter
// would have to be evaluated against the stored member list.
func memberFilterIDs(e filter.Expr) ([]string, error) {
	var ids []string
	var walk func(filter.Expr) bool
	walk = func(e filter.Expr) bool {
		switch x := e.(type) {
		case *filter.Or:
			return x != nil && walk(x.Left) && walk(x.Right)
		case *filter.Compare:
			if x == nil || x.Path.URN != "" || x.Path.Sub != "" || !strings.EqualFold(x.Path.Name, "value") ||
				x.Op != filter.OpEq || x.Value.Kind != filter.KindString {
				return false
			}
			ids = append(ids, x.Value.Str)
			return true
		}
		return false
	}
	if !walk(e) {
		return nil, errorf(schema.ScimTypeInvalidFilter, "the filter %s is not supported on members: only value eq \"<id>\" filters, optionally joined by \"or\", are supported", clip(e.String()))
	}
	for _, id := range ids {
		if id == "" {
			return nil, errorf(schema.ScimTypeInvalidValue, "the filter %s compares with an empty member id", clip(e.String()))
		}
	}
	return ids, nil
}

func (p *planner) addMember(id string) {
	if p.setMembers {
		p.members.add(id)
		return
	}
	p.remove.del(id)
	p.add.add(id)
}

func (p *planner) removeMember(id string) {
	if p.setMembers {
		p.members.del(id)
		return
	}
	p.add.del(id)
	p.remove.add(id)
}

func (p *planner) replaceMembers(ids []string) {
	p.setMembers = true
	p.members = idSet{}
	p.add, p.remove = idSet{}, idSet{}
	for _, id := range ids {
		p.members.add(id)
	}
}

// idSet is an insertion-ordered set of ids with O(1) add and delete.
type idSet struct {
	order []string
	in    map[string]bool
}

func (s *idSet) add(id string) {
	if s.in == nil {
		s.in = make(map[string]bool)
	}
	if !s.in[id] {
		s.in[id] = true
		s.order = append(s.order, id)
	}
}

func (s *idSet) del(id string) { delete(s.in, id) }

// list returns the ids in the order they were first added, skipping those
// deleted since.
func (s *idSet) list() []string {
	if len(s.in) == 0 {
		return nil
	}
	out := make([]string, 0, len(s.in))
	done := make(map[string]bool, len(s.in))
	for _, id := range s.order {
		if s.in[id] && !done[id] {
			done[id] = true
			out = append(out, id)
		}
	}
	return out
}

// String describes the plan for logs and test failures.
func (g GroupPlan) String() string {
	var b strings.Builder
	b.WriteString("GroupPlan{")
	if g.DisplayName != nil {
		fmt.Fprintf(&b, "displayName=%q ", *g.DisplayName)
	}
	if g.ExternalID != nil {
		fmt.Fprintf(&b, "externalId=%q ", *g.ExternalID)
	}
	if g.SetMembers {
		fmt.Fprintf(&b, "members=%q ", g.Members)
	}
	if len(g.Add) > 0 {
		fmt.Fprintf(&b, "add=%q ", g.Add)
	}
	if len(g.Remove) > 0 {
		fmt.Fprintf(&b, "remove=%q ", g.Remove)
	}
	return strings.TrimSuffix(b.String(), " ") + "}"
}

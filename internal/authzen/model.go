package authzen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// entity is a Subject or a Resource of the information model. Properties
// stay raw: roster reads one subject property (id_type) and passes over
// the rest, so decoding them all would only cost time.
type entity struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Properties json.RawMessage `json:"properties,omitempty"`
}

// actionJSON is an Action of the information model.
type actionJSON struct {
	Name       string          `json:"name"`
	Properties json.RawMessage `json:"properties,omitempty"`
}

// evaluation is one Access Evaluation request, or the defaults of an Access
// Evaluations request. Absent keys are nil.
type evaluation struct {
	Subject  *entity         `json:"subject"`
	Action   *actionJSON     `json:"action"`
	Resource *entity         `json:"resource"`
	Context  json.RawMessage `json:"context"`
}

// withDefaults returns e with the keys it omits taken from d: a key given
// in an evaluation overrides the request's default as a whole.
func (e evaluation) withDefaults(d evaluation) evaluation {
	if e.Subject == nil {
		e.Subject = d.Subject
	}
	if e.Action == nil {
		e.Action = d.Action
	}
	if e.Resource == nil {
		e.Resource = d.Resource
	}
	if e.Context == nil {
		e.Context = d.Context
	}
	return e
}

// The information model's requirements, as validate checks them.
type need int

const (
	needSubjectID need = 1 << iota
	needAction
	needResourceID
)

// validate checks that the required attributes of the information model
// are present and that objects are objects; where names the request part
// in messages ("the request", "evaluations[2]", see loc). batch says that a missing
// key could have come from the request's defaults.
func (e evaluation) validate(where loc, n need, batch bool) error {
	missing := func(key string) error {
		if batch {
			return fault.Invalidf("%s has no %q and the request gives no default %q: every evaluation needs a subject, an action and a resource", where, key, key)
		}
		return fault.Invalidf("%s has no %q: %s", where, key, requiredKeys(n))
	}
	if e.Subject == nil {
		return missing("subject")
	}
	if err := e.Subject.validate(where.in(".subject"), n&needSubjectID != 0); err != nil {
		return err
	}
	if n&needAction != 0 {
		if e.Action == nil {
			return missing("action")
		}
		if e.Action.Name == "" {
			return fault.Invalidf("%s.action has no \"name\": an action is {\"name\": \"view\"}, with \"check\" or \"edit\" as the other names roster knows", where)
		}
		if err := object(e.Action.Properties, where.in(".action.properties")); err != nil {
			return err
		}
	}
	if e.Resource == nil {
		return missing("resource")
	}
	if err := e.Resource.validate(where.in(".resource"), n&needResourceID != 0); err != nil {
		return err
	}
	return object(e.Context, where.in(".context"))
}

func requiredKeys(n need) string {
	if n&needAction == 0 {
		return "an action search needs a subject and a resource"
	}
	return "it needs a subject, an action and a resource"
}

func (x *entity) validate(where loc, needID bool) error {
	if x.Type == "" {
		return fault.Invalidf("%s has no \"type\"", where)
	}
	if needID && x.ID == "" {
		return fault.Invalidf("%s has no \"id\"", where)
	}
	return object(x.Properties, where.in(".properties"))
}

// object checks that a raw value, when present, is a JSON object (null
// counts as absent).
func object(raw json.RawMessage, where loc) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] == '{' || string(raw) == "null" {
		return nil
	}
	return fault.Invalidf("%s must be a JSON object", where)
}

// evaluationsRequest is an Access Evaluations request: defaults, the
// evaluations and the options.
type evaluationsRequest struct {
	evaluation
	Evaluations []evaluation    `json:"evaluations"`
	Options     json.RawMessage `json:"options"`
}

// semantic is an evaluations_semantic option.
type semantic string

// The evaluations semantics of the specification.
const (
	executeAll          semantic = "execute_all"
	denyOnFirstDeny     semantic = "deny_on_first_deny"
	permitOnFirstPermit semantic = "permit_on_first_permit"
)

// semantic returns the request's evaluations_semantic, execute_all when
// none is given. Other options are ignored, as the specification allows.
func (req *evaluationsRequest) semantic() (semantic, error) {
	if err := object(req.Options, at("options")); err != nil {
		return "", err
	}
	var o struct {
		Semantic *string `json:"evaluations_semantic"`
	}
	if len(req.Options) > 0 {
		if err := json.Unmarshal(req.Options, &o); err != nil {
			return "", fault.Invalidf("options.evaluations_semantic must be a string: %q, %q or %q", executeAll, denyOnFirstDeny, permitOnFirstPermit)
		}
	}
	if o.Semantic == nil {
		return executeAll, nil
	}
	switch s := semantic(*o.Semantic); s {
	case executeAll, denyOnFirstDeny, permitOnFirstPermit:
		return s, nil
	}
	return "", fault.Invalidf("options.evaluations_semantic must be %q, %q or %q, not %q", executeAll, denyOnFirstDeny, permitOnFirstPermit, *o.Semantic)
}

// The subject's id_type property says what its id is.
const (
	idRoster   = "roster_id"
	idUserName = "userName"
	idEmail    = "email"
)

// idType returns what the subject's id names: a roster user id unless the
// property id_type says "userName" or "email". roster never guesses which
// of those an id is, because a userName of one user can be the e-mail of
// another.
func (x *entity) idType() (string, error) {
	if len(x.Properties) == 0 {
		return idRoster, nil
	}
	var p struct {
		IDType *string `json:"id_type"`
	}
	if err := json.Unmarshal(x.Properties, &p); err != nil {
		return "", fault.Invalidf("subject.properties.id_type must be a string: %q, %q or %q", idRoster, idUserName, idEmail)
	}
	if p.IDType == nil {
		return idRoster, nil
	}
	for _, t := range []string{idRoster, idUserName, idEmail} {
		if strings.EqualFold(*p.IDType, t) {
			return t, nil
		}
	}
	return "", fault.Invalidf("subject.properties.id_type must be %q (the default), %q or %q, not %q", idRoster, idUserName, idEmail, *p.IDType)
}

// subjectType checks the subject's type: roster decides for users only.
func subjectType(t string) error {
	if t != "user" {
		return fault.Invalidf("subject type %q is not one roster decides for: its subjects are users, type \"user\"", t)
	}
	return nil
}

// resourceType maps a resource type onto roster's.
func resourceType(t string) (store.ResourceType, error) {
	rt := store.ResourceType(t)
	if !rt.Valid() {
		return "", fault.Invalidf("resource type %q is not one roster knows: its resources are %q and %q", t, store.ResourceWorkspace, store.ResourceFolder)
	}
	return rt, nil
}

// The actions, in increasing order of the role they need: each role's
// abilities include those of the roles below it, so a checker may view.
var actions = []struct {
	name string
	role store.Role
}{
	{"view", store.RoleViewer},
	{"check", store.RoleChecker},
	{"edit", store.RoleEditor},
}

// errJoin explains why "join" is no action here.
var errJoin = fault.Invalidf("action \"join\" is not decided through AuthZEN: an evaluation is a question without side effects " +
	"(a PEP may repeat it, cache it, run a batch in parallel or stop it short), so it cannot record a join; " +
	"evaluate \"view\", then record the join with POST /api/v1/join")

// actionRole returns the role an action needs.
func actionRole(name string) (store.Role, error) {
	for _, a := range actions {
		if a.name == name {
			return a.role, nil
		}
	}
	if name == "join" {
		return "", errJoin
	}
	return "", fault.Invalidf("action %q is not one roster knows: its actions are \"view\", \"check\" and \"edit\"", name)
}

// A loc names a place in a request for error messages: "the request",
// "evaluations[3]", followed by up to two member paths. It is built as a
// value and only formatted when a message needs it, so validating a batch
// costs no allocation.
type loc struct {
	base   string
	index  int // evaluations[index] when base is ""
	f1, f2 string
}

// at is the place named base.
func at(base string) loc { return loc{base: base} }

// evaluationAt is the place of the batch's i-th evaluation.
func evaluationAt(i int) loc { return loc{index: i} }

// in returns the place of member path p inside l.
func (l loc) in(p string) loc {
	if l.f1 == "" {
		l.f1 = p
	} else {
		l.f2 = p
	}
	return l
}

// String formats the place.
func (l loc) String() string {
	base := l.base
	if base == "" {
		base = fmt.Sprintf("evaluations[%d]", l.index)
	}
	return base + l.f1 + l.f2
}

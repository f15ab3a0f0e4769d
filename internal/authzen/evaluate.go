package authzen

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// decision is a Decision of the information model.
type decision struct {
	Decision bool             `json:"decision"`
	Context  *decisionContext `json:"context,omitempty"`
}

// decisionContext is what roster says about a decision: the user's
// effective role, a sentence a person can read, and the facts behind the
// role; or, for an evaluation that could not be made, the error.
type decisionContext struct {
	Role    string       `json:"role,omitempty"`
	Reason  string       `json:"reason,omitempty"`
	Reasons []reasonJSON `json:"reasons,omitempty"`
	Error   *errorJSON   `json:"error,omitempty"`
	// Stopped says that a short-circuiting semantic ended the batch at
	// this evaluation.
	Stopped string `json:"stopped,omitempty"`
}

// reasonJSON is one grant, membership or organization role behind a role,
// with a sentence that says it.
type reasonJSON struct {
	access.Reason
	Text string `json:"text"`
}

// evaluationsResponse is the Access Evaluations response.
type evaluationsResponse struct {
	Evaluations []decision `json:"evaluations"`
}

const expectsEvaluation = `"subject", "action" and "resource"`

// evaluation serves the Access Evaluation API.
func (h *Handler) evaluation(w http.ResponseWriter, r *http.Request, orgID string) error {
	var req evaluation
	if err := decode(r, &req, expectsEvaluation, nil); err != nil {
		return err
	}
	if err := req.validate(at("the request"), needSubjectID|needAction|needResourceID, false); err != nil {
		return err
	}
	ev := h.evaluator(r.Context(), orgID)
	d, err := ev.evaluate(req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// evaluations serves the Access Evaluations API.
func (h *Handler) evaluations(w http.ResponseWriter, r *http.Request, orgID string) error {
	sc := h.scratch.get()
	defer h.scratch.put(sc)
	var req evaluationsRequest
	if err := decode(r, &req, `"evaluations", or "subject", "action" and "resource"`, sc); err != nil {
		return err
	}
	sem, err := req.semantic()
	if err != nil {
		return err
	}
	ev := h.evaluator(r.Context(), orgID)
	if len(req.Evaluations) == 0 {
		// Without evaluations the request is a single evaluation, and so
		// is its answer.
		if err := req.evaluation.validate(at("the request"), needSubjectID|needAction|needResourceID, false); err != nil {
			return err
		}
		d, err := ev.evaluate(req.evaluation)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, d)
		return nil
	}
	if n, max := len(req.Evaluations), h.maxEvaluations(); n > max {
		return fault.Invalidf("the request holds %d evaluations; at most %d are evaluated in one request: split the batch", n, max)
	}
	// Every evaluation is checked before any is made, so a malformed batch
	// is refused whole rather than answered in part.
	for i := range req.Evaluations {
		req.Evaluations[i] = req.Evaluations[i].withDefaults(req.evaluation)
		if err := req.Evaluations[i].validate(evaluationAt(i), needSubjectID|needAction|needResourceID, true); err != nil {
			return err
		}
	}
	out := sc.out[:0]
	ev.contexts = sc.decisionContexts(len(req.Evaluations))
	for i, e := range req.Evaluations {
		d, err := ev.evaluate(e)
		if err != nil {
			return err
		}
		out = append(out, d)
		stop := sem == denyOnFirstDeny && !d.Decision || sem == permitOnFirstPermit && d.Decision
		if stop && i < len(req.Evaluations)-1 {
			if d.Context == nil {
				d.Context = &decisionContext{}
			}
			d.Context.Stopped = fmt.Sprintf("%s: the %d evaluations after this one were not made", sem, len(req.Evaluations)-1-i)
			out[i] = d
			break
		}
	}
	writeJSON(w, http.StatusOK, evaluationsResponse{out})
	sc.out = out // keep what append grew
	return nil
}

// evaluator makes the evaluations of one request, remembering the users it
// looked up by userName or e-mail so a batch about one subject asks the
// directory once.
type evaluator struct {
	h     *Handler
	ctx   context.Context
	orgID string
	users map[string]userLookup
	// sentences holds the reason sentences made so far: a batch repeats a
	// few ("denied: no grant …") many times.
	sentences map[sentenceKey]string
	// contexts, when set, are where a batch's decision contexts go: one
	// allocation for the batch instead of one per evaluation.
	contexts []decisionContext
}

// sentenceKey is what a decision's sentence depends on.
type sentenceKey struct {
	allowed      bool
	role, action string
	want         store.Role
	denial       string
}

type userLookup struct {
	id  string
	err error
}

func (h *Handler) evaluator(ctx context.Context, orgID string) *evaluator {
	return &evaluator{h: h, ctx: ctx, orgID: orgID}
}

// evaluate makes one evaluation. An evaluation that cannot be made — an
// unknown type or action, an id the organization does not have — is denied
// with the error in its context, as the specification has it; only
// internal errors are returned.
func (ev *evaluator) evaluate(e evaluation) (decision, error) {
	d, err := ev.decide(e)
	if err == nil {
		return d, nil
	}
	status, msg, ok := statusOf(err)
	if !ok {
		return decision{}, err
	}
	return decision{Context: &decisionContext{Error: &errorJSON{status, msg}}}, nil
}

func (ev *evaluator) decide(e evaluation) (decision, error) {
	if err := subjectType(e.Subject.Type); err != nil {
		return decision{}, err
	}
	rt, err := resourceType(e.Resource.Type)
	if err != nil {
		return decision{}, err
	}
	want, err := actionRole(e.Action.Name)
	if err != nil {
		return decision{}, err
	}
	uid, err := ev.userID(e.Subject)
	if err != nil {
		return decision{}, err
	}
	d, err := ev.h.Access.Check(ev.ctx, ev.orgID, uid, rt, e.Resource.ID, want)
	if err != nil {
		return decision{}, err
	}
	return decision{Decision: d.Allowed, Context: ev.explain(d, e.Action.Name, want)}, nil
}

// userID returns the roster id of the user a subject names.
func (ev *evaluator) userID(s *entity) (string, error) {
	t, err := s.idType()
	if err != nil || t == idRoster {
		return s.ID, err
	}
	key := t + "\x00" + s.ID
	if l, ok := ev.users[key]; ok {
		return l.id, l.err
	}
	id, err := lookupUser(ev.ctx, ev.h.Directory, ev.orgID, t, s.ID)
	if fault.KindOf(err) == "" && err != nil {
		return "", err // internal: not remembered
	}
	if ev.users == nil {
		ev.users = map[string]userLookup{}
	}
	ev.users[key] = userLookup{id, err}
	return id, err
}

// lookupUser finds the one user whose userName or e-mail is value. Two
// users with the e-mail is an error, never a guess.
func lookupUser(ctx context.Context, dir Directory, orgID, idType, value string) (string, error) {
	field, what := store.Field{Attr: "username"}, "userName"
	if idType == idEmail {
		field, what = store.Field{Attr: "emails", Sub: "value"}, "e-mail"
	}
	p, err := dir.QueryUsers(ctx, orgID, store.Query{Filter: store.Cmp{Field: field, Op: store.OpEq, Value: value}, Limit: 2})
	if err != nil {
		return "", fmt.Errorf("find the user with %s %q: %w", what, value, err)
	}
	switch len(p.Items) {
	case 0:
		return "", fault.NotFoundf("no user of this organization has %s %q", what, value)
	case 1:
		return p.Items[0].ID, nil
	}
	return "", fault.Invalidf("%d users of this organization have %s %q, and roster never guesses between users: name the subject by its roster id, or by userName (\"properties\": {\"id_type\": \"userName\"})", p.Total, what, value)
}

// explain turns a resolver decision into a decision context.
func (ev *evaluator) explain(d access.Decision, action string, want store.Role) *decisionContext {
	var c *decisionContext
	if len(ev.contexts) > 0 {
		c, ev.contexts = &ev.contexts[0], ev.contexts[1:]
	} else {
		c = new(decisionContext)
	}
	*c = decisionContext{Role: d.Role, Reasons: reasons(d.Reasons)}
	k := sentenceKey{d.Allowed, d.Role, action, want, d.Denial}
	if r, ok := ev.sentences[k]; ok {
		c.Reason = r
		return c
	}
	switch {
	case d.Allowed:
		c.Reason = "allowed: the user's role here is " + d.Role + ", which may " + action
	case d.Role != "":
		c.Reason = "denied: the user's role here is " + d.Role + "; " + action + " needs " + string(want) + " or above"
	default:
		c.Reason = "denied: " + d.Denial
	}
	if ev.contexts == nil {
		return c // a single evaluation: nothing to share the sentence with
	}
	if ev.sentences == nil {
		ev.sentences = map[sentenceKey]string{}
	}
	if len(ev.sentences) < 64 {
		ev.sentences[k] = c.Reason
	}
	return c
}

func reasons(rs []access.Reason) []reasonJSON {
	if len(rs) == 0 {
		return nil
	}
	out := make([]reasonJSON, len(rs))
	for i, r := range rs {
		out[i] = reasonJSON{r, reasonText(r)}
	}
	return out
}

// reasonText says a reason in a sentence.
func reasonText(r access.Reason) string {
	on := string(r.ResourceType) + " " + r.ResourceID
	var s string
	switch r.Kind {
	case "org_role":
		return "the user is an organization " + r.Role + ", above every workspace and folder role"
	case "grant":
		s = "group " + r.GroupID + " of the user is granted " + r.Role + " on " + on
	case "membership":
		s = "the user is a member of " + on + " as " + r.Role
		switch {
		case r.Origin == store.OriginOwner:
			s += ", as its creator"
		case strings.HasPrefix(r.Origin, store.OriginGroupPrefix):
			s += ", joined through group " + strings.TrimPrefix(r.Origin, store.OriginGroupPrefix)
		default:
			s += ", invited"
		}
	default:
		s = r.Kind + " " + r.Role + " on " + on
	}
	if r.Inherited {
		s += ", and the folder follows its workspace"
	}
	return s
}

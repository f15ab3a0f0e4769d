package authzen

import (
	"encoding/json"
)

// fastDecode decodes the common shapes of evaluation requests without
// reflection: an evaluation, or an evaluations request, whose objects hold
// only the keys of the information model, each once, with strings that
// have no escapes. It reports false for anything else — other keys, a key
// twice, escapes, nulls, other types, malformed JSON — and v is then left
// as it was, for encoding/json to decode (or to refuse in the words people
// get). The subset is chosen so that whatever fastDecode accepts,
// encoding/json decodes to the same value (FuzzFastDecode checks it): the
// fast path changes what a request costs, never its answer.
//
// It exists because decoding the nested AuthZEN request through
// encoding/json was a third of a single evaluation's time.
//
// sc, when not nil, lends the memory of a batch's evaluations and
// entities; the caller keeps it until it is done with v.
func fastDecode(body []byte, v any, sc *scratch) bool {
	s := scanner{b: body, sc: sc}
	switch v := v.(type) {
	case *evaluation:
		var e evaluation
		if !s.evaluation(&e, nil) || !s.end() {
			return false
		}
		*v = e
		return true
	case *evaluationsRequest:
		var req evaluationsRequest
		if !s.evaluation(&req.evaluation, &req) || !s.end() {
			return false
		}
		*v = req
		return true
	}
	return false
}

// scanner reads JSON from b at i.
type scanner struct {
	b  []byte
	i  int
	sc *scratch // nil: allocate
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next consumes c, after white space, when it comes next.
func (s *scanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (s *scanner) end() bool {
	s.space()
	return s.i == len(s.b)
}

// str reads a string without escapes or control characters. The body has
// passed jsontext.Check, so its bytes are valid UTF-8.
func (s *scanner) str() (string, bool) {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return intern(s.b[start:j]), true
		case c == '\\' || c < 0x20:
			return "", false
		}
	}
	return "", false
}

// intern returns b as a string, without allocating for the keys and the
// type and action names every request repeats: a batch of 100 evaluations
// spelled them a thousand times.
func intern(b []byte) string {
	switch string(b) { // compiled to comparisons; converts nothing
	case "type":
		return "type"
	case "id":
		return "id"
	case "properties":
		return "properties"
	case "name":
		return "name"
	case "subject":
		return "subject"
	case "action":
		return "action"
	case "resource":
		return "resource"
	case "context":
		return "context"
	case "evaluations":
		return "evaluations"
	case "options":
		return "options"
	case "user":
		return "user"
	case "workspace":
		return "workspace"
	case "folder":
		return "folder"
	case "view":
		return "view"
	case "check":
		return "check"
	case "edit":
		return "edit"
	}
	return string(b)
}

// object reads an object, calling member for each key with the scanner at
// its value; member reads the value. A key given twice gives up: encoding/
// json would merge or overwrite, and the subset avoids deciding which.
func (s *scanner) object(member func(key string) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	var seenKeys [8]string // a request's objects have a few keys: no allocation
	seen := seenKeys[:0]
	for {
		k, ok := s.str()
		if !ok || !s.next(':') {
			return false
		}
		for _, prev := range seen {
			if prev == k {
				return false
			}
		}
		seen = append(seen, k)
		if !member(k) {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next('}')
	}
}

// rawObject returns the bytes of an object value, checked to be valid
// JSON, as json.RawMessage holds them.
func (s *scanner) rawObject() (json.RawMessage, bool) {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return nil, false
	}
	start, depth, inString := s.i, 0, false
	for j := start; j < len(s.b); j++ {
		c := s.b[j]
		if inString {
			switch c {
			case '\\':
				j++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				raw := s.b[start : j+1]
				if !json.Valid(raw) {
					return nil, false
				}
				s.i = j + 1
				return raw, true
			}
		}
	}
	return nil, false
}

// entity reads a subject or resource.
func (s *scanner) entity() (*entity, bool) {
	x := s.sc.entity()
	ok := s.object(func(k string) bool {
		var ok bool
		switch k {
		case "type":
			x.Type, ok = s.str()
		case "id":
			x.ID, ok = s.str()
		case "properties":
			x.Properties, ok = s.rawObject()
		}
		return ok
	})
	return x, ok
}

// action reads an action.
func (s *scanner) action() (*actionJSON, bool) {
	var a actionJSON
	ok := s.object(func(k string) bool {
		var ok bool
		switch k {
		case "name":
			a.Name, ok = s.str()
		case "properties":
			a.Properties, ok = s.rawObject()
		}
		return ok
	})
	return &a, ok
}

// evaluation reads an evaluation object into e; when batch is not nil, the
// object may also hold a batch's evaluations and options.
func (s *scanner) evaluation(e *evaluation, batch *evaluationsRequest) bool {
	return s.object(func(k string) bool {
		var ok bool
		switch k {
		case "subject":
			e.Subject, ok = s.entity()
		case "action":
			e.Action, ok = s.action()
		case "resource":
			e.Resource, ok = s.entity()
		case "context":
			e.Context, ok = s.rawObject()
		case "options":
			if batch != nil {
				batch.Options, ok = s.rawObject()
			}
		case "evaluations":
			if batch != nil {
				batch.Evaluations, ok = s.evaluations()
			}
		}
		return ok
	})
}

// evaluations reads a batch's array of evaluations.
func (s *scanner) evaluations() ([]evaluation, bool) {
	if !s.next('[') {
		return nil, false
	}
	out := []evaluation{}
	if s.sc != nil && s.sc.evals != nil {
		out = s.sc.evals[:0]
	}
	if s.next(']') {
		return out, true
	}
	for {
		var e evaluation
		if !s.evaluation(&e, nil) {
			return nil, false
		}
		out = append(out, e)
		if s.next(',') {
			continue
		}
		if s.sc != nil {
			s.sc.evals = out // keep what append grew, for the next request
		}
		return out, s.next(']')
	}
}

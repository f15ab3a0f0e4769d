package authzen

import "sync"

// scratch is the memory of one Access Evaluations request that does not
// outlive it — the evaluations decoded, their entities, the decisions and
// their contexts — kept between requests. A batch of 100 allocated about
// 30 KB of it, half of what it allocated in all, and at 100,000 users each
// collection marks a heap of a few hundred megabytes while requests wait
// on the two cores: fewer allocations are fewer collections for a request
// to land in.
type scratch struct {
	evals    []evaluation
	entities []entity
	used     int // entities handed out
	contexts []decisionContext
	out      []decision
}

// scratchPool keeps scratches; its zero value is ready.
type scratchPool struct{ p sync.Pool }

func (sp *scratchPool) get() *scratch {
	if sc, ok := sp.p.Get().(*scratch); ok {
		return sc
	}
	return &scratch{}
}

// put clears what sc holds, so no request's strings outlive it, and keeps
// it unless a batch far above the usual made it large.
func (sp *scratchPool) put(sc *scratch) {
	clear(sc.evals[:cap(sc.evals)])
	clear(sc.entities[:sc.used])
	clear(sc.contexts[:cap(sc.contexts)])
	clear(sc.out[:cap(sc.out)])
	sc.evals, sc.out, sc.used = sc.evals[:0], sc.out[:0], 0
	if cap(sc.evals) > maxKeptEvaluations {
		return
	}
	sp.p.Put(sc)
}

// maxKeptEvaluations bounds the batches whose memory is kept.
const maxKeptEvaluations = 1000

// entity returns a zero entity from sc's slab, or a new one when sc is nil
// or its slab is used up (a batch of more than 127 evaluations). The slab
// never grows in place: entities handed out stay where they are.
func (sc *scratch) entity() *entity {
	if sc == nil {
		return new(entity)
	}
	if sc.entities == nil {
		sc.entities = make([]entity, 128)
	}
	if sc.used == len(sc.entities) {
		return new(entity)
	}
	x := &sc.entities[sc.used]
	sc.used++
	return x
}

// decisionContexts returns n zero contexts, reusing sc's.
func (sc *scratch) decisionContexts(n int) []decisionContext {
	if cap(sc.contexts) < n {
		sc.contexts = make([]decisionContext, n)
	}
	return sc.contexts[:n]
}

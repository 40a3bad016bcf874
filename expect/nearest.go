package expect

import (
	"sort"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// nearestDiffed is how many candidates a miss explains with diffs: the
// ones that fail the fewest checks, counted cheaply first. Diffing every
// expectation cost 0.6 s of CPU per miss with 10,000 stubs, so a flood of
// misses could take a server down.
const nearestDiffed = 4

// misfits counts what keeps a call from matching e, as reasons does but
// with no text: the cheap first pass of nearest. A broken expectation
// counts as far.
func (e *expectation) misfits(md metadata.MD, got []proto.Message) int {
	if e.broken {
		return 1 << 20
	}
	n := 0
	for _, m := range e.mdm {
		if !m.holds(md) {
			n++
		}
	}
	switch e.kind {
	case mockserver.Unary, mockserver.ServerStream:
		if len(got) == 1 {
			if e.req != nil && !e.req.Match(got[0]) {
				n++
			}
			for _, f := range e.fields {
				if !f.Match(got[0]) {
					n++
				}
			}
		}
	case mockserver.ClientStream:
		if e.reqs != nil && !e.reqs.MatchAll(got) {
			n++
		}
	case mockserver.BidiStream:
		if len(got) > 0 && len(e.script) > 0 {
			if m := firstRecv(e.script, md); m != nil && !m.Match(got[0]) {
				n++
			}
		}
	}
	n += len(e.stateReasons())
	if e.max >= 0 && e.hitCount() >= e.max {
		n++
	}
	return n
}

// closest returns the few expectations of exps that fail the fewest
// checks, in declared order among equals. The caller holds the set's lock.
func closest(exps []*expectation, md metadata.MD, got []proto.Message) []*expectation {
	if len(exps) <= nearestDiffed {
		return exps
	}
	type scored struct {
		e *expectation
		n int
		i int
	}
	best := make([]scored, 0, nearestDiffed+1)
	for i, e := range exps {
		s := scored{e, e.misfits(md, got), i}
		if len(best) == nearestDiffed && s.n >= best[len(best)-1].n {
			continue
		}
		j := sort.Search(len(best), func(k int) bool { return best[k].n > s.n })
		best = append(best, scored{})
		copy(best[j+1:], best[j:])
		best[j] = s
		if len(best) > nearestDiffed {
			best = best[:nearestDiffed]
		}
	}
	sort.Slice(best, func(a, b int) bool { return best[a].i < best[b].i })
	out := make([]*expectation, len(best))
	for i, s := range best {
		out[i] = s.e
	}
	return out
}

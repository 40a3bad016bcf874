package replay

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/internal/protodiff"
)

// nearest names the recorded interaction of the call's method closest to
// what the call did, and how it differs.
func (cs *callState) nearest(claimable []*entry) string {
	h := cs.h
	if len(claimable) > 0 {
		return fmt.Sprintf("%s matches but was already used by another call (replay.Reusable lets an interaction answer many calls)", claimable[0].where)
	}
	// The first member of each class stands for it: every member scores
	// alike, and the first in preference order wins a tie.
	entries := make([]*entry, len(cs.mi.classes))
	for i, c := range cs.mi.classes {
		entries[i] = c.rep
	}
	if h.cfg.inOrder {
		h.mu.Lock()
		var next *entry
		for _, e := range h.order[h.orderNext:] { // those before are used
			if e.owner == nil && e.used == 0 {
				next = e
				break
			}
		}
		h.mu.Unlock()
		if next == nil {
			return "replay.InOrder: every interaction is used"
		}
		if next.in.Method != cs.c.FullMethod() {
			return fmt.Sprintf("replay.InOrder: the next interaction is %s, a call to %s", next.where, next.in.Method)
		}
		entries = []*entry{next} // in order, only the next one could match
	}
	var best *entry
	bestScore := -1
	for _, e := range entries {
		if e.steps == nil && len(e.in.Events) > 0 {
			continue
		}
		score := 2 * cs.prefix(e)
		if h.mdMatch(e.md, cs.c.Metadata()) == "" {
			score++
		}
		if score > bestScore {
			best, bestScore = e, score
		}
	}
	if best == nil {
		return "no interaction of this method could be decoded"
	}
	var why []string
	if d := h.mdMatch(best.md, cs.c.Metadata()); d != "" {
		why = append(why, d)
	}
	if d := cs.clientDiff(best); d != "" {
		why = append(why, d)
	}
	if len(why) == 0 {
		h.mu.Lock()
		used := best.owner != nil || best.used > 0
		h.mu.Unlock()
		if used && !h.cfg.reusable {
			why = append(why, "it matches but was already used by another call (replay.Reusable lets an interaction answer many calls)")
		} else {
			why = append(why, "it matches so far, but the server's recorded events differ from those already sent for another candidate")
		}
	}
	return fmt.Sprintf("nearest is %s: %s", best.where, strings.Join(why, "; "))
}

// clientSteps are an entry's client events: messages and the half-close.
func clientSteps(e *entry) []step {
	var out []step
	for _, s := range e.steps {
		if s.typ == cassette.ClientMessage || s.typ == cassette.HalfClose {
			out = append(out, s)
		}
	}
	return out
}

// prefix counts the call's client events that agree with the entry's.
func (cs *callState) prefix(e *entry) int {
	steps := clientSteps(e)
	n := 0
	for i, m := range cs.received {
		if i >= len(steps) || steps[i].typ != cassette.ClientMessage || !equalNorm(cs.h, steps[i], m) {
			return n
		}
		n++
	}
	if cs.halfClosed && n < len(steps) && steps[n].typ == cassette.HalfClose {
		n++
	}
	return n
}

func (cs *callState) clientDiff(e *entry) string {
	steps := clientSteps(e)
	for i, m := range cs.received {
		switch {
		case i >= len(steps) || steps[i].typ == cassette.HalfClose:
			return fmt.Sprintf("recorded %d client message(s) then a half-close, got message #%d", i, i+1)
		case !equalNorm(cs.h, steps[i], m):
			return clientMessageDiff(i+1, steps[i].norm, cs.h.normalize(m))
		}
	}
	if cs.halfClosed {
		n := len(cs.received)
		if n < len(steps) && steps[n].typ == cassette.ClientMessage {
			return fmt.Sprintf("recorded client message #%d, got the client's half-close", n+1)
		}
	}
	return ""
}

func equalNorm(h *Handler, s step, m proto.Message) bool {
	return proto.Equal(s.norm, h.normalize(m))
}

// Misses returns the errors of the calls no interaction matched, in order:
// the newest KeptMisses of them.
func (h *Handler) Misses() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]error(nil), h.misses.Items()...)
}

// MissesDropped is how many misses were dropped to keep the newest
// KeptMisses.
func (h *Handler) MissesDropped() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.misses.Dropped()
}

// missErrors is Misses, with a line for those dropped.
func (h *Handler) missErrors() []error {
	errs := h.Misses()
	if n := h.MissesDropped(); n > 0 {
		errs = append([]error{fmt.Errorf("replay: %w: %d earlier misses not kept (the newest %d follow)", ErrNoMatch, n, KeptMisses)}, errs...)
	}
	return errs
}

// Unused returns the interactions no call used.
func (h *Handler) Unused() []*cassette.Interaction {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*cassette.Interaction
	for _, e := range h.order {
		if e.used == 0 {
			out = append(out, e.in)
		}
	}
	return out
}

func (h *Handler) unusedErrors() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []error
	for _, e := range h.order {
		if e.used == 0 {
			out = append(out, fmt.Errorf("replay: %w: %s, a call to %s", ErrUnused, e.where, e.in.Method))
		}
	}
	return out
}

// Verify returns every miss and, unless AllowUnused, every unused
// interaction, joined; nil when there are none.
func (h *Handler) Verify() error {
	errs := h.missErrors()
	if !h.cfg.allowUnused {
		errs = append(errs, h.unusedErrors()...)
	}
	return errors.Join(errs...)
}

// reportNote follows a reason WithT's report redacted.
const reportNote = " (replay.WithSecretsShown shows it)"

func (h *Handler) report() {
	t := h.cfg.t
	t.Helper()
	for _, err := range h.missErrors() {
		t.Errorf("%s", h.redact(err.Error(), reportNote))
	}
	for _, err := range h.unusedErrors() {
		if h.cfg.allowUnused {
			t.Logf("%v", err)
		} else {
			t.Errorf("%v", err)
		}
	}
}

// clientMessageDiff says how a client message differs from the recorded
// one: the fields by path, then a (-recorded +got) diff.
func clientMessageDiff(n int, recorded, got proto.Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "client message #%d differs", n)
	if recorded.ProtoReflect().Descriptor() == got.ProtoReflect().Descriptor() {
		for _, f := range protodiff.Fields(recorded, got, false) {
			b.WriteString("\n  " + strings.Replace(f, ": want ", ": recorded ", 1))
		}
	}
	fmt.Fprintf(&b, "\n(-recorded +got):\n%s", protodiff.Diff(recorded, got))
	return b.String()
}

// redact hides, in text about a miss, what the call sent for credential
// metadata, followed by note (unless WithSecretsShown).
func (h *Handler) redact(text, note string) string {
	if h.cfg.showSecrets {
		return text
	}
	return cassette.RedactReasons(text, note)
}

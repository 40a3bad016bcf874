package mockserver

import (
	"context"
	"sync"
	"sync/atomic"
)

// watchers tells readers of the journal, such as the admin page's event
// stream, that it changed. Each watcher has a channel with room for one
// signal, so a burst of calls wakes a slow reader once, not once a call:
// readers then ask for what changed since the generation they last saw.
// With no watcher the hot path pays one atomic load.
type watchers struct {
	n   atomic.Int32
	mu  sync.Mutex
	chs map[chan struct{}]struct{}
}

func (w *watchers) notify() {
	if w.n.Load() == 0 {
		return
	}
	w.mu.Lock()
	for ch := range w.chs {
		select {
		case ch <- struct{}{}:
		default: // a signal is already waiting: coalesce
		}
	}
	w.mu.Unlock()
}

func (w *watchers) add(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.chs == nil {
		w.chs = make(map[chan struct{}]struct{})
	}
	w.chs[ch] = struct{}{}
	w.n.Add(1)
	w.mu.Unlock()
	context.AfterFunc(ctx, func() {
		w.mu.Lock()
		delete(w.chs, ch)
		w.n.Add(-1)
		w.mu.Unlock()
	})
	return ch
}

// WatchCalls returns a channel that receives a signal whenever the journal
// changes: a call begins or ends, or the journal is reset. Signals
// coalesce: one waiting signal stands for any number of changes, so a slow
// reader costs the server nothing. Follow a signal with CallsSince. The
// watch ends with ctx.
func (s *Server) WatchCalls(ctx context.Context) <-chan struct{} {
	return s.journal.watch.add(ctx)
}

// Changes is what changed in the journal since a generation.
type Changes struct {
	Calls []CallRecord // the calls that began or ended since, oldest first
	Gen   uint64       // the journal's generation now: pass it next time
	// FirstID is the ID of the oldest call the journal still keeps (one
	// past the newest when it keeps none): calls below it are gone, by
	// WithJournalLimit or ResetJournal.
	FirstID uint64
}

// CallsSince returns the calls that began or ended after generation gen
// (0: every call kept).
func (s *Server) CallsSince(gen uint64) Changes {
	return s.journal.since(gen)
}

// Call returns the call with the given ID (CallRecord.ID), if the journal
// still keeps it.
func (s *Server) Call(id uint64) (CallRecord, bool) {
	return s.journal.byID(id)
}

func (j *journal) since(gen uint64) Changes {
	j.mu.Lock()
	now := j.gen.Load()
	kept := j.kept()
	first := j.nextID + 1
	if len(kept) > 0 {
		first = kept[0].id
	}
	var picked []*record
	for _, r := range kept {
		if r.gen.Load() > gen {
			picked = append(picked, r)
		}
	}
	j.mu.Unlock()
	out := make([]CallRecord, len(picked))
	for i, r := range picked {
		out[i] = r.snapshot()
	}
	return Changes{Calls: out, Gen: now, FirstID: first}
}

func (j *journal) byID(id uint64) (CallRecord, bool) {
	j.mu.Lock()
	kept := j.kept()
	var found *record
	// IDs rise with position, so search.
	lo, hi := 0, len(kept)
	for lo < hi {
		mid := (lo + hi) / 2
		if kept[mid].id < id {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(kept) && kept[lo].id == id {
		found = kept[lo]
	}
	j.mu.Unlock()
	if found == nil {
		return CallRecord{}, false
	}
	return found.snapshot(), true
}

// touch marks r changed now and wakes the watchers.
func (j *journal) touch(r *record) {
	r.gen.Store(j.gen.Add(1))
	j.watch.notify()
}

package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/grpcdouble/grpcdouble/internal/webpage"
)

const (
	// eventsInterval is the least time between two batches of the event
	// stream: changes in between coalesce into the next batch, so a burst
	// of calls costs a reader one batch, not one event a call.
	eventsInterval = 100 * time.Millisecond
	// eventsBatch bounds one batch. When more calls changed, the newest
	// are sent and the rest counted as coalesced, so neither a fast server
	// nor a slow reader makes a batch grow without bound.
	eventsBatch = 500
	// eventsHeartbeat keeps idle streams (and proxies) from timing out.
	eventsHeartbeat = 15 * time.Second
)

// pageCSP lets the page load only its own files and talk only to its own
// server.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// withPage serves the web page, which holds no data and so needs no token
// (it asks for one), in front of the API.
func (a *API) withPage(api http.Handler) http.Handler {
	files := http.StripPrefix("/ui/", http.FileServerFS(webpage.FS()))
	top := http.NewServeMux()
	top.Handle("GET /ui/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", pageCSP)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		files.ServeHTTP(w, r)
	}))
	top.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	top.Handle("/", api)
	return top
}

// pageRoutes adds what the page needs beyond the rest of the API.
func (a *API) pageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /calls/{id}", a.getCall)
	mux.HandleFunc("GET /events", a.getEvents)
}

func (a *API) getCall(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("call id %q: want a number, as in GET /calls", r.PathValue("id")))
		return
	}
	rec, ok := a.srv.Call(id)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no call %d in the journal (reset, or dropped as the journal filled)", id))
		return
	}
	writeJSON(w, http.StatusOK, a.callJSON(rec))
}

// eventBatch is one "calls" event of GET /events.
type eventBatch struct {
	Gen       uint64            `json:"gen"`
	FirstID   uint64            `json:"firstId"`
	Calls     []webpage.Summary `json:"calls"`
	Coalesced int               `json:"coalesced,omitempty"`
}

// getEvents streams Server-Sent Events: a "calls" event with the summary
// of every call that began or ended since the last one. The first event
// holds the journal as it is.
func (a *API) getEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "this connection cannot stream events")
		return
	}
	ctx := r.Context()
	changes := a.srv.WatchCalls(ctx)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	rc := http.NewResponseController(w)

	var gen uint64
	send := func() error {
		ch := a.srv.CallsSince(gen)
		gen = ch.Gen
		b := eventBatch{Gen: ch.Gen, FirstID: ch.FirstID, Calls: []webpage.Summary{}}
		calls := ch.Calls
		if len(calls) > eventsBatch {
			b.Coalesced = len(calls) - eventsBatch
			calls = calls[len(calls)-eventsBatch:]
		}
		for _, c := range calls {
			sum := webpage.SummaryOf(c)
			sum.Message = a.scrub(sum.Message) // a miss's status names what the call sent
			b.Calls = append(b.Calls, sum)
		}
		data, err := json.Marshal(b)
		if err != nil {
			return err
		}
		// A reader that stops reading must not hold this goroutine for ever.
		_ = rc.SetWriteDeadline(time.Now().Add(eventsHeartbeat))
		if _, err := fmt.Fprintf(w, "event: calls\ndata: %s\n\n", data); err != nil {
			return err
		}
		flusher.Flush()
		return nil
	}
	if send() != nil {
		return
	}
	heartbeat := time.NewTicker(eventsHeartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.streamsDone():
			return
		case <-heartbeat.C:
			_ = rc.SetWriteDeadline(time.Now().Add(eventsHeartbeat))
			if _, err := fmt.Fprint(w, ": still here\n\n"); err != nil {
				return
			}
			flusher.Flush()
		case <-changes:
			if send() != nil {
				return
			}
			// Coalesce what happens next into one batch.
			t := time.NewTimer(eventsInterval)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// CloseStreams ends every event stream (GET /events), which otherwise runs
// until its client goes: call it when the server shuts down, as with
// http.Server.RegisterOnShutdown, or Shutdown waits for the streams.
func (a *API) CloseStreams() {
	a.closeOnce.Do(func() { close(a.streamsDone()) })
}

func (a *API) streamsDone() chan struct{} {
	a.doneOnce.Do(func() { a.done = make(chan struct{}) })
	return a.done
}

package record

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// DefaultRedacted are common metadata keys whose values are redacted unless
// Keep says otherwise.
var DefaultRedacted = cassette.DefaultRedacted

// Sink receives finished interactions; *cassette.Writer is one. Write may
// be called from many goroutines at once.
type Sink interface {
	Write(in *cassette.Interaction) error
}

// Recorder captures calls and writes them to a Sink, after redaction.
// It is safe for concurrent use.
type Recorder struct {
	cfg    *config
	sink   Sink
	closer func() error
	redact map[string]bool // Redact's keys
	keep   map[string]bool // Keep's keys

	mu     sync.Mutex
	err    error
	n      int
	failed int
}

// New returns a Recorder writing to sink.
func New(sink Sink, opts ...Option) *Recorder {
	cfg := newConfig(opts)
	r := &Recorder{cfg: cfg, sink: sink, redact: map[string]bool{}, keep: map[string]bool{}}
	for _, k := range cfg.redact {
		r.redact[strings.ToLower(k)] = true
	}
	for _, k := range cfg.keep {
		r.keep[strings.ToLower(k)] = true
		delete(r.redact, strings.ToLower(k))
	}
	return r
}

// Create starts a new cassette file at path (replacing any) and returns a
// Recorder writing to it; Close closes the file.
func Create(path string, opts ...Option) (*Recorder, error) {
	return openFile(cassette.Create, path, opts)
}

// Append continues the cassette at path (creating it when missing) and
// returns a Recorder writing to it; Close closes the file.
func Append(path string, opts ...Option) (*Recorder, error) {
	return openFile(cassette.Append, path, opts)
}

func openFile(open func(string, ...cassette.WriterOption) (*cassette.Writer, error), path string, opts []Option) (*Recorder, error) {
	w, err := open(path, newConfig(opts).writerOpts...)
	if err != nil {
		return nil, err
	}
	r := New(w, opts...)
	r.closer = w.Close
	return r, nil
}

// Close closes the cassette file when the Recorder opened it, and returns
// the first error any write met.
func (r *Recorder) Close() error {
	var err error
	if r.closer != nil {
		err = r.closer()
	}
	return errors.Join(r.Err(), err)
}

// Err is the first error a write met, or nil. Writes happen on the calls'
// goroutines, so this is where a test finds out.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Failed is how many interactions the Sink failed to write.
func (r *Recorder) Failed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// Recorded is how many interactions were written.
func (r *Recorder) Recorded() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// save runs the hooks and the redaction, then writes.
func (r *Recorder) save(in *cassette.Interaction) {
	for _, h := range r.cfg.afterCapture {
		h(in)
	}
	r.redactMD(in.Metadata)
	r.redactMD(in.Trailer)
	for i := range in.Events {
		r.redactMD(in.Events[i].Metadata)
	}
	for _, h := range r.cfg.beforeSave {
		h(in)
	}
	err := r.sink.Write(in)
	if err != nil {
		for _, f := range r.cfg.onWriteError {
			f(in, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failed++
		if r.err == nil {
			r.err = err
		}
		return
	}
	r.n++
}

// redacts reports whether the key's values are written as Redacted: a
// key Redact named, or one cassette.DefaultRedacts reports, unless Keep
// named it.
func (r *Recorder) redacts(k string) bool {
	if r.keep[k] {
		return false
	}
	return r.redact[k] || cassette.DefaultRedacts(k)
}

func (r *Recorder) redactMD(md metadata.MD) { cassette.RedactMD(md, r.redacts) }

// cleanMD copies md without transport headers.
func cleanMD(md metadata.MD) metadata.MD {
	out := make(metadata.MD, len(md))
	for k, vs := range md {
		k = strings.ToLower(k)
		if cassette.TransportHeader(k) {
			continue
		}
		out[k] = append(out[k], vs...)
	}
	return out
}

// capture builds one interaction as the call runs.
type capture struct {
	r     *Recorder
	mu    sync.Mutex
	start time.Time
	in    *cassette.Interaction
	done  bool
}

func (r *Recorder) begin(ctx context.Context, method string, kind mockserver.Kind, md metadata.MD) *capture {
	if r == nil {
		return nil
	}
	c := &capture{r: r, start: time.Now(), in: &cassette.Interaction{
		Method:   method,
		Kind:     kind.String(),
		Metadata: cleanMD(md),
	}}
	if d, ok := ctx.Deadline(); ok && r.cfg.timing {
		c.in.Timeout = max(time.Until(d), time.Nanosecond)
	}
	return c
}

func (c *capture) event(e cassette.Event) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	if c.r.cfg.timing {
		e.At = time.Since(c.start)
	}
	c.in.Events = append(c.in.Events, e)
}

func (c *capture) message(t cassette.EventType, m proto.Message) {
	if c == nil {
		return
	}
	c.event(cassette.Event{Type: t, Message: cassette.NewMessage(m)})
}

func (c *capture) header(md metadata.MD) {
	if c == nil {
		return
	}
	c.event(cassette.Event{Type: cassette.Header, Metadata: cleanMD(md)})
}

// deadlineSlack is how close to its deadline a call cancelled on the
// server side counts as having run out of time. A client whose deadline
// passes resets the stream; the server's copy of the deadline was
// re-anchored on arrival (it travels as a timeout) and so ends a little
// later, and the reset usually wins: the server's context says "canceled"
// although the client's deadline is what ended the call.
const deadlineSlack = 100 * time.Millisecond

// cancelReason says why ctx ended: "" while it has not, "deadline
// exceeded", or "canceled".
func cancelReason(ctx context.Context) string {
	err := ctx.Err()
	if err == nil {
		return ""
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "deadline exceeded"
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) < deadlineSlack {
		return "deadline exceeded"
	}
	return "canceled"
}

// proxyEndReason is cancelReason for a proxied call that ended with st:
// a DeadlineExceeded or Canceled from the upstream within deadlineSlack of
// the call's deadline, or past it, is the client's deadline passing too.
// The upstream's copy of the deadline (re-anchored later) may fire before
// the proxy's own timer has run, so the proxy's context can still be live
// after its deadline; and a grpc-go upstream ends a call at its deadline
// by resetting the stream with CANCEL and cancelling its handler's
// context, so it answers Canceled as often as DeadlineExceeded.
func proxyEndReason(ctx context.Context, st *status.Status) string {
	if r := cancelReason(ctx); r != "" {
		return r
	}
	if d, ok := ctx.Deadline(); ok && (st.Code() == codes.DeadlineExceeded || st.Code() == codes.Canceled) && time.Until(d) < deadlineSlack {
		return "deadline exceeded"
	}
	return ""
}

// canceled records the client's cancel, if ctx ended.
func (c *capture) canceled(ctx context.Context) { c.cancelEvent(cancelReason(ctx)) }

// cancelEvent records the client's cancel for the reason given ("": none).
func (c *capture) cancelEvent(reason string) {
	if c == nil || reason == "" {
		return
	}
	c.event(cassette.Event{Type: cassette.Cancel, Reason: reason})
}

// finish ends the capture and saves it, once.
func (c *capture) finish(trailer metadata.MD, st *status.Status) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		return
	}
	c.done = true
	c.in.Trailer = cleanMD(trailer)
	if len(c.in.Trailer) == 0 {
		c.in.Trailer = nil
	}
	if st != nil && st.Code() == codes.OK {
		st = nil
	}
	c.in.Status = cassette.StatusOf(st)
	if c.r.cfg.timing {
		c.in.Duration = time.Since(c.start)
	}
	in := c.in
	c.mu.Unlock()
	c.r.save(in)
}

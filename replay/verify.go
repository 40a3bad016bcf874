package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// ErrCheckSetup is wrapped by the error Check returns when its options do
// not fit the cassette or the descriptors: an IgnoreField naming no field,
// an AllowMethod naming no method of the cassette.
var ErrCheckSetup = errors.New("bad check option")

// CheckOption configures Check and Verify.
type CheckOption interface{ applyCheck(*checkConfig) }

type checkOptionFunc func(*checkConfig)

func (f checkOptionFunc) applyCheck(c *checkConfig) { f(c) }

type checkConfig struct {
	methods       mockserver.Methods
	allow         []string
	ignoreFields  []string
	ignoreHeaders map[string]bool
	set           metadata.MD
	stepTimeout   time.Duration
	callTimeout   time.Duration
}

// WithDescriptors looks the cassette's methods up in m (a
// *mockserver.Server, descriptors loaded from .proto files, ...) instead of
// among the compiled Go types.
func WithDescriptors(m mockserver.Methods) CheckOption {
	return checkOptionFunc(func(c *checkConfig) { c.methods = m })
}

// AllowMethod verifies the calls to these methods even though their
// .proto does not mark them safe to repeat. By default only methods with
// option idempotency_level = NO_SIDE_EFFECTS or IDEMPOTENT are called;
// every other interaction is skipped. A name the cassette has no call to
// is an error (ErrCheckSetup).
func AllowMethod(names ...string) CheckOption {
	return checkOptionFunc(func(c *checkConfig) { c.allow = append(c.allow, names...) })
}

// IgnoreField leaves a field out of the comparison wherever its message
// appears in an answer (server messages and status details): name is
// "pkg.Message.field", for fields that change by nature (ids, timestamps,
// ETags). A name that is no field is an error (ErrCheckSetup).
func IgnoreField(name string) CheckOption {
	return checkOptionFunc(func(c *checkConfig) { c.ignoreFields = append(c.ignoreFields, name) })
}

// IgnoreHeader leaves these keys of the response headers and trailers out
// of the comparison.
func IgnoreHeader(keys ...string) CheckOption {
	return checkOptionFunc(func(c *checkConfig) {
		for _, k := range keys {
			c.ignoreHeaders[strings.ToLower(k)] = true
		}
	})
}

// SetMetadata sends these values for key in every request, in place of
// the recorded ones. It is how credentials reach the live service: a value
// recorded as cassette.Redacted is never sent, and without SetMetadata its
// key is left out of the request.
func SetMetadata(key string, values ...string) CheckOption {
	return checkOptionFunc(func(c *checkConfig) { c.set[strings.ToLower(key)] = values })
}

// StepTimeout bounds how long a bidirectional or client stream waits for a
// server message the recording shows before the client's next message
// (default 5s). When the live service sends nothing in that time the
// interleaving differs: that is reported, and the client carries on.
func StepTimeout(d time.Duration) CheckOption {
	return checkOptionFunc(func(c *checkConfig) { c.stepTimeout = d })
}

// CallTimeout is the deadline of each call whose recording has none
// (default 30s); a recorded timeout is used as it was.
func CallTimeout(d time.Duration) CheckOption {
	return checkOptionFunc(func(c *checkConfig) { c.callTimeout = d })
}

func newCheckConfig(opts []CheckOption) *checkConfig {
	c := &checkConfig{ignoreHeaders: map[string]bool{}, set: metadata.MD{}, stepTimeout: 5 * time.Second, callTimeout: 30 * time.Second}
	for _, o := range opts {
		o.applyCheck(c)
	}
	return c
}

// Verify checks the cassette at path against the live service on conn,
// as a contract test: every drift, and every interaction that could not be
// checked, is one test failure (t.Errorf) naming the file, the line and
// what differs; skipped interactions are logged. A cassette that does not
// load, or a bad option, stops the test (t.Fatalf). It returns the report.
//
// (Handler.Verify is another thing: the misses of a replay.)
func Verify(t testing.TB, path string, conn grpc.ClientConnInterface, opts ...CheckOption) *Report {
	t.Helper()
	c, err := cassette.Load(path)
	if err != nil {
		t.Fatalf("replay.Verify: %v", err)
		return nil
	}
	rep, err := Check(t.Context(), c, conn, opts...)
	if err != nil {
		t.Fatalf("replay.Verify: %v", err)
		return nil
	}
	if len(rep.Ignores) > 0 {
		t.Logf("replay.Verify %s: ignoring %s", path, strings.Join(rep.Ignores, ", "))
	}
	for _, r := range rep.Results {
		switch r.Outcome {
		case Drift, Failed:
			t.Errorf("replay.Verify: %s", r)
		case Skipped:
			t.Logf("replay.Verify: %s", r)
		}
	}
	return rep
}

// Check sends the requests of each recorded interaction to the live
// service on conn and compares its answers with the recording: the server
// messages (as proto diffs), the response headers and trailers, and the
// status (code, message and details). Streams are sent in the recorded
// interleaving: a client message the recording shows after a server
// message is sent once the live service has sent that message (or
// StepTimeout passed, which is reported), and response headers recorded
// before a client message (no server message between) are awaited the same
// way, so headers that now wait for the client are reported too, and
// Update moves them where they came. A call the client cancelled when
// recorded is cancelled at the same point, and its status not compared.
//
// Only methods marked safe to repeat (idempotency_level NO_SIDE_EFFECTS or
// IDEMPOTENT) are called, unless AllowMethod names them; the others are
// Skipped. Check returns an error only for options that do not fit
// (ErrCheckSetup); what goes wrong with one interaction is in its Result.
func Check(ctx context.Context, c *cassette.Cassette, conn grpc.ClientConnInterface, opts ...CheckOption) (*Report, error) {
	cfg := newCheckConfig(opts)
	ck := &checker{cfg: cfg, conn: conn, methods: cfg.methods, allow: map[string]bool{}}
	if ck.methods == nil {
		ck.methods = compiledMethods{}
	}
	rep := &Report{Path: c.Path}
	if err := ck.setup(c, rep); err != nil {
		return nil, err
	}
	for _, in := range c.Interactions {
		rep.Results = append(rep.Results, ck.check(ctx, c.Path, in))
	}
	return rep, nil
}

type checker struct {
	cfg     *checkConfig
	conn    grpc.ClientConnInterface
	methods mockserver.Methods
	allow   map[string]bool
	ignore  []protoreflect.FieldDescriptor
}

// setup checks the options against the cassette and the descriptors.
func (ck *checker) setup(c *cassette.Cassette, rep *Report) error {
	recorded := map[string]bool{}
	var names []string
	for _, in := range c.Interactions {
		if !recorded[in.Method] {
			recorded[in.Method] = true
			names = append(names, in.Method)
		}
	}
	slices.Sort(names)
	for _, a := range ck.cfg.allow {
		full, err := mockserver.NormalizeMethod(a)
		if err != nil {
			return fmt.Errorf("replay: %w: AllowMethod %q: %v", ErrCheckSetup, a, err)
		}
		if _, err := ck.methods.Method(full); err != nil {
			return fmt.Errorf("replay: %w: AllowMethod %q: %v", ErrCheckSetup, a, err)
		}
		if !recorded[full] {
			return fmt.Errorf("replay: %w: AllowMethod %q: %s holds no call to it (it holds %s)", ErrCheckSetup, a, c.Path, strings.Join(names, ", "))
		}
		ck.allow[full] = true
	}
	for _, name := range ck.cfg.ignoreFields {
		fd, err := ck.findField(name, names)
		if err != nil {
			return fmt.Errorf("replay: %w: IgnoreField %q: %v", ErrCheckSetup, name, err)
		}
		ck.ignore = append(ck.ignore, fd)
		rep.Ignores = append(rep.Ignores, "field "+string(fd.FullName()))
	}
	keys := make([]string, 0, len(ck.cfg.ignoreHeaders))
	for k := range ck.cfg.ignoreHeaders {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		rep.Ignores = append(rep.Ignores, "header "+k)
	}
	return nil
}

// findField resolves "pkg.Msg.field" among the messages the cassette's
// methods use (and the compiled Go types, for status details).
func (ck *checker) findField(name string, methods []string) (protoreflect.FieldDescriptor, error) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || i == len(name)-1 {
		return nil, errors.New("want pkg.Message.field")
	}
	msgName, field := protoreflect.FullName(name[:i]), name[i+1:]
	seen := map[protoreflect.FullName]protoreflect.MessageDescriptor{}
	for _, m := range methods {
		if md, err := ck.methods.Method(m); err == nil {
			reachable(md.Input(), seen)
			reachable(md.Output(), seen)
		}
	}
	msg := seen[msgName]
	if msg == nil {
		if mt, err := protoregistry.GlobalTypes.FindMessageByName(msgName); err == nil {
			msg = mt.Descriptor()
		}
	}
	if msg == nil {
		have := make([]string, 0, len(seen))
		for n := range seen {
			have = append(have, string(n))
		}
		slices.Sort(have)
		return nil, fmt.Errorf("no message %s in the cassette's methods (they use %s)", msgName, strings.Join(have, ", "))
	}
	fd := msg.Fields().ByName(protoreflect.Name(field))
	if fd == nil {
		fd = msg.Fields().ByJSONName(field)
	}
	if fd == nil {
		var have []string
		for j := 0; j < msg.Fields().Len(); j++ {
			have = append(have, string(msg.Fields().Get(j).Name()))
		}
		return nil, fmt.Errorf("message %s has no field %q (it has %s)", msgName, field, strings.Join(have, ", "))
	}
	return fd, nil
}

func reachable(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]protoreflect.MessageDescriptor) {
	if md == nil || seen[md.FullName()] != nil {
		return
	}
	seen[md.FullName()] = md
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		if fd.IsMap() {
			fd = fd.MapValue()
		}
		reachable(fd.Message(), seen)
	}
}

// compiledMethods finds methods among the compiled Go types.
type compiledMethods struct{}

func (compiledMethods) Method(name string) (protoreflect.MethodDescriptor, error) {
	full, err := mockserver.NormalizeMethod(name)
	if err != nil {
		return nil, err
	}
	svc, m, _ := strings.Cut(strings.TrimPrefix(full, "/"), "/")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return nil, fmt.Errorf("%w: service %s is not among the compiled Go types (import its generated package, or pass replay.WithDescriptors)", mockserver.ErrServiceNotFound, svc)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a service", mockserver.ErrServiceNotFound, svc)
	}
	md := sd.Methods().ByName(protoreflect.Name(m))
	if md == nil {
		return nil, fmt.Errorf("%w: service %s has no method %s", mockserver.ErrUnknownMethod, svc, m)
	}
	return md, nil
}

// safe reports whether a method's .proto marks it safe to call again.
func safe(md protoreflect.MethodDescriptor) bool {
	opts, ok := md.Options().(*descriptorpb.MethodOptions)
	if !ok || opts == nil {
		return false
	}
	switch opts.GetIdempotencyLevel() {
	case descriptorpb.MethodOptions_NO_SIDE_EFFECTS, descriptorpb.MethodOptions_IDEMPOTENT:
		return true
	}
	return false
}

// check verifies one interaction.
func (ck *checker) check(ctx context.Context, path string, in *cassette.Interaction) *Result {
	r := &Result{Interaction: in, Where: in.Where(path), File: path, Line: in.Line, Index: in.Index, Method: in.Method, Kind: in.Kind}
	md, err := ck.methods.Method(in.Method)
	if err != nil {
		r.Outcome, r.Reason = Failed, fmt.Sprintf("the live service's descriptors have no such method: %v", err)
		return r
	}
	if kind := mockserver.KindOf(md).String(); in.Kind != "" && in.Kind != kind {
		r.Outcome, r.Reason = Failed, fmt.Sprintf("recorded as a %s call, but the method is %s now", in.Kind, kind)
		return r
	}
	r.Kind = mockserver.KindOf(md).String()
	if !safe(md) && !ck.allow[in.Method] {
		r.Outcome = Skipped
		r.Reason = "not marked idempotency_level NO_SIDE_EFFECTS or IDEMPOTENT, so it may have side effects; allow it by name to verify it (--method, replay.AllowMethod)"
		return r
	}
	rec, err := decodeRecorded(in, md)
	if err != nil {
		r.Outcome, r.Reason = Failed, err.Error()
		return r
	}
	live := ck.call(ctx, in, md, rec, r)
	ck.compare(in, rec, live, r)
	if len(r.Diffs) > 0 {
		r.Outcome = Drift
		r.Live = updated(in, live)
	} else {
		r.Outcome = Match
	}
	return r
}

// recorded is an interaction's messages, decoded.
type recorded struct {
	client  []proto.Message // by client_message event, in order
	server  []proto.Message
	status  *status.Status
	in, out protoreflect.MessageType
}

func decodeRecorded(in *cassette.Interaction, md protoreflect.MethodDescriptor) (*recorded, error) {
	rec := &recorded{in: messageType(md.Input()), out: messageType(md.Output())}
	for i, e := range in.Events {
		switch e.Type {
		case cassette.ClientMessage:
			m, err := e.Message.Decode(rec.in)
			if err != nil {
				return nil, fmt.Errorf("events[%d].message: %w", i, err)
			}
			rec.client = append(rec.client, m)
		case cassette.ServerMessage:
			m, err := e.Message.Decode(rec.out)
			if err != nil {
				return nil, fmt.Errorf("events[%d].message: %w", i, err)
			}
			rec.server = append(rec.server, m)
		}
	}
	st, err := in.Status.Proto()
	if err != nil {
		return nil, err
	}
	rec.status = st
	return rec, nil
}

// liveCall is what the live service answered.
type liveCall struct {
	header    metadata.MD
	hasHeader bool
	// headerLate: the headers were recorded before a client event, and
	// the live service had sent none when the client carried on.
	headerLate bool
	msgs       []proto.Message
	ended      bool
	status     *status.Status
	trailer    metadata.MD
	cancelled  string // the recorded reason the client ended the call; "" when it did not
}

type liveEvent struct {
	header  metadata.MD
	isHdr   bool
	msg     proto.Message
	end     bool
	status  *status.Status
	trailer metadata.MD
}

// outgoing is the request metadata to send: the recorded, minus transport
// headers and redacted values, with SetMetadata's on top.
func (ck *checker) outgoing(in *cassette.Interaction, r *Result) metadata.MD {
	md := metadata.MD{}
	for k, vs := range in.Metadata {
		if cassette.TransportHeader(k) {
			continue
		}
		if _, ok := ck.cfg.set[k]; ok {
			continue
		}
		if redacted(vs) {
			r.Notes = append(r.Notes, fmt.Sprintf("request metadata %q was recorded as %s and no value was given for it (--header, replay.SetMetadata): sent without it", k, cassette.Redacted))
			continue
		}
		md[k] = slices.Clone(vs)
	}
	for k, vs := range ck.cfg.set {
		md[k] = slices.Clone(vs)
	}
	return md
}

func redacted(vs []string) bool {
	if len(vs) == 0 {
		return false
	}
	for _, v := range vs {
		if v != cassette.Redacted {
			return false
		}
	}
	return true
}

// call makes the recorded call on the live service.
func (ck *checker) call(ctx context.Context, in *cassette.Interaction, md protoreflect.MethodDescriptor, rec *recorded, r *Result) *liveCall {
	timeout := ck.cfg.callTimeout
	if in.Timeout > 0 {
		timeout = in.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctx = metadata.NewOutgoingContext(ctx, ck.outgoing(in, r))
	live := &liveCall{}
	desc := &grpc.StreamDesc{StreamName: string(md.Name()), ServerStreams: md.IsStreamingServer(), ClientStreams: md.IsStreamingClient()}
	cs, err := ck.conn.NewStream(ctx, desc, in.Method)
	if err != nil {
		live.ended, live.status = true, status.Convert(err)
		return live
	}
	events := make(chan liveEvent, 8)
	received := make(chan struct{})
	go func() {
		defer close(received)
		emit := func(e liveEvent) bool {
			select {
			case events <- e:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if h, err := cs.Header(); err == nil && h != nil {
			if !emit(liveEvent{isHdr: true, header: responseMD(h)}) {
				return
			}
		}
		for {
			m := rec.out.New().Interface()
			err := cs.RecvMsg(m)
			if err != nil {
				st := status.New(0, "")
				if !errors.Is(err, io.EOF) {
					st = status.Convert(err)
				}
				emit(liveEvent{end: true, status: st, trailer: responseMD(cs.Trailer())})
				return
			}
			if !emit(liveEvent{msg: m}) {
				return
			}
		}
	}()
	defer func() {
		cancel()
		<-received
	}()

	take := func(e liveEvent) {
		switch {
		case e.isHdr:
			live.header, live.hasHeader = e.header, true
		case e.end:
			live.ended, live.status, live.trailer = true, e.status, e.trailer
		default:
			live.msgs = append(live.msgs, e.msg)
		}
	}
	// until reads live events until done says so, the call ended, or
	// wait passed (wait 0: no limit but the call's deadline).
	until := func(done func() bool, wait time.Duration) bool {
		var timeout <-chan time.Time
		if wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			timeout = t.C
		}
		for !done() && !live.ended {
			select {
			case e := <-events:
				take(e)
			case <-received:
				// The receiver stopped: take what it left, and if the
				// end was not among it, the call's context ended it.
				for len(events) > 0 {
					take(<-events)
				}
				if !live.ended {
					live.ended, live.status = true, status.FromContextError(ctx.Err())
				}
			case <-timeout:
				return false
			}
		}
		return true
	}
	// await reads live events until n server messages came.
	await := func(n int, wait time.Duration) bool {
		return until(func() bool { return len(live.msgs) >= n }, wait)
	}
	lastClient := -1
	for i, e := range in.Events {
		if e.Type == cassette.ClientMessage || e.Type == cassette.HalfClose {
			lastClient = i
		}
	}
	sent, srv, sendFailed := 0, 0, false
	for i, e := range in.Events {
		switch e.Type {
		case cassette.ClientMessage:
			m := rec.client[sent]
			sent++
			if sendFailed || live.ended {
				continue
			}
			if err := cs.SendMsg(m); err != nil {
				sendFailed = true // the status comes from the receiver
			}
		case cassette.HalfClose:
			if !sendFailed && !live.ended {
				_ = cs.CloseSend()
			}
		case cassette.Header:
			// Headers recorded before a client event, with no server
			// message between (which would wait for them too): the
			// service sent them before it heard more from the client.
			if i > lastClient || live.ended || !headerAlone(in, i) {
				continue
			}
			if !until(func() bool { return live.hasHeader }, ck.cfg.stepTimeout) {
				live.headerLate = true
				r.Diffs = append(r.Diffs, Difference{
					Part: "interleaving",
					Text: fmt.Sprintf("recorded the response headers before client event #%d; the live service sent none for %s, so the client carried on", clientEventNumber(in, i), ck.cfg.stepTimeout),
				})
			}
		case cassette.ServerMessage:
			srv++
			if i > lastClient || live.ended {
				continue // nothing waits on it: the end of the call collects it
			}
			if !await(srv, ck.cfg.stepTimeout) {
				r.Diffs = append(r.Diffs, Difference{
					Part: "interleaving",
					Text: fmt.Sprintf("recorded server message #%d before client event #%d; the live service sent nothing for %s, so the client carried on", srv, clientEventNumber(in, i), ck.cfg.stepTimeout),
				})
			}
		case cassette.Cancel:
			live.cancelled = e.Reason
			if live.cancelled == "" {
				live.cancelled = "canceled"
			}
			// What the service sent before the client gave up.
			await(srv, ck.cfg.stepTimeout)
			return live
		}
	}
	await(1<<30, 0) // to the end: bounded by the call's deadline
	return live
}

// headerAlone says whether the header event i is followed by a client
// event before any server message.
func headerAlone(in *cassette.Interaction, i int) bool {
	for _, e := range in.Events[i+1:] {
		switch e.Type {
		case cassette.ServerMessage:
			return false
		case cassette.ClientMessage, cassette.HalfClose:
			return true
		}
	}
	return false
}

// clientEventNumber is the number (from 1) of the first client event after
// event i.
func clientEventNumber(in *cassette.Interaction, i int) int {
	n := 0
	for j, e := range in.Events {
		if e.Type == cassette.ClientMessage || e.Type == cassette.HalfClose {
			n++
			if j > i {
				return n
			}
		}
	}
	return n
}

// responseMD copies response metadata without transport headers.
func responseMD(md metadata.MD) metadata.MD {
	out := metadata.MD{}
	for k, vs := range md {
		k = strings.ToLower(k)
		if cassette.TransportHeader(k) {
			continue
		}
		out[k] = append(out[k], vs...)
	}
	return out
}

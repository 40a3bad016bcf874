package expect

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// SessionKey is the request metadata that puts a call in a session:
// "grpcdouble-session: NAME".
const SessionKey = "grpcdouble-session"

// GripmockSessionKey is gripmock's session metadata, accepted when a call
// has no SessionKey, so that gripmock's clients keep their sessions.
const GripmockSessionKey = "x-gripmock-session"

// SessionOf is the session a call with metadata md is in: the first value of
// SessionKey, else of GripmockSessionKey; "" for none (the global session).
func SessionOf(md metadata.MD) string {
	if v := md[SessionKey]; len(v) > 0 {
		return v[0]
	}
	if v := md[GripmockSessionKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

var (
	// ErrUnknownSession: no session has the given name.
	ErrUnknownSession = errors.New("no such session")
	// ErrSessionName: a session name has characters a session name may
	// not have.
	ErrSessionName = errors.New("bad session name")
)

var sessionName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckSessionName reports, wrapping ErrSessionName, why name cannot name a
// session: a name is 1 to 64 letters, digits, '.', '_' or '-', starting with
// a letter or a digit.
func CheckSessionName(name string) error {
	if !sessionName.MatchString(name) {
		return fmt.Errorf("%w %q: want 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", ErrSessionName, name)
	}
	return nil
}

// Sessions lets many users share one server without seeing each other's
// stubs. Each session is a Mock of its own, holding the session's stubs and
// a copy of every global stub, so it has its own hit counts, misses and
// scenario states; a call chooses its session with the metadata SessionKey.
// Calls without it use the global Mock, whose stubs every session sees.
// Within a session, its own stubs are tried before the global ones.
//
// Sessions is a mockserver.Handler. Global stubs are stubs (Stub values,
// from files or AddStubs): a Go-DSL expectation on the global Mock is not
// copied into sessions.
type Sessions struct {
	opts []Option

	mu      sync.Mutex // serializes every change of the stub sets
	methods mockserver.Methods
	files   []Stub // global stubs from files: ReplaceFiles swaps them
	added   []Stub // global stubs added at run time
	byName  sync.Map
	// named holds the IDs the files gave their stubs (FromFiles).
	named atomic.Pointer[map[string]bool]
}

// Session is one session: a Mock, and when it was last used.
type Session struct {
	name    string
	created time.Time
	mock    atomic.Pointer[Mock]
	last    atomic.Int64 // unix nanoseconds of the last call or admin request
	since   atomic.Int64 // unix nanoseconds of the last reset
	own     []Stub       // the session's stubs; under Sessions.mu
	seq     int          // numbers the session's stubs without an ID; under Sessions.mu
}

// NewSessions returns sessions whose Mocks, the global one included, are
// made with opts.
func NewSessions(opts ...Option) *Sessions {
	s := &Sessions{opts: opts}
	g := s.newSession("", time.Now())
	s.byName.Store("", g)
	return s
}

func (s *Sessions) newSession(name string, now time.Time) *Session {
	ss := &Session{name: name, created: now}
	ss.mock.Store(s.newMock(name))
	ss.last.Store(now.UnixNano())
	ss.since.Store(now.UnixNano())
	return ss
}

// newMock makes a Mock for the session named name, whose stubs' effects
// (Then) change that session's stubs.
func (s *Sessions) newMock(name string) *Mock {
	m := NewMock(s.mockOptions()...)
	m.sink = sessionSink{s: s, name: name}
	return m
}

func (s *Sessions) mockOptions() []Option {
	if s.methods == nil {
		return s.opts
	}
	return append(slices.Clone(s.opts), WithResolver(s.methods))
}

// Name is the session's name; "" for the global session.
func (ss *Session) Name() string { return ss.name }

// Mock is the Mock answering the session's calls now. A reset replaces it.
func (ss *Session) Mock() *Mock { return ss.mock.Load() }

// LastUsed is when the session last took a call or an admin request.
func (ss *Session) LastUsed() time.Time { return time.Unix(0, ss.last.Load()) }

// Since is when the session was created or last reset: its calls are the
// journal's calls since then that carry its name.
func (ss *Session) Since() time.Time { return time.Unix(0, ss.since.Load()) }

// Created is when the session started.
func (ss *Session) Created() time.Time { return ss.created }

// ForgetCalls makes the session's journal start now, as a reset does,
// leaving its stubs and counts alone.
func (ss *Session) ForgetCalls() { ss.since.Store(time.Now().UnixNano()) }

// Touch marks the session used now, postponing its expiry.
func (ss *Session) Touch() { ss.last.Store(time.Now().UnixNano()) }

// Global is the session of calls without SessionKey.
func (s *Sessions) Global() *Session {
	g, _ := s.byName.Load("")
	return g.(*Session)
}

// Lookup returns the session named name ("" is the global one), wrapping
// ErrUnknownSession when there is none.
func (s *Sessions) Lookup(name string) (*Session, error) {
	if ss, ok := s.byName.Load(name); ok {
		return ss.(*Session), nil
	}
	if err := CheckSessionName(name); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownSession, name)
}

// Open returns the session named name, creating it (with a copy of every
// global stub) when there is none.
func (s *Sessions) Open(name string) (*Session, error) {
	if ss, ok := s.byName.Load(name); ok {
		ss.(*Session).Touch()
		return ss.(*Session), nil
	}
	if err := CheckSessionName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.byName.Load(name); ok {
		return ss.(*Session), nil
	}
	ss := s.newSession(name, time.Now())
	if err := s.fill(ss.Mock(), nil); err != nil {
		return nil, err
	}
	s.byName.Store(name, ss)
	return ss, nil
}

// fill adds the global stubs to a fresh session Mock, shared, after own,
// and binds it.
func (s *Sessions) fill(m *Mock, own []Stub) error {
	if _, err := m.addStubs(own, false); err != nil {
		return err
	}
	if _, err := m.addStubs(s.global(), true); err != nil {
		return err
	}
	if s.methods != nil {
		return m.Bind(s.methods)
	}
	return nil
}

func (s *Sessions) global() []Stub { return append(slices.Clone(s.files), s.added...) }

// For returns the session a call with metadata md belongs to, creating it
// on its first call.
func (s *Sessions) For(md metadata.MD) (*Session, error) {
	ss, err := s.Open(SessionOf(md))
	if err != nil {
		key := SessionKey
		if len(md[SessionKey]) == 0 {
			key = GripmockSessionKey
		}
		return nil, status.Errorf(codes.InvalidArgument, "grpcdouble: metadata %s: %v", key, err)
	}
	return ss, nil
}

// Handle answers a call with its session's Mock. It implements
// mockserver.Handler; a call with a bad session name gets InvalidArgument.
func (s *Sessions) Handle(c *mockserver.Call) error {
	ss, err := s.For(c.Metadata())
	if err != nil {
		return err
	}
	return ss.Mock().Handle(c)
}

// OverridesBuiltin asks the Mock of the call's session, or the global one
// when the session is not open yet (it would start with the global stubs).
// It implements mockserver.BuiltinOverrider.
func (s *Sessions) OverridesBuiltin(c *mockserver.Call) bool {
	if ss, ok := s.byName.Load(SessionOf(c.Metadata())); ok {
		return ss.(*Session).Mock().OverridesBuiltin(c)
	}
	return s.Global().Mock().OverridesBuiltin(c)
}

// Methods lists the methods of the global stubs. It implements
// mockserver.MethodLister.
func (s *Sessions) Methods() []string { return s.Global().Mock().Methods() }

// Bind binds every session's Mock to the served methods, and the Mocks of
// sessions created later. It implements mockserver.Binder.
func (s *Sessions) Bind(methods mockserver.Methods) error {
	s.mu.Lock()
	s.methods = methods
	s.mu.Unlock()
	var errs []error
	s.each(func(ss *Session) { errs = append(errs, ss.Mock().Bind(methods)) })
	return errors.Join(errs...)
}

func (s *Sessions) each(f func(*Session)) {
	s.byName.Range(func(_, v any) bool { f(v.(*Session)); return true })
}

// AddStubs adds stubs to the session named session, creating it; with ""
// they are global: every session sees them. Nothing is added if any stub
// fails.
func (s *Sessions) AddStubs(session string, stubs ...Stub) ([]string, error) {
	ss, err := s.Open(session)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if session != "" {
		// A session's stubs without an ID are numbered in the session's
		// name, so no global stub's number can collide with them.
		stubs = slices.Clone(stubs)
		for i := range stubs {
			if stubs[i].ID == "" {
				ss.seq++
				stubs[i].ID = session + "-" + strconv.Itoa(ss.seq)
			}
		}
		ids, err := ss.Mock().addStubs(stubs, false)
		if err != nil {
			return nil, err
		}
		ss.own = append(ss.own, stubs...)
		return ids, nil
	}
	for _, st := range stubs {
		if st.ID == "" {
			continue
		}
		var taken []string
		s.each(func(o *Session) {
			if o.name != "" && slices.ContainsFunc(o.own, func(x Stub) bool { return x.ID == st.ID }) {
				taken = append(taken, o.name)
			}
		})
		if len(taken) > 0 {
			sort.Strings(taken)
			return nil, fmt.Errorf("%w: %s: stub id %q is taken in session %q", ErrStubFile, st.Source(), st.ID, taken[0])
		}
	}
	ids, err := ss.Mock().addStubs(stubs, false)
	if err != nil {
		return nil, err
	}
	// Sessions copy the stubs under the IDs the global Mock gave them.
	named := withIDs(stubs, ids)
	s.added = append(s.added, named...)
	s.each(func(o *Session) {
		if o.name != "" {
			_, _ = o.Mock().addStubs(named, true)
		}
	})
	return ids, nil
}

// Delete deletes a stub: a session's own stub, or with session "" a global
// one, from every session. It wraps ErrUnknownStub when there is none, and
// ErrUnknownSession when there is no such session.
func (s *Sessions) Delete(session, id string) error {
	ss, err := s.Lookup(session)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if session != "" {
		i := slices.IndexFunc(ss.own, func(x Stub) bool { return x.ID == id })
		if i < 0 {
			if slices.ContainsFunc(s.global(), func(x Stub) bool { return x.ID == id }) {
				return fmt.Errorf("%w: %q is a global stub: delete it without a session", ErrUnknownStub, id)
			}
			return fmt.Errorf("%w: %q in session %q", ErrUnknownStub, id, session)
		}
		if err := ss.Mock().Delete(id); err != nil {
			return err
		}
		ss.own = slices.Delete(ss.own, i, i+1)
		return nil
	}
	if err := ss.Mock().Delete(id); err != nil {
		return err
	}
	drop := func(x Stub) bool { return x.ID == id }
	s.files = slices.DeleteFunc(s.files, drop)
	s.added = slices.DeleteFunc(s.added, drop)
	s.each(func(o *Session) {
		if o.name != "" {
			_ = o.Mock().Delete(id)
		}
	})
	return nil
}

// Reset resets one session: its Mock is replaced by a fresh one with the
// global stubs (and counts, misses and scenario states start again), and
// its journal starts now. Resetting the global session ("") also drops the
// global stubs added at run time, from every session.
func (s *Sessions) Reset(session string) error {
	ss, err := s.Lookup(session)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if session == "" {
		ids := make([]string, len(s.added))
		for i, st := range s.added {
			ids[i] = st.ID
		}
		s.added = nil
		s.each(func(o *Session) {
			if o.name != "" {
				_, _ = o.Mock().replaceStubs(ids, nil, true)
			}
		})
	}
	m := s.newMock(session)
	if session == "" {
		_, err = m.addStubs(s.global(), false)
		if err == nil && s.methods != nil {
			err = m.Bind(s.methods)
		}
	} else {
		ss.own = nil
		err = s.fill(m, nil)
	}
	if err != nil {
		return err
	}
	ss.mock.Store(m)
	ss.since.Store(time.Now().UnixNano())
	return nil
}

// Drop ends a session; its calls then start a new one. The global session
// cannot be dropped.
func (s *Sessions) Drop(name string) error {
	if name == "" {
		return errors.New("the global session cannot be dropped")
	}
	if _, ok := s.byName.LoadAndDelete(name); !ok {
		return fmt.Errorf("%w %q", ErrUnknownSession, name)
	}
	return nil
}

// List returns the sessions other than the global one, by name.
func (s *Sessions) List() []*Session {
	var out []*Session
	s.each(func(o *Session) {
		if o.name != "" {
			out = append(out, o)
		}
	})
	slices.SortFunc(out, func(a, b *Session) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	return out
}

// Expire drops every session unused for ttl or longer before now, and
// returns their names.
func (s *Sessions) Expire(now time.Time, ttl time.Duration) []string {
	var gone []string
	s.each(func(o *Session) {
		if o.name != "" && now.Sub(o.LastUsed()) >= ttl {
			s.byName.Delete(o.name)
			gone = append(gone, o.name)
		}
	})
	sort.Strings(gone)
	return gone
}

// StubChange is what ReplaceFiles changed, by stub ID.
type StubChange struct {
	Added, Removed, Changed []string
}

// ReplaceFiles replaces the global stubs that came from files (the first
// ReplaceFiles call adds them) with stubs, in every session. Each session's
// Mock swaps them at once: a call sees the old set or the new, never a mix.
// A stub unchanged (same definition, same place) keeps its counts. On an
// error nothing changes.
func (s *Sessions) ReplaceFiles(stubs []Stub) (StubChange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.files
	oldIDs := make([]string, len(old))
	for i, st := range old {
		oldIDs[i] = st.ID
	}
	ids, err := s.Global().Mock().replaceStubs(oldIDs, stubs, false)
	if err != nil {
		return StubChange{}, err
	}
	// The global Mock named the new stubs: sessions copy them by those IDs.
	named := withIDs(stubs, ids)
	s.files = named
	given := map[string]bool{}
	for _, st := range stubs {
		if st.ID != "" {
			given[st.ID] = true
		}
	}
	s.named.Store(&given)
	s.each(func(o *Session) {
		if o.name != "" {
			_, _ = o.Mock().replaceStubs(oldIDs, named, true)
		}
	})
	return changeOf(old, named), nil
}

// FromFiles reports whether id names a stub loaded from the files (by
// ReplaceFiles) with an ID of its own: a bounded set, fit to be a metric
// label, unlike the IDs of stubs added at run time.
func (s *Sessions) FromFiles(id string) bool {
	p := s.named.Load()
	return p != nil && (*p)[id]
}

func changeOf(old, cur []Stub) StubChange {
	var c StubChange
	before := map[string]string{}
	for _, st := range old {
		before[st.ID] = st.definition()
	}
	seen := map[string]bool{}
	for _, st := range cur {
		seen[st.ID] = true
		def, ok := before[st.ID]
		switch {
		case !ok:
			c.Added = append(c.Added, st.ID)
		case def != st.definition():
			c.Changed = append(c.Changed, st.ID)
		}
	}
	for _, st := range old {
		if !seen[st.ID] {
			c.Removed = append(c.Removed, st.ID)
		}
	}
	return c
}

// withIDs copies stubs with the given IDs.
func withIDs(stubs []Stub, ids []string) []Stub {
	out := slices.Clone(stubs)
	for i := range out {
		out[i].ID = ids[i]
	}
	return out
}

// definition is what makes two stubs the same: where the stub is, and what
// it says.
//
// The stub's YAML is written as a compact key of its nodes, not marshaled
// (marshaling every stub was most of the cost of loading 100,000), and kept
// as its SHA-256: a stub keeps no YAML once parsed.
func (s Stub) definition() string {
	if s.def != "" {
		return s.def
	}
	if s.src == nil || s.src.node == nil {
		return s.Source()
	}
	bp := keyBufs.Get().(*[]byte)
	b := nodeKey((*bp)[:0], s.src.node)
	sum := sha256.Sum256(b)
	*bp = b
	keyBufs.Put(bp)
	return s.Source() + "\n" + string(sum[:])
}

var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// nodeKey appends n's kind, tag and value, and its children's, each length
// prefixed so that no two different trees write the same key.
func nodeKey(b []byte, n *yaml.Node) []byte {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	b = strconv.AppendInt(b, int64(n.Kind), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(len(n.Tag)), 10)
	b = append(b, ':')
	b = append(b, n.Tag...)
	b = strconv.AppendInt(b, int64(len(n.Value)), 10)
	b = append(b, ':')
	b = append(b, n.Value...)
	b = strconv.AppendInt(b, int64(len(n.Content)), 10)
	b = append(b, '(')
	for _, c := range n.Content {
		b = nodeKey(b, c)
	}
	return append(b, ')')
}

// addStubs is AddStubs, with shared for a session's copies of global stubs.
func (m *Mock) addStubs(stubs []Stub, shared bool) ([]string, error) {
	return m.replaceStubs(nil, stubs, shared)
}

// replaceStubs deletes the expectations with the IDs in remove and adds
// stubs, in one step: each method's expectations change under one lock, and
// no call starts while they do. An expectation whose stub comes again
// unchanged stays, with its counts. Nothing changes on an error.
func (m *Mock) replaceStubs(remove []string, stubs []Stub, shared bool) ([]string, error) {
	return m.replaceStubsUpsert(remove, stubs, shared, false)
}

// replaceStubsUpsert is replaceStubs; with upsert it also deletes the
// expectations with the IDs of stubs, in the same step (then.go).
func (m *Mock) replaceStubsUpsert(remove []string, stubs []Stub, shared, upsert bool) ([]string, error) {
	fresh, err := m.compileStubs(stubs)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	gone := map[*expectation]bool{}
	for _, id := range remove {
		if e := m.ids[id]; e != nil {
			gone[e] = true
		}
	}
	if upsert {
		for _, st := range stubs {
			if e := m.ids[st.ID]; st.ID != "" && e != nil {
				gone[e] = true
			}
		}
	}
	// Keep what comes again unchanged.
	goneByDef := map[string][]*expectation{}
	for o := range gone {
		goneByDef[o.def] = append(goneByDef[o.def], o)
	}
	add := make([]*expectation, 0, len(fresh))
	final := make([]*expectation, len(fresh))
	for i, e := range fresh {
		final[i] = e
		for j, o := range goneByDef[e.def] {
			if gone[o] && (stubs[i].ID == "" || stubs[i].ID == o.id) {
				delete(gone, o)
				goneByDef[e.def] = slices.Delete(goneByDef[e.def], j, j+1)
				final[i] = o
				break
			}
		}
		if final[i] == e {
			e.shared = shared
			e.id = stubs[i].ID
			add = append(add, e)
		}
	}
	// Check the IDs before changing anything: the explicit ones first, so
	// that a number handed out cannot be one a later stub names.
	batch := map[string]string{}
	for _, e := range add {
		if e.id == "" {
			continue
		}
		if o, dup := m.ids[e.id]; dup && !gone[o] {
			return nil, fmt.Errorf("%w: %s: duplicate stub id %q (first at %s)", ErrStubFile, e.source, e.id, o.source)
		}
		if src, dup := batch[e.id]; dup {
			return nil, fmt.Errorf("%w: %s: duplicate stub id %q (first at %s)", ErrStubFile, e.source, e.id, src)
		}
		batch[e.id] = e.source
	}
	for _, e := range add {
		if e.id == "" {
			e.id = m.freeID(batch)
			batch[e.id] = e.source
		} else {
			m.nextID++
		}
		e.seq = m.nextID
	}
	for o := range gone {
		delete(m.ids, o.id)
	}
	for _, e := range add {
		m.ids[e.id] = e
	}
	// Change each method's set under its lock.
	methods := map[string]bool{}
	for e := range gone {
		methods[e.method] = true
	}
	for _, e := range add {
		methods[e.method] = true
	}
	names := make([]string, 0, len(methods))
	for n := range methods {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		set := m.byMethod[name]
		if set == nil {
			set = &methodSet{}
			m.byMethod[name] = set
		}
		set.mu.Lock()
		set.exps = slices.DeleteFunc(set.exps, func(e *expectation) bool { return gone[e] })
		set.changed()
		for _, e := range add {
			if e.method == name {
				set.add(e)
			}
		}
		set.mu.Unlock()
	}
	m.all = slices.DeleteFunc(m.all, func(e *expectation) bool { return gone[e] })
	m.all = append(m.all, add...)
	ids := make([]string, len(final))
	for i, e := range final {
		ids[i] = e.id
	}
	return ids, nil
}

// sessionSink applies a call's effects (Then) to its session's stubs: a
// call in a session changes that session's, a call without one the global
// stubs, in every session.
type sessionSink struct {
	s    *Sessions
	name string
}

func (k sessionSink) putStubs(stubs []Stub) error { return k.s.putStubs(k.name, stubs) }

func (k sessionSink) deleteStubs(ids []string) error {
	for _, id := range ids {
		err := k.s.Delete(k.name, id)
		if k.name != "" && errors.Is(err, ErrUnknownStub) {
			// Not the session's own: its copy of a global stub, hidden in
			// this session alone (until it is reset).
			if ss, lerr := k.s.Lookup(k.name); lerr == nil {
				err = ss.Mock().Delete(id)
			}
		}
		if err != nil && !errors.Is(err, ErrUnknownStub) && !errors.Is(err, ErrUnknownSession) {
			return err
		}
	}
	return nil
}

// putStubs adds stubs to a session ("" global), each replacing the stub with
// its ID, if any, in one step per Mock.
func (s *Sessions) putStubs(session string, stubs []Stub) error {
	ss, err := s.Lookup(session)
	if err != nil {
		return nil // the session was dropped meanwhile: nothing to change
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stubs = slices.Clone(stubs)
	if session != "" {
		for i := range stubs {
			if stubs[i].ID == "" {
				ss.seq++
				stubs[i].ID = session + "-" + strconv.Itoa(ss.seq)
			}
		}
	}
	ids, err := ss.Mock().putStubs(stubs, false)
	if err != nil {
		return err
	}
	named := withIDs(stubs, ids)
	replaced := func(x Stub) bool { return slices.ContainsFunc(named, func(y Stub) bool { return y.ID == x.ID }) }
	if session != "" {
		ss.own = append(slices.DeleteFunc(ss.own, replaced), named...)
		return nil
	}
	s.files = slices.DeleteFunc(s.files, replaced)
	s.added = append(slices.DeleteFunc(s.added, replaced), named...)
	s.each(func(o *Session) {
		if o.name != "" {
			_, _ = o.Mock().putStubs(named, true)
		}
	})
	return nil
}

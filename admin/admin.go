package admin

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/internal/webpage"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/replay"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

// MaxBodyBytes bounds every admin request body; a larger one gets 413.
const MaxBodyBytes = 4 << 20

// API is the HTTP admin API over one server. It is an http.Handler: serve
// it on any listener, or call it from a test through httptest.
type API struct {
	srv      *mockserver.Server
	handler  http.Handler
	cfg      config
	rejected *rejectLog

	done      chan struct{} // closed by CloseStreams
	doneOnce  sync.Once
	closeOnce sync.Once
}

// Option configures an API.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	metrics   http.Handler
	mock      *expect.Mock
	sessions  *expect.Sessions
	files     []string
	format    stubformat.Format
	cassettes func() *replay.Handler
	reset     []func() error
	token     string
	log       *slog.Logger
	// allowHosts are the Host names WithAllowedHosts lets through.
	allowHosts []string
	// showSecrets shows credential metadata in the journal as it is.
	showSecrets bool
}

// WithMock serves the stub endpoints (POST, GET and DELETE /stubs, /verify,
// /explain, /misses) over m. Without it they answer 409 Conflict: a
// recording proxy has no stubs.
func WithMock(m *expect.Mock) Option { return optionFunc(func(c *config) { c.mock = m }) }

// WithSessions serves the stub endpoints over sessions: each request picks
// a session with the query parameter "session" or the header
// grpcdouble-session (expect.SessionKey), and sees that session's stubs,
// counts, misses and calls; with neither it sees the global session. GET
// /sessions lists the sessions and DELETE /sessions/{name} drops one.
// With WithStubFiles, the files are the global stubs (see LoadStubFiles).
func WithSessions(s *expect.Sessions) Option { return optionFunc(func(c *config) { c.sessions = s }) }

// WithStubFiles names the stub files and folders loaded into the Mock at
// start; POST /reset loads them again after dropping every stub. The API
// does not load them itself: LoadStubFiles does.
func WithStubFiles(paths ...string) Option {
	return optionFunc(func(c *config) { c.files = append(c.files, paths...) })
}

// WithStubsFormat reads the WithStubFiles files in format (as
// stubformat.Load does); the default, stubformat.Auto, tells each file's
// format by its shape. Stubs added with POST /stubs are always told by
// their shape: native, gripmock or WireMock (read with format's global
// templating, when it has it: stubformat.Format.WithGlobalTemplating).
func WithStubsFormat(format stubformat.Format) Option {
	return optionFunc(func(c *config) { c.format = format })
}

// WithCassettes tells the API that cassettes answer the methods no stub is
// for: current returns the replay handler serving now (it may change, on a
// reset). GET /misses then lists the calls the cassettes could not answer,
// and POST /explain says when a method is the cassettes'.
func WithCassettes(current func() *replay.Handler) Option {
	return optionFunc(func(c *config) { c.cassettes = current })
}

// OnReset runs f on every POST /reset of the global session, once the stub
// files are read and checked and before the journal and the stubs are
// reset; an error answers 500 with its text and resets nothing else, so f
// should change nothing when it fails (as the command's cassette reload
// keeps the cassettes answering).
func OnReset(f func() error) Option {
	return optionFunc(func(c *config) { c.reset = append(c.reset, f) })
}

// WithMetrics serves h, the Prometheus metrics (package admin/metrics), at
// GET /metrics. Package admin does not link a Prometheus client itself.
func WithMetrics(h http.Handler) Option { return optionFunc(func(c *config) { c.metrics = h }) }

// WithToken demands "Authorization: Bearer TOKEN" on every request; an empty
// token demands nothing.
func WithToken(token string) Option { return optionFunc(func(c *config) { c.token = token }) }

// WithLogger logs what the API changes, and rejected requests, to l. The
// default discards.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.log = l }) }

// New returns the admin API over srv, which serves the Mock given by
// WithMock (if any) and the cassettes given by WithCassettes.
func New(srv *mockserver.Server, opts ...Option) *API {
	a := &API{srv: srv}
	for _, o := range opts {
		o.apply(&a.cfg)
	}
	if a.cfg.log == nil {
		a.cfg.log = slog.New(slog.DiscardHandler)
	}
	a.rejected = &rejectLog{log: a.cfg.log, now: time.Now}
	a.handler = a.routes()
	return a
}

// ServeHTTP answers one admin request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// LoadStubFiles parses the stub files and folders at paths with srv's
// descriptors and adds them to m; errors name file, line and field.
func LoadStubFiles(srv *mockserver.Server, m *expect.Mock, paths ...string) error {
	return (&stubs{mock: m, srv: srv, paths: paths}).load()
}

// ReloadStubFiles parses the stub files and folders at paths with srv's
// descriptors and makes them the global stubs of sessions, in place of the
// ones loaded before (expect.Sessions.ReplaceFiles): every session swaps
// them at once, and on an error, which names file, line and field, nothing
// changes.
func ReloadStubFiles(srv *mockserver.Server, s *expect.Sessions, format stubformat.Format, paths ...string) (expect.StubChange, error) {
	parsed, err := parseStubFiles(srv, format, paths)
	if err != nil {
		return expect.StubChange{}, err
	}
	return s.ReplaceFiles(parsed)
}

// sessionOf is the session a request names: the query parameter "session",
// else the header (grpcdouble-session, or gripmock's X-Gripmock-Session).
func sessionOf(r *http.Request) string {
	if v := r.URL.Query().Get("session"); v != "" {
		return v
	}
	if v := r.Header.Get(expect.SessionKey); v != "" {
		return v
	}
	return r.Header.Get(expect.GripmockSessionKey)
}

// target is the stubs a request is about; on failure it has answered.
// create opens a session that does not exist yet (adding stubs does).
func (a *API) target(w http.ResponseWriter, r *http.Request, create bool) (*stubs, bool) {
	name := sessionOf(r)
	st := &stubs{srv: a.srv, paths: a.cfg.files, format: a.cfg.format, sessions: a.cfg.sessions, name: name}
	switch {
	case a.cfg.sessions != nil:
		open := a.cfg.sessions.Lookup
		if create {
			open = a.cfg.sessions.Open
		}
		ss, err := open(name)
		if err != nil {
			code := http.StatusNotFound
			if errors.Is(err, expect.ErrSessionName) {
				code = http.StatusBadRequest
			} else {
				err = fmt.Errorf("%w (GET /sessions lists the sessions; adding a stub with POST /stubs?session=%s starts one)", err, name)
			}
			writeError(w, code, "session: "+err.Error())
			return nil, false
		}
		ss.Touch()
		st.session, st.mock = ss, ss.Mock()
	case name != "":
		writeError(w, http.StatusNotFound, fmt.Sprintf("session: %v %q: this server has no sessions", expect.ErrUnknownSession, name))
		return nil, false
	default:
		st.mock = a.cfg.mock
	}
	if a.cfg.cassettes != nil && st.mock != nil {
		m := st.mock
		st.routesToCassettes = func(method string) bool {
			full, err := mockserver.NormalizeMethod(method)
			return err == nil && a.cfg.cassettes() != nil && !m.HasExpectation(full)
		}
	}
	return st, true
}

// calls is the journal as the request's session sees it.
func (st *stubs) calls() []mockserver.CallRecord {
	all := st.srv.Calls()
	if st.session == nil {
		return all
	}
	return st.filter(all)
}

// filter keeps the calls of the session since its last reset.
func (st *stubs) filter(recs []mockserver.CallRecord) []mockserver.CallRecord {
	if st.session == nil {
		return recs
	}
	since := st.session.Since()
	out := recs[:0:0]
	for _, rec := range recs {
		if name := expect.SessionOf(rec.Metadata); name == st.name && !rec.Start.Before(since) {
			out = append(out, rec)
		}
	}
	return out
}

// LoadStubFilesFormat is LoadStubFiles for files in the given format
// (stubformat.Auto: each file's told by its shape).
func LoadStubFilesFormat(srv *mockserver.Server, m *expect.Mock, format stubformat.Format, paths ...string) error {
	return (&stubs{mock: m, srv: srv, paths: paths, format: format}).load()
}

// errNotFound marks a lookup of something that does not exist (404).
var errNotFound = errors.New("not found")

func (a *API) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /calls", a.getCalls)
	mux.HandleFunc("DELETE /calls", a.deleteCalls)
	mux.HandleFunc("GET /services", a.getServices)
	mux.HandleFunc("POST /reset", a.postReset)
	mux.HandleFunc("POST /stubs", a.withStubs(a.postStubs))
	mux.HandleFunc("GET /stubs", a.withStubs(a.getStubs))
	mux.HandleFunc("GET /stubs/{id}", a.withStubs(a.getStub))
	mux.HandleFunc("DELETE /stubs/{id}", a.withStubs(a.deleteStub))
	mux.HandleFunc("POST /verify", a.withStubs(a.postVerify))
	mux.HandleFunc("POST /explain", a.withStubs(a.postExplain))
	mux.HandleFunc("GET /misses", a.withStubs(a.getMisses))
	mux.HandleFunc("GET /scenarios", a.withStubs(a.getScenarios))
	mux.HandleFunc("PUT /scenarios/{name}", a.withStubs(a.putScenario))
	if a.cfg.metrics != nil {
		mux.Handle("GET /metrics", a.cfg.metrics)
	}
	mux.HandleFunc("GET /sessions", a.withSessions(a.getSessions))
	mux.HandleFunc("DELETE /sessions/{name}", a.withSessions(a.deleteSession))
	a.pageRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no endpoint %s %s; the admin API has GET /calls, DELETE /calls, GET /services, POST /reset, POST /stubs, GET /stubs, GET /stubs/{id}, DELETE /stubs/{id}, POST /verify, POST /explain, GET /misses, GET /scenarios, PUT /scenarios/{name}, GET /sessions, DELETE /sessions/{name}, GET /calls/{id}, GET /events, and the page at /ui/", r.Method, r.URL.Path))
	})
	return a.sameSite(a.withPage(a.authenticate(mux)))
}

// authenticate demands the bearer token, when there is one, on every request.
func (a *API) authenticate(next http.Handler) http.Handler {
	if a.cfg.token == "" {
		return next
	}
	want := []byte(a.cfg.token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The scheme is case-insensitive (RFC 7235); the token is not.
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(token), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="grpcdouble admin"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong admin token: send Authorization: Bearer TOKEN")
			a.rejected.warn("admin: rejected request without the right token", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *API) withStubs(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.cfg.mock == nil && a.cfg.sessions == nil {
			writeError(w, http.StatusConflict, "this server records and has no stubs: "+r.Method+" "+r.URL.Path+" works with grpcdouble serve")
			return
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// ErrorBody is the body of every error answer: {"error": "what was wrong"}.
type ErrorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, ErrorBody{Error: msg})
}

// readBody reads a bounded body; on failure it has already answered.
func readBody(w http.ResponseWriter, r *http.Request, allowEmpty bool) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large: the limit is %d bytes", mbe.Limit))
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "reading request body: "+err.Error())
		return nil, false
	}
	if len(body) > 0 {
		if msg := contentTypeError(r); msg != "" {
			writeError(w, http.StatusUnsupportedMediaType, msg)
			return nil, false
		}
	}
	if !allowEmpty && len(strings.TrimSpace(string(body))) == 0 {
		writeError(w, http.StatusBadRequest, "empty request body")
		return nil, false
	}
	return body, true
}

func (a *API) postStubs(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, false)
	if !ok {
		return
	}
	st, ok := a.target(w, r, true)
	if !ok {
		return
	}
	added, err := st.Add(body, "admin "+r.Method+" "+r.URL.Path)
	if err != nil {
		writeError(w, http.StatusBadRequest, "stub: "+err.Error())
		return
	}
	a.cfg.log.Info("admin: stubs added", "session", st.name, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusCreated, added)
}

func (a *API) getStubs(w http.ResponseWriter, r *http.Request) {
	st, ok := a.target(w, r, false)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, st.List())
}

func (a *API) getStub(w http.ResponseWriter, r *http.Request) {
	st, ok := a.target(w, r, false)
	if !ok {
		return
	}
	id := r.PathValue("id")
	for _, in := range st.mock.Stubs() {
		if in.ID == id {
			writeJSON(w, http.StatusOK, toStubJSON(in))
			return
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("not found: %v: %q (GET /stubs lists them)", expect.ErrUnknownStub, id))
}

func (a *API) deleteStub(w http.ResponseWriter, r *http.Request) {
	st, ok := a.target(w, r, false)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err := st.Delete(id); err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, errNotFound) {
			code = http.StatusNotFound
		}
		writeError(w, code, err.Error())
		return
	}
	a.cfg.log.Info("admin: stub deleted", "id", id, "session", st.name, "remote", r.RemoteAddr)
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) postVerify(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, true)
	if !ok {
		return
	}
	st, ok := a.target(w, r, false)
	if !ok {
		return
	}
	res, met, err := st.Verify(body)
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, errNotFound) {
			code = http.StatusNotFound
		}
		writeError(w, code, "verify: "+err.Error())
		return
	}
	if vr, ok := res.(VerifyResult); ok {
		for i, e := range vr.Errors {
			vr.Errors[i] = a.scrub(e) // an unexpected call names what it sent
		}
	}
	code := http.StatusOK
	if !met {
		// The request was fine; the expectation was not met. Clients in
		// shell scripts can test curl --fail on it.
		code = http.StatusExpectationFailed
	}
	writeJSON(w, code, res)
}

func (a *API) postExplain(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, false)
	if !ok {
		return
	}
	st, ok := a.target(w, r, false)
	if !ok {
		return
	}
	res, err := st.Explain(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "explain: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// Misses, the body of GET /misses, lists the calls that got no answer since the last reset.
type Misses struct {
	Stubs     []string `json:"stubs"`
	Cassettes []string `json:"cassettes,omitempty"`
	// Upstream lists the journal's calls that no stub or cassette
	// answered and the proxy fallback sent upstream, with how they ended.
	Upstream []string `json:"upstream,omitempty"`
}

func (a *API) getMisses(w http.ResponseWriter, r *http.Request) {
	st, ok := a.target(w, r, false)
	if !ok {
		return
	}
	out := Misses{Stubs: st.Misses()}
	for i, m := range out.Stubs {
		out.Stubs[i] = a.scrub(m)
	}
	for _, rec := range st.calls() {
		if rec.Answer == "upstream" {
			line := fmt.Sprintf("%s (call %d): sent upstream", rec.Method, rec.ID)
			if rec.Done {
				line += ", answered " + rec.Status.Code().String()
			}
			out.Upstream = append(out.Upstream, line)
		}
	}
	if out.Stubs == nil {
		out.Stubs = []string{}
	}
	if a.cfg.cassettes != nil {
		out.Cassettes = []string{}
		if h := a.cfg.cassettes(); h != nil {
			for _, err := range h.Misses() {
				out.Cassettes = append(out.Cassettes, a.scrub(err.Error()))
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) postReset(w http.ResponseWriter, r *http.Request) {
	st, ok := a.target(w, r, false)
	if !ok {
		return
	}
	// Whole or not at all: first what can fail, changing nothing.
	apply := func() error { return nil }
	if st.mock != nil {
		var err error
		if apply, err = st.prepareReset(); err != nil {
			writeError(w, http.StatusUnprocessableEntity, "reset: nothing was reset, the stubs answering now go on answering: "+err.Error())
			return
		}
	}
	global := st.session == nil || st.name == ""
	if global {
		// A session's reset leaves the server's shared state alone.
		for _, f := range a.cfg.reset {
			if err := f(); err != nil {
				writeError(w, http.StatusInternalServerError, "reset: the stubs and the journal were not reset: "+err.Error())
				return
			}
		}
	}
	if st.session == nil {
		a.srv.ResetJournal()
	}
	if err := apply(); err != nil {
		writeError(w, http.StatusInternalServerError, "reset: "+err.Error())
		return
	}
	if !global {
		a.cfg.log.Info("admin: reset", "session", st.name, "remote", r.RemoteAddr)
		writeJSON(w, http.StatusOK, map[string]string{"status": "reset", "session": st.name})
		return
	}
	a.cfg.log.Info("admin: reset", "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}

func (a *API) deleteCalls(w http.ResponseWriter, r *http.Request) {
	st, ok := a.target(w, r, false)
	if !ok {
		return
	}
	if st.session != nil {
		st.session.ForgetCalls()
	} else {
		a.srv.ResetJournal()
		// Give the memory back now, not at the runtime's leisure: the
		// journal may have held its whole budget.
		debug.FreeOSMemory()
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) withSessions(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.cfg.sessions == nil {
			writeError(w, http.StatusConflict, "this server has no sessions: "+r.Method+" "+r.URL.Path+" works with grpcdouble serve")
			return
		}
		h(w, r)
	}
}

// SessionInfo is one session as GET /sessions lists it.
type SessionInfo struct {
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"lastUsed"`
	Stubs    int       `json:"stubs"`  // its own and the global ones
	Hits     int       `json:"hits"`   // calls its stubs answered
	Misses   int       `json:"misses"` // calls no stub answered
}

func (a *API) getSessions(w http.ResponseWriter, _ *http.Request) {
	out := []SessionInfo{}
	for _, ss := range a.cfg.sessions.List() {
		m := ss.Mock()
		info := SessionInfo{Name: ss.Name(), Created: ss.Created(), LastUsed: ss.LastUsed(), Misses: len(m.Unexpected())}
		for _, in := range m.Stubs() {
			info.Stubs++
			info.Hits += in.Hits
		}
		out = append(out, info)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) deleteSession(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := expect.CheckSessionName(name); err != nil {
		writeError(w, http.StatusBadRequest, "session: "+err.Error())
		return
	}
	if err := a.cfg.sessions.Drop(name); err != nil {
		writeError(w, http.StatusNotFound, "session: "+err.Error())
		return
	}
	a.cfg.log.Info("admin: session dropped", "session", name, "remote", r.RemoteAddr)
	w.WriteHeader(http.StatusNoContent)
}

// Service is one service as GET /services lists it.
type Service struct {
	Name    string   `json:"name"`
	Methods []Method `json:"methods"`
}

// Method is one method of a Service.
type Method struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Input  string `json:"input"`
	Output string `json:"output"`
}

func (a *API) getServices(w http.ResponseWriter, _ *http.Request) {
	var out []Service
	for _, sd := range a.srv.Services() {
		s := Service{Name: string(sd.FullName())}
		for i := 0; i < sd.Methods().Len(); i++ {
			md := sd.Methods().Get(i)
			s.Methods = append(s.Methods, Method{
				Name:   "/" + string(sd.FullName()) + "/" + string(md.Name()),
				Kind:   mockserver.KindOf(md).String(),
				Input:  string(md.Input().FullName()),
				Output: string(md.Output().FullName()),
			})
		}
		out = append(out, s)
	}
	writeJSON(w, http.StatusOK, out)
}

// Call is one journal entry as the admin API shows it.
type Call = webpage.Call

// Event is one event of a Call, in the order it happened.
type Event = webpage.Event

// Status is the status a Call ended with.
type Status = webpage.Status

func (a *API) getCalls(w http.ResponseWriter, r *http.Request) {
	method := r.URL.Query().Get("method")
	if method != "" {
		full, err := mockserver.NormalizeMethod(method)
		if err != nil {
			writeError(w, http.StatusBadRequest, "query parameter method: "+err.Error())
			return
		}
		method = full
	}
	st, ok := a.target(w, r, false)
	if !ok {
		return
	}
	// What the journal's bounds dropped since the last reset, oldest first.
	w.Header().Set("Grpcdouble-Journal-Dropped-Calls", strconv.Itoa(a.srv.JournalStats().DroppedCalls))
	out := []Call{}
	for _, rec := range st.calls() {
		if method != "" && rec.Method != method {
			continue
		}
		out = append(out, a.callJSON(rec))
	}
	writeJSON(w, http.StatusOK, out)
}

// callJSON is a journal entry as the API shows it: with the values of
// credential metadata (cassette.DefaultRedacts: the keys recorders redact)
// shown as [REDACTED], unless WithSecretsShown.
func (a *API) callJSON(rec mockserver.CallRecord) Call {
	c := webpage.CallJSON(rec) // its maps are copies
	if !a.cfg.showSecrets {
		webpage.RedactCall(&c, secretsNote)
	}
	return c
}

// secretsNote follows a reason the admin redacted.
const secretsNote = " (the admin API shows secrets with --admin-show-secrets)"

// WithSecretsShown shows the values of credential metadata (authorization,
// cookies, tokens: every key cassette.DefaultRedacts reports, the keys a
// recorder redacts) in GET /calls, the page and GET /misses. By default
// they read [REDACTED], so neither a page nor a log of the journal leaks
// what clients sent.
func WithSecretsShown() Option { return optionFunc(func(c *config) { c.showSecrets = true }) }

// scrub hides, in a miss's text, what a call sent for credential metadata
// (unless WithSecretsShown).
func (a *API) scrub(text string) string {
	if a.cfg.showSecrets {
		return text
	}
	return cassette.RedactReasons(text, secretsNote)
}

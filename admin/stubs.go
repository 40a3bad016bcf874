package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"google.golang.org/grpc/metadata"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

// stubs is the admin API's view of the expect.Mock serving the stubs.
type stubs struct {
	mock  *expect.Mock // nil on a server without stubs
	srv   *mockserver.Server
	paths []string // --stubs, reloaded on reset
	// With sessions: the session the request is about ("" the global one).
	sessions *expect.Sessions
	session  *expect.Session
	name     string
	// format is --stubs-format; stubs added through the admin API are told
	// by their shape.
	format stubformat.Format
	// routesToCassettes reports the methods the cassettes answer; nil
	// without cassettes.
	routesToCassettes func(method string) bool
}

// load adds the --stubs files and folders; errors name file, line and field.
func (s *stubs) load() error {
	if len(s.paths) == 0 {
		return nil
	}
	parsed, err := parseStubFiles(s.srv, s.format, s.paths)
	if err != nil {
		return err
	}
	if _, err := s.mock.AddStubs(parsed...); err != nil {
		return err
	}
	return nil
}

// parseStubFiles parses the stub files and folders at paths; errors name
// file, line and field.
func parseStubFiles(srv *mockserver.Server, format stubformat.Format, paths []string) ([]expect.Stub, error) {
	parsed, err := stubformat.Load(srv, format, paths...)
	if err != nil {
		// Every problem at once: also what adding the stubs that did
		// parse would say. grpcdouble lint reports through here too.
		return nil, expect.JoinStubErrors(err, expect.CheckStubs(srv, parsed...))
	}
	return parsed, nil
}

// Stub is one stub (or Go expectation) as GET /stubs lists it, and as
// POST /stubs and POST /verify return it.
type Stub struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	Kind   string `json:"kind"`
	Source string `json:"source"`
	Hits   int    `json:"hits"`
	// Min and Max bound the calls the stub wants; Max is null when there
	// is no upper limit. Want says the same in words ("at least 1").
	Min  int    `json:"min"`
	Max  *int   `json:"max"`
	Want string `json:"want"`
	Met  bool   `json:"met"`
}

func toStubJSON(in expect.StubInfo) Stub {
	c := stubCount(in)
	out := Stub{ID: in.ID, Method: in.Method, Kind: in.Kind, Source: in.Source, Hits: in.Hits, Min: in.Min, Want: c.String(), Met: in.Met}
	if c.limited {
		out.Max = &c.max
	}
	return out
}

// count is the number of calls wanted: at least min and, when limited, at
// most max.
type count struct {
	min, max int
	limited  bool
}

func stubCount(in expect.StubInfo) count {
	return count{min: in.Min, max: in.Max, limited: !in.Unlimited}
}

func (c count) allows(n int) bool { return n >= c.min && (!c.limited || n <= c.max) }

func (c count) String() string {
	switch {
	case c.limited && c.min == c.max:
		return fmt.Sprintf("exactly %d", c.min)
	case !c.limited:
		return fmt.Sprintf("at least %d", c.min)
	case c.min == 0:
		return fmt.Sprintf("at most %d", c.max)
	}
	return fmt.Sprintf("between %d and %d", c.min, c.max)
}

func (s *stubs) Add(body []byte, name string) (any, error) {
	format := stubformat.Auto
	if s.format.GlobalTemplating() {
		// Global templating holds for mappings posted too, as in WireMock.
		format = format.WithGlobalTemplating()
	}
	parsed, err := stubformat.Parse(name, body, format, s.srv)
	if err != nil {
		return nil, err
	}
	if len(parsed) == 0 {
		return nil, errors.New("the body holds no stubs")
	}
	var ids []string
	if s.sessions != nil {
		ids, err = s.sessions.AddStubs(s.name, parsed...)
		s.mock = s.session.Mock()
	} else {
		ids, err = s.mock.AddStubs(parsed...)
	}
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	out := []Stub{}
	for _, in := range s.mock.Stubs() {
		if want[in.ID] {
			out = append(out, toStubJSON(in))
		}
	}
	return out, nil
}

func (s *stubs) List() any {
	out := []Stub{}
	for _, in := range s.mock.Stubs() {
		out = append(out, toStubJSON(in))
	}
	return out
}

func (s *stubs) Delete(id string) error {
	del := s.mock.Delete
	if s.sessions != nil {
		del = func(id string) error { return s.sessions.Delete(s.name, id) }
	}
	if err := del(id); err != nil {
		if errors.Is(err, expect.ErrUnknownStub) {
			return fmt.Errorf("%w: %w", errNotFound, err)
		}
		return err
	}
	return nil
}

// prepareReset reads and checks the stub files a reset restores, and
// changes nothing: apply then resets. On an error, which names file, line
// and field, the stubs answering now go on answering.
func (s *stubs) prepareReset() (apply func() error, err error) {
	reload := len(s.paths) > 0 && s.name == ""
	var parsed []expect.Stub
	if reload {
		if parsed, err = parseStubFiles(s.srv, s.format, s.paths); err != nil {
			return nil, err
		}
		// What adding them to an empty Mock would say (duplicate ids):
		// the reset must not start before it is known to succeed.
		if err := expect.CheckStubs(s.srv, parsed...); err != nil {
			return nil, err
		}
	}
	return func() error {
		if s.sessions == nil {
			s.mock.Reset()
			_, err := s.mock.AddStubs(parsed...)
			return err
		}
		if err := s.sessions.Reset(s.name); err != nil {
			return err
		}
		if !reload {
			return nil
		}
		// The one swap --watch and SIGHUP use: all the files' stubs at once.
		_, err := s.sessions.ReplaceFiles(parsed)
		return err
	}, nil
}

// verifyRequest asks how often a stub, or a method, was called. With neither
// it verifies every stub as a test's cleanup would.
type verifyRequest struct {
	ID     string `json:"id,omitempty"`
	Method string `json:"method,omitempty"`
	// Times, AtLeast and AtMost state the expected count; with none, a
	// stub's own "times" applies, and a method wants at least one call.
	Times   *int `json:"times,omitempty"`
	AtLeast *int `json:"atLeast,omitempty"`
	AtMost  *int `json:"atMost,omitempty"`
}

// VerifyResult is the body POST /verify answers with (200 when OK, 417
// when not).
type VerifyResult struct {
	OK     bool     `json:"ok"`
	ID     string   `json:"id,omitempty"`
	Method string   `json:"method,omitempty"`
	Calls  *int     `json:"calls,omitempty"`
	Want   string   `json:"want,omitempty"`
	Errors []string `json:"errors,omitempty"`
	Stubs  []Stub   `json:"stubs,omitempty"`
}

func (s *stubs) Verify(body []byte) (any, bool, error) {
	var req verifyRequest
	if len(strings.TrimSpace(string(body))) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := decodeOne(dec, &req); err != nil {
			return nil, false, fmt.Errorf("body: %v (want {\"id\": ...} or {\"method\": ...}, with \"times\", \"atLeast\" or \"atMost\")", err)
		}
	}
	if req.ID != "" && req.Method != "" {
		return nil, false, errors.New("give \"id\" or \"method\", not both")
	}
	if err := req.check(); err != nil {
		return nil, false, err
	}
	switch {
	case req.ID != "":
		for _, in := range s.mock.Stubs() {
			if in.ID != req.ID {
				continue
			}
			want := stubCount(in)
			if req.Times != nil || req.AtLeast != nil || req.AtMost != nil {
				want = req.count()
			}
			res := VerifyResult{ID: in.ID, Method: in.Method, Calls: &in.Hits, Want: want.String(), Stubs: []Stub{toStubJSON(in)}}
			res.OK = want.allows(in.Hits)
			if !res.OK {
				res.Errors = []string{fmt.Sprintf("stub %s (%s) was hit %d times, want %s", in.ID, in.Method, in.Hits, res.Want)}
			}
			return res, res.OK, nil
		}
		return nil, false, fmt.Errorf("%w: no stub has id %q", errNotFound, req.ID)
	case req.Method != "":
		full, err := mockserver.NormalizeMethod(req.Method)
		if err != nil {
			return nil, false, err
		}
		if _, err := s.srv.Method(full); err != nil {
			return nil, false, fmt.Errorf("%w: %w", errNotFound, err)
		}
		n := len(s.filter(s.srv.CallsTo(full)))
		want := count{min: 1}
		if req.Times != nil || req.AtLeast != nil || req.AtMost != nil {
			want = req.count()
		}
		res := VerifyResult{Method: full, Calls: &n, Want: want.String()}
		res.OK = want.allows(n)
		if !res.OK {
			res.Errors = []string{fmt.Sprintf("%s was called %d times (journal), want %s", full, n, res.Want)}
		}
		return res, res.OK, nil
	}
	if req.Times != nil || req.AtLeast != nil || req.AtMost != nil {
		return nil, false, errors.New("\"times\", \"atLeast\" and \"atMost\" need an \"id\" or a \"method\"")
	}
	res := VerifyResult{OK: true}
	for _, in := range s.mock.Stubs() {
		res.Stubs = append(res.Stubs, toStubJSON(in))
	}
	if err := s.mock.Verify(); err != nil {
		res.OK = false
		res.Errors = splitJoined(err)
	}
	return res, res.OK, nil
}

// check refuses a count that no number of calls could meet, or that says
// two things.
func (req verifyRequest) check() error {
	for _, f := range []struct {
		name string
		v    *int
	}{{"times", req.Times}, {"atLeast", req.AtLeast}, {"atMost", req.AtMost}} {
		if f.v != nil && *f.v < 0 {
			return fmt.Errorf("body: %q is %d: want a count of 0 or more", f.name, *f.v)
		}
	}
	if req.Times != nil && (req.AtLeast != nil || req.AtMost != nil) {
		return errors.New("body: give \"times\" (exactly), or \"atLeast\" and \"atMost\", not both")
	}
	if req.AtLeast != nil && req.AtMost != nil && *req.AtLeast > *req.AtMost {
		return fmt.Errorf("body: \"atLeast\" (%d) is above \"atMost\" (%d): no count of calls is both", *req.AtLeast, *req.AtMost)
	}
	return nil
}

// count is the count the request states.
func (req verifyRequest) count() count {
	var c count
	if req.Times != nil {
		c = count{min: *req.Times, max: *req.Times, limited: true}
	}
	if req.AtLeast != nil {
		c.min = *req.AtLeast
	}
	if req.AtMost != nil {
		c.max, c.limited = *req.AtMost, true
	}
	return c
}

// decodeOne decodes the one JSON value of a body into v, and refuses
// anything after it.
func decodeOne(dec *json.Decoder, v any) error {
	if err := dec.Decode(v); err != nil {
		return err
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("unexpected data after the JSON object, at byte %d", end)
	}
	return nil
}

// splitJoined lists the errors an errors.Join holds, one per entry.
func splitJoined(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, splitJoined(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// explainRequest is a call to explain: the method, the request as protojson
// (an array of messages for a client stream), and the request metadata
// (each key a string or a list of strings).
type explainRequest struct {
	Method   string                     `json:"method"`
	Request  json.RawMessage            `json:"request,omitempty"`
	Metadata map[string]json.RawMessage `json:"metadata,omitempty"`
}

// Explanation is the body POST /explain answers with.
type Explanation struct {
	Method string `json:"method"`
	// Cassettes is set when the method has no stub and the cassettes
	// answer it: the stub explanation then does not apply.
	Cassettes bool     `json:"cassettes,omitempty"`
	Matched   bool     `json:"matched"`
	Match     string   `json:"match,omitempty"`
	Nearest   string   `json:"nearest,omitempty"`
	Reasons   []string `json:"reasons,omitempty"`
	Text      string   `json:"text"`
}

func (s *stubs) Explain(body []byte) (any, error) {
	var req explainRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := decodeOne(dec, &req); err != nil {
		return nil, fmt.Errorf("body: %v (want {\"method\": ..., \"request\": {...}, \"metadata\": {...}})", err)
	}
	if req.Method == "" {
		return nil, errors.New("body: \"method\" is required")
	}
	md := metadata.MD{}
	for k, raw := range req.Metadata {
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			md.Append(k, one)
			continue
		}
		var many []string
		if err := json.Unmarshal(raw, &many); err != nil {
			return nil, fmt.Errorf("body: metadata %q: want a string or a list of strings", k)
		}
		md.Append(k, many...)
	}
	x, err := s.mock.Explain(req.Method, req.Request, md)
	if err != nil {
		return nil, err
	}
	res := Explanation{Method: x.Method, Matched: x.Match != "", Match: x.Match, Nearest: x.Nearest, Reasons: x.Reasons, Text: x.String()}
	if s.routesToCassettes != nil && s.routesToCassettes(x.Method) {
		res.Cassettes = true
		res.Text = x.Method + " has no stub: the cassettes answer it (GET /misses lists the calls they could not)"
	}
	return res, nil
}

func (s *stubs) Misses() []string {
	var out []string
	for _, m := range s.mock.Unexpected() {
		out = append(out, m.String())
	}
	return out
}

package replay

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/internal/protodiff"
)

// Outcome is what checking one interaction found.
type Outcome string

// The outcomes of checking an interaction.
const (
	Match   Outcome = "match"   // the live service answered as recorded
	Drift   Outcome = "drift"   // it answered otherwise: see Diffs
	Skipped Outcome = "skipped" // not called: see Reason
	Failed  Outcome = "error"   // could not be checked: see Reason
)

// Report is what Check found, one Result per interaction in file order.
type Report struct {
	Path string `json:"cassette"`
	// Ignores are the ignores in effect: "field pkg.Msg.field" and
	// "header key".
	Ignores []string  `json:"ignores,omitempty"`
	Results []*Result `json:"results"`
}

// Count returns how many results have the outcome.
func (r *Report) Count(o Outcome) int {
	n := 0
	for _, res := range r.Results {
		if res.Outcome == o {
			n++
		}
	}
	return n
}

// Drifted returns the results that drifted.
func (r *Report) Drifted() []*Result {
	var out []*Result
	for _, res := range r.Results {
		if res.Outcome == Drift {
			out = append(out, res)
		}
	}
	return out
}

// Summary is one line: how many interactions matched, drifted, were
// skipped and could not be checked.
func (r *Report) Summary() string {
	return fmt.Sprintf("%s: %d interaction(s): %d match, %d drift, %d skipped, %d error",
		r.Path, len(r.Results), r.Count(Match), r.Count(Drift), r.Count(Skipped), r.Count(Failed))
}

// String is the human report: the ignores in effect, a line per
// interaction (with what differs, for a drift), the notes, and the summary.
func (r *Report) String() string {
	var b strings.Builder
	if len(r.Ignores) > 0 {
		fmt.Fprintf(&b, "ignoring %s\n", strings.Join(r.Ignores, ", "))
	}
	var notes []string
	for _, res := range r.Results {
		b.WriteString(res.format(false))
		b.WriteByte('\n')
		for _, n := range res.Notes {
			if !slices.Contains(notes, n) {
				notes = append(notes, n)
			}
		}
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	b.WriteString(r.Summary())
	b.WriteByte('\n')
	return b.String()
}

// Update rewrites the cassette file in place, replacing each drifted
// interaction by what the live service answered (see Result.Live), and
// returns how many it replaced. The rest of the file is left byte for
// byte, the write is atomic (cassette.Rewrite), and redaction holds: the
// request is kept as recorded, and response metadata keys that were
// redacted, or cassette.DefaultRedacts, are written redacted.
func (r *Report) Update() (int, error) {
	repl := map[int]*cassette.Interaction{}
	for _, res := range r.Drifted() {
		repl[res.Index] = res.Live
	}
	if len(repl) == 0 {
		return 0, nil
	}
	if err := cassette.Rewrite(r.Path, repl); err != nil {
		return 0, fmt.Errorf("replay: update: %w", err)
	}
	return len(repl), nil
}

// Result is what checking one interaction found.
type Result struct {
	Where   string  `json:"where"` // "file:line (interaction #n)"
	File    string  `json:"file"`
	Line    int     `json:"line"`
	Index   int     `json:"index"` // from 0, in the file
	Method  string  `json:"method"`
	Kind    string  `json:"kind"`
	Outcome Outcome `json:"outcome"`
	// Reason says why the interaction was skipped or could not be checked.
	Reason string       `json:"reason,omitempty"`
	Diffs  []Difference `json:"differences,omitempty"`
	// Ignored lists the ignores that hid a difference here.
	Ignored []string `json:"ignored,omitempty"`
	// Notes say what else the check did, such as leaving out redacted
	// request metadata.
	Notes []string `json:"notes,omitempty"`

	// Interaction is the recorded interaction; Live, for a drift, is the
	// interaction as the live service answered it, redacted, ready to
	// replace the recorded one.
	Interaction *cassette.Interaction `json:"-"`
	Live        *cassette.Interaction `json:"-"`
}

// Difference is one way the live answer differs from the recording.
type Difference struct {
	// Part names what differs: "server message #2", "header x-a",
	// "trailer x-b", "status code", "status message", "status details",
	// "interleaving".
	Part string `json:"part"`
	// Text says how, on one line or as a (-recorded +live) proto diff.
	Text string `json:"text"`
}

// String is the result as the report shows it, with its notes.
func (r *Result) String() string { return r.format(true) }

func (r *Result) format(notes bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s", r.Where, r.Outcome, r.Method)
	if r.Reason != "" {
		fmt.Fprintf(&b, ": %s", r.Reason)
	}
	for _, d := range r.Diffs {
		if strings.Contains(d.Text, "\n") {
			fmt.Fprintf(&b, "\n  %s (-recorded +live):\n%s", d.Part, indent(strings.TrimRight(d.Text, "\n"), "    "))
		} else {
			fmt.Fprintf(&b, "\n  %s: %s", d.Part, d.Text)
		}
	}
	if len(r.Ignored) > 0 {
		fmt.Fprintf(&b, "\n  ignored: %s", strings.Join(r.Ignored, ", "))
	}
	if notes {
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "\n  note: %s", n)
		}
	}
	return b.String()
}

func indent(s, pre string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n")
}

// diffText is cmp.Diff with protocmp, its non-breaking spaces made plain
// so the report reads the same in every terminal and in JSON.
func diffText(want, got any, opts ...cmp.Option) string {
	return protodiff.DiffAny(want, got, opts...)
}

// compare fills r.Diffs and r.Ignored.
func (ck *checker) compare(in *cassette.Interaction, rec *recorded, live *liveCall, r *Result) {
	ignored := map[string]bool{}
	for i := 0; i < max(len(rec.server), len(live.msgs)); i++ {
		part := fmt.Sprintf("server message #%d", i+1)
		switch {
		case i >= len(live.msgs):
			if live.cancelled != "" {
				continue // the client gave up before it came
			}
			r.Diffs = append(r.Diffs, Difference{Part: part, Text: "recorded " + compactJSON(rec.server[i]) + ", the live service did not send it"})
		case i >= len(rec.server):
			if live.cancelled != "" {
				continue
			}
			r.Diffs = append(r.Diffs, Difference{Part: part, Text: "not recorded, the live service sent " + compactJSON(live.msgs[i])})
		default:
			if d := ck.messageDiff(rec.server[i], live.msgs[i], ignored); d != "" {
				r.Diffs = append(r.Diffs, Difference{Part: part, Text: d})
			}
		}
	}
	recHeader, _ := in.Header()
	r.Diffs = append(r.Diffs, ck.mdDiff("header", recHeader, live.header, ignored)...)
	if live.cancelled != "" {
		r.Notes = append(r.Notes, fmt.Sprintf("the client ended the call when recorded (%s), and so did the check: trailers and status not compared", live.cancelled))
	} else {
		r.Diffs = append(r.Diffs, ck.mdDiff("trailer", in.Trailer, live.trailer, ignored)...)
		r.Diffs = append(r.Diffs, ck.statusDiff(rec.status, live.status, ignored)...)
	}
	for k := range ignored {
		r.Ignored = append(r.Ignored, k)
	}
	slices.Sort(r.Ignored)
}

// messageDiff is "" when the messages are equal once the ignored fields
// are left out; it notes in ignored the ignores that hid a difference.
func (ck *checker) messageDiff(want, got any, ignored map[string]bool) string {
	if diffText(want, got) == "" {
		return ""
	}
	if len(ck.ignore) > 0 {
		for i, fd := range ck.ignore {
			others := slices.Delete(slices.Clone(ck.ignore), i, i+1)
			if diffText(want, got, ignoreFields(others)) != "" {
				ignored["field "+string(fd.FullName())] = true
			}
		}
	}
	return diffText(want, got, ignoreFields(ck.ignore))
}

func ignoreFields(fds []protoreflect.FieldDescriptor) cmp.Option {
	ds := make([]protoreflect.Descriptor, len(fds))
	for i, fd := range fds {
		ds[i] = fd
	}
	return protocmp.IgnoreDescriptors(ds...)
}

// mdDiff compares response metadata; a recorded redacted value matches any
// value.
func (ck *checker) mdDiff(part string, rec, got metadata.MD, ignored map[string]bool) []Difference {
	keys := map[string]bool{}
	for k := range rec {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		if !cassette.TransportHeader(k) {
			sorted = append(sorted, k)
		}
	}
	slices.Sort(sorted)
	var out []Difference
	for _, k := range sorted {
		rv, gv := rec[k], got[k]
		if slices.Equal(rv, gv) || (redacted(rv) && len(gv) > 0) {
			continue
		}
		if ck.cfg.ignoreHeaders[k] {
			ignored["header "+k] = true
			continue
		}
		out = append(out, Difference{Part: part + " " + k, Text: fmt.Sprintf("recorded %s, live %s", mdValues(rv), mdValues(gv))})
	}
	return out
}

func mdValues(vs []string) string {
	if vs == nil {
		return "absent"
	}
	return fmt.Sprintf("%q", vs)
}

func (ck *checker) statusDiff(rec, got *status.Status, ignored map[string]bool) []Difference {
	rc, gc := rec.Code(), got.Code() // nil is OK
	var out []Difference
	if rc != gc {
		text := fmt.Sprintf("recorded %s, live %s", rc, gc)
		if gc != codes.OK && got.Message() != "" {
			text += fmt.Sprintf(" (%q)", got.Message())
		}
		out = append(out, Difference{Part: "status code", Text: text})
	}
	if rec.Message() != got.Message() && !(rc != gc && gc != codes.OK) {
		out = append(out, Difference{Part: "status message", Text: fmt.Sprintf("recorded %q, live %q", rec.Message(), got.Message())})
	}
	rd, gd := rec.Proto().GetDetails(), got.Proto().GetDetails()
	if len(rd) > 0 || len(gd) > 0 {
		if d := ck.messageDiff(anySlice(rd), anySlice(gd), ignored); d != "" {
			out = append(out, Difference{Part: "status details", Text: d})
		}
	}
	return out
}

// anySlice gives cmp a []proto.Message to compare, never nil against empty.
func anySlice(as []*anypb.Any) []proto.Message {
	out := make([]proto.Message, len(as))
	for i, a := range as {
		out[i] = a
	}
	return out
}

func compactJSON(m proto.Message) string {
	b, err := protojson.Marshal(m)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	var v any
	if json.Unmarshal(b, &v) == nil {
		if c, err := json.Marshal(v); err == nil {
			return string(c)
		}
	}
	return string(b)
}

// updated is the recorded interaction with the live service's answers in
// place of the recorded ones: the request side and the events' order and
// offsets kept, so that a rewritten cassette differs only where the
// service does.
func updated(in *cassette.Interaction, live *liveCall) *cassette.Interaction {
	out := in.Clone()
	out.Events = out.Events[:0]
	srv := 0
	headerDone := false
	for _, e := range in.Events {
		switch e.Type {
		case cassette.Header:
			// Headers that came late go where they came: before the
			// first server message, else at the end.
			if live.hasHeader && !headerDone && !live.headerLate {
				e.Metadata = redactLike(live.header, e.Metadata)
				out.Events = append(out.Events, e)
				headerDone = true
			}
		case cassette.ServerMessage:
			if srv < len(live.msgs) {
				if live.hasHeader && !headerDone {
					out.Events = append(out.Events, cassette.Event{Type: cassette.Header, Metadata: redactLike(live.header, nil)})
					headerDone = true
				}
				e.Message = cassette.NewMessage(live.msgs[srv])
				out.Events = append(out.Events, e)
			}
			srv++
		default:
			e.Metadata = e.Metadata.Copy()
			out.Events = append(out.Events, e)
		}
	}
	if live.cancelled != "" {
		return out
	}
	var tail []cassette.Event
	if live.hasHeader && !headerDone {
		tail = append(tail, cassette.Event{Type: cassette.Header, Metadata: redactLike(live.header, nil)})
	}
	for ; srv < len(live.msgs); srv++ {
		tail = append(tail, cassette.Event{Type: cassette.ServerMessage, Message: cassette.NewMessage(live.msgs[srv])})
	}
	out.Events = append(out.Events, tail...)
	out.Trailer = redactLike(live.trailer, in.Trailer)
	if len(out.Trailer) == 0 {
		out.Trailer = nil
	}
	out.Status = cassette.StatusOf(live.status)
	return out
}

// redactLike redacts the keys of md that were redacted in was, or are
// redacted by default.
func redactLike(md, was metadata.MD) metadata.MD {
	out := md.Copy()
	if out == nil {
		out = metadata.MD{}
	}
	for k, vs := range out {
		if redacted(was[k]) || cassette.DefaultRedacts(k) {
			red := make([]string, len(vs))
			for i := range red {
				red[i] = cassette.Redacted
			}
			out[k] = red
		}
	}
	return out
}

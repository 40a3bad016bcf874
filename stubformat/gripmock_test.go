package stubformat_test

import (
	"regexp"
	"testing"
	"time"

	_ "google.golang.org/genproto/googleapis/rpc/errdetails" // status details in stubs
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

// call is one call of a table and the answer it must get.
type call struct {
	name string
	do   func(d *double) answer
	want answer
	// noMatch: no stub matches; only the code is compared.
	noMatch bool
}

func unary(method, req string, md ...string) func(d *double) answer {
	return func(d *double) answer { return d.unary(method, req, md...) }
}

func within(timeout time.Duration, method, req string) func(d *double) answer {
	return func(d *double) answer {
		d.t.Helper()
		old := d.timeout
		d.timeout = timeout
		defer func() { d.timeout = old }()
		return d.unary(method, req)
	}
}

func stream(method string, reqs ...string) func(d *double) answer {
	return func(d *double) answer { return d.stream(method, false, reqs) }
}

func pingPong(method string, reqs ...string) func(d *double) answer {
	return func(d *double) answer { return d.stream(method, true, reqs) }
}

func ok(msgs ...string) answer { return answer{Messages: msgs} }

func failed(code codes.Code, msg string, details ...string) answer {
	return answer{Code: code, Message: msg, Details: details}
}

func runCalls(t *testing.T, d *double, calls []call) {
	t.Helper()
	for _, c := range calls {
		got := c.do(d)
		if c.noMatch {
			if got.Code != expect.NoMatchCode {
				t.Errorf("%s: got %v %q, want no stub to match (%v)", c.name, got.Code, got.Message, expect.NoMatchCode)
			}
			continue
		}
		if c.want.Code == codes.DeadlineExceeded {
			got.Message = c.want.Message // which side noticed first words it
		}
		checkAnswer(t, c.name, c.want, got)
	}
}

var fallback = failed(codes.NotFound, "fallback")

var gripmockUnaryCalls = []call{
	{name: "equals", do: unary(getItem, `{"id": "item-1"}`),
		want: ok(`{"id":"item-1","name":"Blue mug","price":"1200","tags":["kitchen","blue"],"attributes":{"size":"large"},"color":"COLOR_BLUE"}`)},
	{name: "equals ignores fields it does not name", do: unary(getItem, `{"id": "item-1", "quantity": 3}`),
		want: ok(`{"id":"item-1","name":"Blue mug","price":"1200","tags":["kitchen","blue"],"attributes":{"size":"large"},"color":"COLOR_BLUE"}`)},
	{name: "short service name, list in order, headers and trailers", do: unary(getItem, `{"id": "item-2", "tags": ["a", "b"]}`),
		want: answer{Messages: []string{`{"id":"item-2","name":"Tagged"}`},
			Header: metadata.Pairs("x-served-by", "gripmock-stub"), Trailer: metadata.Pairs("x-cost", "3")}},
	{name: "equals on a list keeps its order", do: unary(getItem, `{"id": "item-2", "tags": ["b", "a"]}`), want: fallback},
	{name: "contains, nested", do: unary(getItem, `{"id": "zzz", "userId": "u-7", "filter": {"category": "books", "minPrice": 3}}`),
		want: ok(`{"name":"A book for u-7"}`)},
	{name: "contains compares strings whole", do: unary(getItem, `{"userId": "u-7", "filter": {"category": "bookshop"}}`), want: fallback},
	{name: "error, code and details", do: unary(getItem, `{"id": "missing"}`),
		want: failed(codes.NotFound, "no such item", `{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ITEM_MISSING","domain":"shop.example"}`)},
	{name: "error without a code", do: unary(getItem, `{"id": "aborted"}`), want: failed(codes.Aborted, "try again")},
	{name: "delay trips a shorter deadline", do: within(100*time.Millisecond, getItem, `{"id": "stalled"}`),
		want: failed(codes.DeadlineExceeded, "context deadline exceeded")},
	{name: "delay, then the answer", do: unary(getItem, `{"id": "slow"}`), want: ok(`{"name":"slow"}`)},
	{name: "times 1/2", do: unary(getItem, `{"id": "limited"}`), want: ok(`{"name":"limited"}`)},
	{name: "times 2/2", do: unary(getItem, `{"id": "limited"}`), want: ok(`{"name":"limited"}`)},
	{name: "times used up: the next stub answers", do: unary(getItem, `{"id": "limited"}`), want: fallback},
	{name: "anyOf first", do: unary(getItem, `{"userId": "vip", "id": "gold"}`), want: ok(`{"name":"vip item"}`)},
	{name: "anyOf second", do: unary(getItem, `{"userId": "vip", "id": "platinum"}`), want: ok(`{"name":"vip item"}`)},
	{name: "anyOf none", do: unary(getItem, `{"userId": "vip", "id": "silver"}`), want: fallback},
	{name: "anyOf without the base", do: unary(getItem, `{"userId": "nobody", "id": "gold"}`), want: fallback},
	{name: "headers equals, matches, glob", do: unary(getItem, `{"id": "tenant-item"}`, "x-tenant", "acme", "authorization", "Bearer abc", "x-client", "web-1"),
		want: ok(`{"name":"acme item"}`)},
	{name: "headers glob * stops at /", do: unary(getItem, `{"id": "tenant-item"}`, "x-tenant", "acme", "authorization", "Bearer abc", "x-client", "web-1/2"),
		want: fallback},
	{name: "headers matches fails", do: unary(getItem, `{"id": "tenant-item"}`, "x-tenant", "acme", "authorization", "Basic abc", "x-client", "web-1"),
		want: fallback},
	{name: "headers anyOf first", do: unary(getItem, `{"id": "admin-item"}`, "x-role", "admin"), want: ok(`{"name":"for admins"}`)},
	{name: "headers anyOf second", do: unary(getItem, `{"id": "admin-item"}`, "x-team", "platform"), want: ok(`{"name":"for admins"}`)},
	{name: "headers anyOf none", do: unary(getItem, `{"id": "admin-item"}`, "x-role", "user"), want: fallback},
	{name: "priority breaks a tie", do: unary(getItem, `{"id": "tie"}`), want: ok(`{"name":"high priority"}`)},
	{name: "catch-all", do: unary(getItem, `{"id": "anything"}`), want: fallback},
	{name: "templates", do: unary(getItem, `{"id": "sku-7", "userId": "templ-user", "filter": {"category": "BOOKS"}}`, "x-user", "ann"),
		want: answer{Messages: []string{`{"id":"sku-7","name":"TEMPL-USER for ann #7","tags":["books"]}`}, Header: metadata.Pairs("x-echo", "ann")}},
	{name: "template in an error", do: unary(getItem, `{"id": "templ-error", "userId": "bo"}`), want: failed(codes.NotFound, "no item for bo")},
	{name: "matches and glob", do: unary(getItem, `{"id": "sku-42", "userId": "team-a-blue"}`), want: ok(`{"name":"patterned"}`)},
	{name: "matches fails", do: unary(getItem, `{"id": "sku-4x2", "userId": "team-a-blue"}`), want: fallback},
	{name: "glob ? is one character", do: unary(getItem, `{"id": "sku-42", "userId": "team-ab-blue"}`), want: fallback},
	{name: "equals on zero values: unset", do: unary(getItem, `{"id": "zero"}`), want: ok(`{"name":"not a gift"}`)},
	{name: "equals on zero values: set", do: unary(getItem, `{"id": "zero", "gift": true}`), want: fallback},
	{name: "equals on a nested message", do: unary(getItem, `{"id": "nested", "filter": {"category": "toys"}}`), want: ok(`{"name":"exactly toys"}`)},
	{name: "equals on a nested message is exact", do: unary(getItem, `{"id": "nested", "filter": {"category": "toys", "minPrice": 1}}`), want: fallback},
	{name: "ignoreArrayOrder", do: unary(getItem, `{"id": "unordered", "tags": ["z", "x", "y"]}`), want: ok(`{"name":"any order"}`)},
	{name: "ignoreArrayOrder keeps the count", do: unary(getItem, `{"id": "unordered", "tags": ["z", "x", "y", "x"]}`), want: fallback},
	{name: "ignoreArrayOrder on seven", do: unary(getItem, `{"id": "unordered-7", "tags": ["f", "a", "e", "a", "d", "c", "b"]}`), want: ok(`{"name":"seven in any order"}`)},
	{name: "ignoreArrayOrder on seven counts duplicates", do: unary(getItem, `{"id": "unordered-7", "tags": ["f", "a", "e", "b", "d", "c", "b"]}`), want: fallback},
	{name: "ignoreArrayOrder on seven, one more", do: unary(getItem, `{"id": "unordered-7", "tags": ["f", "a", "e", "a", "d", "c", "b", "a"]}`), want: fallback},
	{name: "ignoreArrayOrder on messages", do: unary(getItem, `{"id": "unordered-filters", "filters": [{"category": "books"}, {"category": "toys", "minPrice": 2}]}`),
		want: ok(`{"name":"filters in any order"}`)},
	{name: "ignoreArrayOrder on messages compares each whole", do: unary(getItem, `{"id": "unordered-filters", "filters": [{"category": "books"}, {"category": "toys"}]}`), want: fallback},
	{name: "matches, a pattern per element", do: unary(getItem, `{"id": "mixed-patterns", "tags": ["b-x", "a-12"]}`), want: ok(`{"name":"one a and one b"}`)},
	{name: "matches, a pattern per element, one left over", do: unary(getItem, `{"id": "mixed-patterns", "tags": ["a-1", "a-2"]}`), want: fallback},
	{name: "contains on a map", do: unary(getItem, `{"id": "labelled", "labels": {"env": "prod", "team": "web"}}`), want: ok(`{"name":"in prod"}`)},
	{name: "contains on a map, another value", do: unary(getItem, `{"id": "labelled", "labels": {"env": "dev"}}`), want: fallback},
	{name: "contains on a map, no such key", do: unary(getItem, `{"id": "labelled", "labels": {"team": "prod"}}`), want: fallback},
	{name: "contains an element", do: unary(getItem, `{"id": "has-tag", "tags": ["new", "sale"]}`), want: ok(`{"name":"on sale"}`)},
	{name: "contains an element, missing", do: unary(getItem, `{"id": "has-tag", "tags": ["new"]}`), want: fallback},
	{name: "contains on a list", do: unary(getItem, `{"id": "all-tags", "tags": ["c", "b", "a"]}`), want: ok(`{"name":"has a and b"}`)},
	{name: "contains on a list, one missing", do: unary(getItem, `{"id": "all-tags", "tags": ["c", "b"]}`), want: fallback},
	{name: "matches on a list", do: unary(getItem, `{"id": "patterned-tags", "tags": ["t-2", "t-17"]}`), want: ok(`{"name":"two numbered tags"}`)},
	{name: "matches on a list, one fails", do: unary(getItem, `{"id": "patterned-tags", "tags": ["t-2", "x"]}`), want: fallback},
	{name: "matches on a list, too many", do: unary(getItem, `{"id": "patterned-tags", "tags": ["t-1", "t-2", "t-3"]}`), want: fallback},
	{name: "matches on a number", do: unary(getItem, `{"id": "counted", "quantity": 12}`), want: ok(`{"name":"ten to nineteen"}`)},
	{name: "matches on a number, no match", do: unary(getItem, `{"id": "counted", "quantity": 21}`), want: fallback},
}

var gripmockStreamCalls = []call{
	{name: "server stream with delay before each", do: stream(listItems, `{"category": "mugs"}`),
		want: ok(`{"id":"m1","name":"Mug one"}`, `{"id":"m2","name":"Mug two"}`, `{"id":"m3","name":"Mug three"}`)},
	{name: "stream, then error", do: stream(listItems, `{"category": "broken"}`),
		want: answer{Messages: []string{`{"id":"b1"}`}, Code: codes.Unavailable, Message: "the shelf fell"}},
	{name: "per-message delay and error", do: stream(listItems, `{"category": "paced"}`),
		want: answer{Messages: []string{`{"id":"p1"}`, `{"id":"p2"}`}, Code: codes.ResourceExhausted, Message: "stopped here"}},
	{name: "templates in a stream", do: stream(listItems, `{"category": "indexed"}`), want: ok(`{"id":"indexed-a"}`, `{"id":"indexed-b"}`)},
	{name: "server stream, no stub", do: stream(listItems, `{"category": "none"}`), noMatch: true},
	{name: "client stream inputs", do: stream(upload, `{"uploadId": "f1", "sequence": 1}`, `{"uploadId": "f1", "sequence": 2}`),
		want: ok(`{"uploadId":"f1","chunks":2,"ok":true}`)},
	{name: "client stream, one pattern every message passes", do: stream(upload, `{"uploadId": "bulk", "sequence": 1}`, `{"uploadId": "bulk", "sequence": 2}`, `{"uploadId": "bulk", "sequence": 3}`),
		want: ok(`{"uploadId":"bulk","ok":true}`)},
	{name: "client stream, one pattern, a message fails it", do: stream(upload, `{"uploadId": "bulk", "sequence": 1}`, `{"uploadId": "other"}`), noMatch: true},
	{name: "client stream with input: some message passes it", do: stream(upload, `{"uploadId": "x"}`, `{"uploadId": "marker", "sequence": 99}`, `{"uploadId": "y"}`),
		want: ok(`{"uploadId":"marker seen"}`)},
	{name: "client stream with input: of two stubs some message passes, the later message's", do: stream(upload, `{"uploadId": "marker", "sequence": 99}`, `{"uploadId": "marker", "sequence": 98}`, `{"uploadId": "y"}`),
		want: ok(`{"uploadId":"marker 98 seen"}`)},
	{name: "client stream with input: the later message's, declared first", do: stream(upload, `{"uploadId": "marker", "sequence": 98}`, `{"uploadId": "marker", "sequence": 99}`),
		want: ok(`{"uploadId":"marker seen"}`)},
	{name: "client stream, one message short", do: stream(upload, `{"uploadId": "f1", "sequence": 1}`), noMatch: true},
	{name: "bidi: message i by inputs[i], answered with stream[i]", do: pingPong(chat, `{"user": "alice", "text": "hello"}`, `{"user": "carol", "text": "how are you"}`),
		want: ok(`{"user":"bob","text":"hello alice"}`, `{"user":"bob","text":"fine, thanks"}`)},
	{name: "bidi: each message answered by the best stub", do: pingPong(chat, `{"user": "dave", "text": "ping"}`, `{"user": "dave", "text": "hello"}`, `{"user": "dave", "text": "ping"}`),
		want: ok(`{"user":"bot","text":"pong"}`, `{"user":"bot","text":"hi dave"}`, `{"user":"bot","text":"pong"}`)},
	{name: "bidi: a stub's error ends the stream", do: pingPong(chat, `{"user": "dave", "text": "ping"}`, `{"user": "dave", "text": "bye"}`),
		want: answer{Messages: []string{`{"user":"bot","text":"pong"}`}, Code: codes.Aborted, Message: "bye now"}},
	{name: "bidi: a message no stub matches", do: pingPong(chat, `{"user": "dave", "text": "ping"}`, `{"user": "erin", "text": "ping"}`), noMatch: true},
}

func TestGripmockAsIs(t *testing.T) {
	d := serve(t, stubformat.Auto, "testdata/gripmock/unary.yaml", "testdata/gripmock/streams.json")
	runCalls(t, d, gripmockUnaryCalls)
	runCalls(t, d, gripmockStreamCalls)
}

func TestGripmockChosenFormat(t *testing.T) {
	d := serve(t, stubformat.Gripmock, "testdata/gripmock/unary.yaml")
	runCalls(t, d, gripmockUnaryCalls[:3])
}

func TestGripmockConverted(t *testing.T) {
	d := serveConverted(t, stubformat.Gripmock, "testdata/gripmock/unary.yaml", "testdata/gripmock/streams.json")
	runCalls(t, d, gripmockUnaryCalls)
	runCalls(t, d, gripmockStreamCalls)
}

// gripmock ranks stubs by the fields they match, then priority, whatever
// file they are in: a catch-all in a file loaded first still answers last.
func TestGripmockRanksAcrossFiles(t *testing.T) {
	calls := []call{
		{name: "specific", do: unary(getItem, `{"id": "item-1"}`), want: ok(`{"name":"specific"}`)},
		{name: "priority", do: unary(getItem, `{"id": "item-2"}`), want: ok(`{"name":"high"}`)},
		{name: "fallback", do: unary(getItem, `{"id": "other"}`), want: ok(`{"name":"fallback"}`)},
	}
	runCalls(t, serve(t, stubformat.Auto, "testdata/ranked"), calls)
	runCalls(t, serveConverted(t, stubformat.Gripmock, "testdata/ranked"), calls)
}

const (
	healthCheck = "/grpc.health.v1.Health/Check"
	healthWatch = "/grpc.health.v1.Health/Watch"
)

// Health stubs need no descriptors; a call none matches gets the server's
// own health (an unknown service NOT_FOUND, a served one SERVING), and
// gripmock's own name its readiness.
var gripmockHealthCalls = []call{
	{name: "check, equals", do: unary(healthCheck, `{"service": "shop.v1.Payments"}`), want: ok(`{"status":"NOT_SERVING"}`)},
	{name: "check, matches", do: unary(healthCheck, `{"service": "shop.v1.Warehouse"}`), want: ok(`{"status":"SERVING"}`)},
	{name: "check, error", do: unary(healthCheck, `{"service": "shop.v1.Flaky"}`), want: failed(codes.Unavailable, "health backend unreachable")},
	{name: "check, gripmock's readiness", do: unary(healthCheck, `{"service": "gripmock"}`), want: ok(`{"status":"SERVING"}`)},
	{name: "check, no stub: the server's own", do: unary(healthCheck, `{"service": "shop.v1.ShopService"}`), want: ok(`{"status":"SERVING"}`)},
	{name: "check, unknown service", do: unary(healthCheck, `{"service": "shop.v1.Nowhere"}`), want: failed(codes.NotFound, "unknown service")},
	{name: "check, the overall health", do: unary(healthCheck, `{}`), want: ok(`{"status":"SERVING"}`)},
	{name: "watch, a stream with a delay before each", do: stream(healthWatch, `{"service": "shop.v1.Payments"}`),
		want: ok(`{"status":"NOT_SERVING"}`, `{"status":"SERVING"}`, `{"status":"NOT_SERVING"}`)},
}

func TestGripmockHealthAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto, "testdata/gripmock/health.yaml"), gripmockHealthCalls)
}

func TestGripmockHealthConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/health.yaml"), gripmockHealthCalls)
}

// withTimeout bounds the calls of do by timeout.
func withTimeout(timeout time.Duration, do func(d *double) answer) func(d *double) answer {
	return func(d *double) answer {
		old := d.timeout
		d.timeout = timeout
		defer func() { d.timeout = old }()
		return do(d)
	}
}

// stubless writes the file:line a template failure names as STUB: it is
// the gripmock file's or the converted one's.
func stubless(do func(d *double) answer) func(d *double) answer {
	return func(d *double) answer {
		a := do(d)
		a.Message = stubLine.ReplaceAllString(a.Message, "template failed: STUB: ")
		return a
	}
}

var stubLine = regexp.MustCompile(`template failed: \S+:\d+: `)

// delayDeadline is a deadline no computed hour-long pause can meet. Only a
// call that must be held by such a pause has it: one that must succeed has
// callTimeout, so no pass depends on speed.
const delayDeadline = 300 * time.Millisecond

// pausedAfter reads a stream whose messages after the first n an hour-long
// pause holds back: the n come within callTimeout, and the call ends
// pauseWindow later, when nothing more came.
func pausedAfter(n int, do func(d *double) answer) func(d *double) answer {
	return func(d *double) answer {
		d.pausing, d.pauseAfter = true, n
		defer func() { d.pausing, d.pauseAfter = false, 0 }()
		return do(d)
	}
}

// windowEnded is how a call pausedAfter ends when nothing more came.
func windowEnded(msgs ...string) answer {
	return answer{Messages: msgs, Code: codes.Canceled, Message: "context canceled"}
}

var deadlineExceeded = failed(codes.DeadlineExceeded, "context deadline exceeded")

// gripmock's templated output.delay: the calls show the pause computed, by
// a short deadline tripping (an hour) or a call succeeding (none), never by
// a clock.
var gripmockDelayCalls = []call{
	{name: "regressive 1h by 1h: the first attempt waits an hour", do: withTimeout(delayDeadline, unary(getItem, `{"id": "retry"}`)), want: deadlineExceeded},
	{name: "regressive 1h by 1h: the second does not", do: unary(getItem, `{"id": "retry"}`), want: ok(`{"name":"attempt 2"}`)},
	{name: "curves 1", do: unary(getItem, `{"id": "curves"}`), want: ok(`{"name":"100ms 3s 100ms 2s 5ms"}`)},
	{name: "curves 2", do: unary(getItem, `{"id": "curves"}`), want: ok(`{"name":"200ms 2.5s 200ms 2s 5ms"}`)},
	{name: "curves 3: backoff stops at its cap", do: unary(getItem, `{"id": "curves"}`), want: ok(`{"name":"300ms 2s 300ms 2s 5ms"}`)},
	{name: "curves: options.times used up", do: unary(getItem, `{"id": "curves"}`), noMatch: true},
	{name: "the header asks for no pause", do: unary(getItem, `{"id": "asked"}`), want: ok(`{"name":"as asked"}`)},
	{name: "a negative pause is none", do: unary(getItem, `{"id": "asked"}`, "x-delay", "-1s"), want: ok(`{"name":"as asked"}`)},
	{name: "the header asks for an hour", do: withTimeout(delayDeadline, unary(getItem, `{"id": "asked"}`, "x-delay", "1h")), want: deadlineExceeded},
	{name: "not a duration: INTERNAL naming the stub and the value", do: stubless(unary(getItem, `{"id": "asked"}`, "x-delay", "soon")),
		want: failed(codes.Internal, `grpcdouble: template failed: STUB: delay: the template gave "soon", want a duration like 250ms or 2s`)},
	{name: "a ramp over .MessageIndex: the third message waits an hour", do: pausedAfter(2, stream(listItems, `{"category": "ramp"}`)),
		want: windowEnded(`{"id":"r0"}`, `{"id":"r1"}`)},
	{name: "_gripmock.delay templates", do: pausedAfter(1, stream(listItems, `{"category": "per-element"}`)),
		want: windowEnded(`{"id":"e0"}`)},
}

func TestGripmockDelayAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto, "testdata/gripmock/delays.yaml"), gripmockDelayCalls)
}

func TestGripmockDelayConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/delays.yaml"), gripmockDelayCalls)
}

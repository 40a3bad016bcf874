package stubformat_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

// WireMock's template helpers beyond the first few, loaded as they are and
// converted: the answers WireMock's helpers give.
var wiremockHelperCalls = []call{
	{name: "math keeps BigDecimal's scale: 10/4 is 3, '10.0'/4 is 2.5, 1.5+1.5 is 3.0; not a number is 0",
		do:   unary(getItem, `{"id": "h-math", "quantity": 7}`),
		want: ok(`{"name":"21 3 2.5 1 3.0 2","price":"8"}`)},
	{name: "each with this, @index, @last, @first, @key, block params, else; with",
		do:   unary(getItem, `{"id": "h-each", "tags": ["a", "b", "c"], "filters": [{"category": "x"}, {"category": "y"}], "labels": {"k": "v"}, "filter": {"category": "mugs", "minPrice": 3}}`),
		want: ok(`{"name":"0:a,1:b,2:c","tags":["first x0 y1 ","k=v;","123","x@/shop.v1.ShopService/GetItem y@/shop.v1.ShopService/GetItem "],"attributes":{"with":"mugs/3"}}`)},
	{name: "each over an empty list takes its else",
		do:   unary(getItem, `{"id": "h-each", "tags": ["a"], "filter": {"category": "c"}}`),
		want: ok(`{"name":"0:a","tags":["","","123","no filters"],"attributes":{"with":"c/0"}}`)},
	{name: "../ reads the block around (#if makes no context); else if in #each: not taken while the list has elements",
		do:   unary(getItem, `{"id": "h-parent", "userId": "ann", "tags": ["a", "b"], "filters": [{"category": "x"}, {"category": "y"}], "filter": {"category": "mugs"}}`),
		want: ok(`{"name":"ab","tags":["mugs:a mugs:b@/shop.v1.ShopService/GetItem ","ann","x1x2y1y2"]}`)},
	{name: "else if in #each over an empty list, in the context outside it; #with's else if",
		do:   unary(getItem, `{"id": "h-parent", "userId": "bob"}`),
		want: ok(`{"name":"no tags for bob","tags":["","bob",""]}`)},
	{name: "else if in #with over an empty value, then else",
		do:   unary(getItem, `{"id": "h-parent", "tags": ["t"], "filter": {"category": "c"}}`),
		want: ok(`{"name":"t","tags":["c:t@/shop.v1.ShopService/GetItem ","tags",""]}`)},
	{name: "each's else after an else if not taken",
		do:   unary(getItem, `{"id": "h-parent"}`),
		want: ok(`{"name":"nobody","tags":["","none",""]}`)},
	{name: "arrayAdd and arrayRemove: a list, written as Java's; at the end, the start, a position; #each and arrayJoin over one",
		do:   unary(getItem, `{"id": "h-array", "tags": ["a", "b"]}`),
		want: ok(`{"name":"[a, b, z]","tags":["[z, a, b]","[a, z, b]","[a]","[b]","1;3;","1,2,3"]}`)},
	{name: "regexExtract, substring, base64 (= escaped in {{ }}), formatJson as Jackson lays it out, replace, joins, val, toJson, array, size",
		do: unary(getItem, `{"id": "h-text-42", "userId": "ann b", "tags": ["x", "y"]}`),
		want: ok(compact(`{"name":"42|none|ann|b","tags":["YW5uIGI&#x3D;","YW5uIGI=","ann","YW5uIGI"],"attributes":{` +
			`"array":"[1, 2, 3]","arrayJoin":"&lt;x-y&gt;","compact":"{\"a\":[1,2]}","join":"a+b+c",` +
			`"pretty":"{\n  \"a\" : 1,\n  \"b\" : [ 1, 2 ],\n  \"c\" : { },\n  \"d\" : \"x\"\n}",` +
			`"replace":"ann_b","size":"2","toJson":"[\"x\",\"y\"]","val":"none"}}`))},
	{name: "parseDate (HTTP date, ISO 8601, a format, epoch milliseconds, unix seconds), date with offset= (a month past the 31st keeps to the month's end), date keeps its date's zone",
		do:   unary(getItem, `{"id": "h-date"}`, "x-date", "Tue, 02 Jan 2024 10:00:00 GMT", "x-epoch", "1700000000123", "x-unix", "1700000000"),
		want: ok(`{"name":"2024-01-03 10:00","tags":["2024-01-02T10:00:00Z","2024-02-29T10:00:00Z","2024-01-31","2024-01-02T08:00:00Z","+09:00","2023-11-14T22:13:20Z","1700000000000"]}`)},
	{name: "request.body: the request as protobuf-java's printer writes it (unset fields left out, = as \\u003d), escaped in {{ }}",
		do:   unary(getItem, `{"id": "h-body", "userId": "a=b", "tags": ["x", "y"], "quantity": 3, "filter": {}}`),
		want: ok(compact(`{"name":` + jsonText(bodyJSON) + `,"tags":[` + jsonText(strings.ReplaceAll(bodyJSON, `"`, "&quot;")) + `]}`))},
	{name: "request.body on a bidi method: each message echoed",
		do:   pingPong(chat, `{"user": "echo", "text": "a<b"}`, `{"user": "echo", "text": "c"}`),
		want: ok(`{"user":"echo","text":"a<b"}`, `{"user":"echo","text":"c"}`)},
	{name: "client stream: jsonPath reads the message that matched, not the first",
		do:   stream(upload, `{"uploadId": "u", "sequence": 1}`, `{"uploadId": "first", "sequence": 12}`, `{"uploadId": "second", "sequence": 15}`),
		want: ok(`{"uploadId":"first-12","chunks":12}`)},
	{name: "client stream: request.body is the message that matched",
		do:   stream(upload, `{"uploadId": "x"}`, `{"uploadId": "raw", "sequence": 2}`),
		want: ok(compact(`{"uploadId":` + jsonText("{\n  \"uploadId\": \"raw\",\n  \"sequence\": 2\n}") + `,"ok":true}`))},
	{name: "urlEncode as Java's URLEncoder (* kept, ~ escaped), decode=true, lookup, truncateDate in the date's zone",
		do:   unary(getItem, `{"id": "h-more", "userId": "a b&c*~é", "tags": ["x", "y"], "labels": {"k": "v"}}`),
		want: ok(`{"name":"a+b%26c*%7E%C3%A9|a+b c|y|v","tags":["2024-02-01T00:00:00Z","2024-02-29T00:00:00Z","2025-01-01","00:00 +09:00"]}`)},
	{name: "regexExtract into a variable: the groups of every match, one written alone, several as a list; the default where none matched",
		do:   unary(getItem, `{"id": "h-regex-42"}`),
		want: ok(`{"name":"regex/42:regex;42;","tags":["no zs","[4, 2]|4"]}`)},
	{name: "JSON paths: length(), [*] and a field of each element, as JSON; #each over them",
		do:   unary(getItem, `{"id": "h-paths", "tags": ["a", "b", "c"], "filters": [{"category": "x", "minPrice": 1}, {"category": "y", "minPrice": 2}]}`),
		want: ok(compact(`{"name":"3 [\"x\",\"y\"] [\"a\",\"b\",\"c\"]","tags":["x.y.","2"]}`))},
	{name: "Handlebars.java's string helpers: words capitalized at whitespace, abbreviate's ellipsis, padding cut from a repeated pad, tags stripped, words wrapped; an empty value writes the first parameter",
		do: unary(getItem, `{"id": "h-strings", "userId": "hello-wORLD \u00e9lan", "quantity": 42, "tags": ["Handlebars rocks", "<b>bold</b> & <i\nclass=x>it</i>", "Joel is a slug"]}`),
		want: ok(compact(`{"name":"Hello-wORLD Élan|Hello-world Élan|Hello-wORLD élan","tags":["Joel\nis a\nslug","bold &amp; it","bold & it"],"attributes":{` +
			`"abbreviate":"Handlebars...|Handlebars rocks|Ünïcö...","center":"[*-*abc*-*][ ab  ][toolong]","empty":"[10][7][][]","ljust":"h-strings...","rjust":"00042"}}`))},
	{name: "numberFormat as DecimalFormat writes in en_US (half even on the exact value: 1.015 is 1.01); dateFormat's styles and patterns, in UTC or tz=",
		do: unary(getItem, `{"id": "h-formats", "quantity": 1234567}`, "x-date", "2024-03-05T23:30:00Z"),
		want: ok(`{"name":"123.46|1,234,567.00|1,234.568|1,234|26%|-$1,234.57","tags":["0.12 1.01 .5 007 2 (0.5) 1.00 units 1234,5678",` +
			`"2024-01-02|Tuesday 2 Jan 24, 10:00 AM|19:00 +09:00","Jan 2, 2024|Tuesday, January 2, 2024|January 2, 2024|1/2/24","5/3/2024|06/03/2024"]}`)},
	{name: "assign: the block rendered and trimmed, written escaped again by {{name}}, as Handlebars.java's; set anew in each #each round",
		do:   unary(getItem, `{"id": "h-assign", "userId": "ann", "tags": ["a<b", "c"]}`),
		want: ok(`{"name":"[Ann &amp; co][Ann & co][ANN &amp; CO]","tags":["a&amp;lt;b|a&lt;b","(0=a<b)(1=c)","100%"]}`)},
	{name: "parseJson: a block of JSON or the request's text read into a variable; a decimal as Java's Double, an integer's digits, nothing for a missing field",
		do:   unary(getItem, `{"id": "h-json", "userId": "ann", "quantity": 3}`),
		want: ok(`{"name":"ann|1.5|12345678901|1.0E7|false|a|v&lt;|[]|no|2","tags":["h-json/3/ANN","2.5x|[]"]}`)},
	{name: "jsonMerge: objects merged field by field, other values (null too) replacing, new keys last, written compact; {{ }} escapes it; the block form over request.body",
		do: unary(getItem, `{"id": "h-merge", "userId": "ann"}`),
		want: ok(`{"name":` + jsonText(`{"a":1,"o":{"x":1,"y":3,"z":4},"l":[2],"n":null,"b":"<"}`) + `,"tags":[` +
			jsonText(`{&quot;a&quot;:1,&quot;b&quot;:&quot;x&quot;}`) + `,` + jsonText(`{"id":"h-merge","userId":"ANN","extra":true}`) + `]}`)},
	{name: "a header's last value (grpc-java's Metadata.get), a binary header's bytes as Java's Arrays.toString, an absent one empty",
		do:   unary(getItem, `{"id": "h-headers"}`, "x-multi", "first", "x-multi", "second", "x-trace-bin", string([]byte{1, 0xff, 0x7f, 0x80})),
		want: ok(`{"name":"second","tags":["[1, -1, 127, -128]","[]","has trace"]}`)},
}

// bodyJSON is h-body's request as the extension's request.body.
const bodyJSON = "{\n  \"id\": \"h-body\",\n  \"userId\": \"a\\u003db\",\n  \"tags\": [\"x\", \"y\"],\n  \"filter\": {\n  },\n  \"quantity\": 3\n}"

func jsonText(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func TestWireMockHelpersAsIs(t *testing.T) {
	d := serve(t, stubformat.Auto, "testdata/wiremock-helpers")
	runCalls(t, d, wiremockHelperCalls)
	checkNow(t, d)
	checkHelperRandom(t, d, serve(t, stubformat.Auto, "testdata/wiremock-helpers"))
}

func TestWireMockHelpersConverted(t *testing.T) {
	dir := convertTo(t, stubformat.WireMock, "testdata/wiremock-helpers")
	load := func(r mockserver.Methods) ([]expect.Stub, error) { return expect.LoadStubs(r, dir) }
	d := serveWith(t, load)
	runCalls(t, d, wiremockHelperCalls)
	checkNow(t, d)
	// The seed is the stub's file:line: the same files give the same values.
	checkHelperRandom(t, d, serveWith(t, load))
}

// checkNow: now offset= and timezone= are the time of the call, moved
// and in the zone.
func checkNow(t *testing.T, d *double) {
	t.Helper()
	a := d.unary(getItem, `{"id": "h-now"}`)
	var got struct {
		Attributes map[string]string `json:"attributes"`
	}
	if len(a.Messages) != 1 || json.Unmarshal([]byte(a.Messages[0]), &got) != nil {
		t.Fatalf("h-now: %v %q %v", a.Code, a.Message, a.Messages)
	}
	at := got.Attributes
	call, err1 := strconv.ParseInt(at["call"], 10, 64)
	ago, err2 := strconv.ParseInt(at["hourAgo"], 10, 64)
	if err1 != nil || err2 != nil || call-ago != time.Hour.Milliseconds() {
		t.Errorf("now format=epoch %q and date (now offset='-1 hours') format=epoch %q: want an hour apart", at["call"], at["hourAgo"])
	}
	when := time.UnixMilli(call).UTC()
	if want := when.AddDate(0, 0, 1).Format("2006-01-02"); at["tomorrow"] != want {
		t.Errorf("now offset='1 days' format='yyyy-MM-dd': got %q, want %q", at["tomorrow"], want)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	if want := when.In(tokyo).Format("2006-01-02T15:04:05") + "+09:00"; at["tokyo"] != want {
		t.Errorf("now timezone='Asia/Tokyo': got %q, want %q", at["tokyo"], want)
	}
}

// checkHelperRandom: random helpers give values of their range, and a
// second double loaded the same way gives the same ones (seeded).
func checkHelperRandom(t *testing.T, d, again *double) {
	t.Helper()
	req := `{"id": "h-rand", "tags": ["p", "q", "r", "s"]}`
	var first []string
	for range 5 {
		a := d.unary(getItem, req)
		if len(a.Messages) != 1 {
			t.Fatalf("h-rand: %v %q", a.Code, a.Message)
		}
		var got struct {
			Name  string   `json:"name"`
			Price string   `json:"price"`
			Tags  []string `json:"tags"`
		}
		if err := json.Unmarshal([]byte(a.Messages[0]), &got); err != nil || len(got.Tags) != 4 {
			t.Fatalf("h-rand: %v %s", err, a.Messages[0])
		}
		dec, err := strconv.ParseFloat(got.Tags[1], 64)
		_, errInt := strconv.ParseInt(got.Tags[2], 10, 32)
		if !slices.Contains([]string{"red", "green", "blue"}, got.Name) || !regexp.MustCompile(`^[567]$`).MatchString(got.Price) ||
			!slices.Contains([]string{"p", "q", "r", "s"}, got.Tags[0]) || err != nil || dec < 1 || dec >= 2 || errInt != nil {
			t.Errorf("h-rand: %s: want a colour, 5 to 7, one of the tags, a decimal in [1, 2) and an int", a.Messages[0])
		}
		if m := regexp.MustCompile(`^\[([a-d]), ([a-d])\]$`).FindStringSubmatch(got.Tags[3]); m == nil || m[1] == m[2] {
			t.Errorf("pickRandom count=2: %q, want two distinct of a to d, as [x, y]", got.Tags[3])
		}
		first = append(first, a.Messages[0])
	}
	for i, want := range first {
		if got := again.unary(getItem, req); len(got.Messages) != 1 || got.Messages[0] != want {
			t.Errorf("h-rand call %d on a second double: %v, want %s (seeded)", i+1, got.Messages, want)
		}
	}
	if slices.Equal(first[:1], first[1:2]) && slices.Equal(first[1:2], first[2:3]) && slices.Equal(first[2:3], first[3:4]) {
		t.Errorf("h-rand: every call gave %s: the calls are not drawn apart", first[0])
	}
}

// WireMock's global templating: mappings without the transformer are
// rendered, loaded as they are and converted.
var wiremockGlobalCalls = []call{
	{name: "no transformer, rendered", do: unary(getItem, `{"id": "g-1", "userId": "ann", "tags": ["a", "b"]}`),
		want: answer{Messages: []string{`{"name":"ANN","tags":["a.b."]}`}, Header: metadata.Pairs("x-user", "ann")}},
	{name: "the transformer, as before", do: unary(getItem, `{"id": "g-2"}`), want: ok(`{"name":"4"}`)},
}

func TestWireMockGlobalTemplatingAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto.WithGlobalTemplating(), "testdata/wiremock-global"), wiremockGlobalCalls)
}

func TestWireMockGlobalTemplatingConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.WireMock.WithGlobalTemplating(), "testdata/wiremock-global"), wiremockGlobalCalls)
}

// Without global templating the load fails, naming the line.
func TestWireMockGlobalTemplatingOff(t *testing.T) {
	_, err := stubformat.Load(nil, stubformat.Auto, "testdata/wiremock-global")
	want := `testdata/wiremock-global/global.json:12: response.headers.x-user: holds {{...}} but the mapping has no "transformers": ["response-template"]`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("load: %v, want %s", err, want)
	}
	if f := stubformat.WireMock.WithGlobalTemplating(); !f.GlobalTemplating() || f.WithGlobalTemplating() != f || stubformat.WireMock.GlobalTemplating() {
		t.Errorf("WithGlobalTemplating: %q", f)
	}
}

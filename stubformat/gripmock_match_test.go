package stubformat_test

import (
	"testing"

	"github.com/grpcdouble/grpcdouble/stubformat"
)

// gripmock's matchers on lists of messages, maps' entries and bytes.
var gripmockNestedCalls = []call{
	{name: "matches, a list of messages", do: unary(getItem, `{"id": "message-patterns", "filters": [{"category": "books", "tags": ["new-1"]}, {"category": "toys"}]}`),
		want: ok(`{"name":"patterned filters"}`)},
	{name: "matches, a list of messages: a list inside misses", do: unary(getItem, `{"id": "message-patterns", "filters": [{"category": "books"}, {"category": "toys"}]}`), noMatch: true},
	{name: "matches, a list of messages: one short", do: unary(getItem, `{"id": "message-patterns", "filters": [{"category": "toys"}]}`), noMatch: true},
	{name: "matches, a list of messages: no pairing", do: unary(getItem, `{"id": "message-patterns", "filters": [{"category": "toys"}, {"category": "tops"}]}`), noMatch: true},
	{name: "matches on a map's entries", do: unary(getItem, `{"id": "label-patterns", "labels": {"env": "prod", "team": "web", "x": "y"}}`), want: ok(`{"name":"prod-ish"}`)},
	{name: "matches on a map's entries: a value misses", do: unary(getItem, `{"id": "label-patterns", "labels": {"env": "dev", "team": "web"}}`), noMatch: true},
	{name: "matches on a map's entries: a key missing", do: unary(getItem, `{"id": "label-patterns", "labels": {"env": "prod"}}`), noMatch: true},
	{name: "glob on a map's entries and a map's messages", do: unary(getItem, `{"id": "label-globs", "labels": {"env": "prod"}, "filterBy": {"main": {"category": "toys"}}}`),
		want: ok(`{"name":"globbed labels"}`)},
	{name: "glob on a map's entries: * stops at /", do: unary(getItem, `{"id": "label-globs", "labels": {"env": "pr/d"}, "filterBy": {"main": {"category": "toys"}}}`), noMatch: true},
	{name: "glob on a map's messages: ? is one character", do: unary(getItem, `{"id": "label-globs", "labels": {"env": "prod"}, "filterBy": {"main": {"category": "toy"}}}`), noMatch: true},
	{name: "contains on a map of messages", do: unary(getItem, `{"id": "filter-subset", "filterBy": {"main": {"category": "toys", "minPrice": 3}, "extra": {"tags": ["new", "sale"]}, "x": {}}}`),
		want: ok(`{"name":"main toys"}`)},
	{name: "contains on a map of messages: a value's field differs", do: unary(getItem, `{"id": "filter-subset", "filterBy": {"main": {"category": "books"}, "extra": {"tags": ["sale"]}}}`), noMatch: true},
	{name: "contains on a map of messages: a list's element missing", do: unary(getItem, `{"id": "filter-subset", "filterBy": {"main": {"category": "toys"}, "extra": {"tags": ["new"]}}}`), noMatch: true},
	{name: "contains on a map of messages: a key missing", do: unary(getItem, `{"id": "filter-subset", "filterBy": {"main": {"category": "toys"}}}`), noMatch: true},
	{name: "matches on bytes: the base64 text", do: unary(getItem, `{"id": "token", "token": "AAEC"}`), want: ok(`{"name":"token starts 00 01"}`)},
	{name: "ignoreArrayOrder, lists inside elements", do: unary(getItem, `{"id": "tagged-filters", "filters": [{"category": "books", "minPrice": 5, "tags": ["rare", "old", "old"]}, {"category": "toys", "tags": ["blue", "red"]}]}`),
		want: ok(`{"name":"filters and their tags in any order"}`)},
	{name: "ignoreArrayOrder, lists inside elements: the counts kept", do: unary(getItem, `{"id": "tagged-filters", "filters": [{"category": "books", "minPrice": 5, "tags": ["rare", "old", "rare"]}, {"category": "toys", "tags": ["blue", "red"]}]}`), noMatch: true},
	{name: "ignoreArrayOrder, lists inside elements: an element compared whole", do: unary(getItem, `{"id": "tagged-filters", "filters": [{"category": "books", "minPrice": 5, "tags": ["rare", "old", "old"]}, {"category": "toys", "minPrice": 1, "tags": ["blue", "red"]}]}`), noMatch: true},
	{name: "ignoreArrayOrder, lists inside elements: one short", do: unary(getItem, `{"id": "tagged-filters", "filters": [{"category": "books", "minPrice": 5, "tags": ["rare", "old", "old"]}, {"category": "toys", "tags": ["blue"]}]}`), noMatch: true},
	{name: "anyOf in one of several inputs is ignored", do: stream(upload, `{"uploadId": "two-step", "sequence": 1}`, `{"uploadId": "two-step", "sequence": 2}`),
		want: ok(`{"uploadId":"two steps","ok":true}`)},
	{name: "anyOf in one of several inputs: the rest still holds", do: stream(upload, `{"uploadId": "two-step", "sequence": 1}`, `{"uploadId": "other", "sequence": 7}`), noMatch: true},
	{name: "anyOf in one of several inputs: the count still holds", do: stream(upload, `{"uploadId": "two-step", "sequence": 1}`), noMatch: true},
	{name: "times with headers.anyOf: no alternative", do: unary(getItem, `{"id": "shared-headers"}`, "x-tenant", "acme", "x-role", "user"), noMatch: true},
	{name: "times with headers.anyOf 1/2", do: unary(getItem, `{"id": "shared-headers"}`, "x-tenant", "acme", "x-role", "admin"), want: ok(`{"name":"shared by header alternatives"}`)},
	{name: "times with headers.anyOf 2/2, the other alternative", do: unary(getItem, `{"id": "shared-headers"}`, "x-tenant", "acme", "x-team", "platform"), want: ok(`{"name":"shared by header alternatives"}`)},
	{name: "times with headers.anyOf used up by both", do: unary(getItem, `{"id": "shared-headers"}`, "x-tenant", "acme", "x-role", "admin"), noMatch: true},
	{name: "bidi, times with headers.anyOf: no alternative", do: pingPongMD(chat, []string{"x-role", "user"}, `{"text": "ping"}`), noMatch: true},
	{name: "bidi, times with headers.anyOf 1/2", do: pingPongMD(chat, []string{"x-role", "admin"}, `{"text": "ping"}`), want: ok(`{"user":"bot","text":"pong"}`)},
	{name: "bidi, times with headers.anyOf 2/2, the other alternative", do: pingPongMD(chat, []string{"x-team", "platform"}, `{"text": "ping"}`), want: ok(`{"user":"bot","text":"pong"}`)},
	{name: "bidi, times with headers.anyOf used up by both", do: pingPongMD(chat, []string{"x-role", "admin"}, `{"text": "ping"}`), noMatch: true},
	{name: "a template in a matcher is text", do: unary(getItem, `{"id": "{{ .Request.user_id }}", "userId": "u-1", "labels": {"tmpl": "{{ .Request.id }}"}}`),
		want: ok(`{"name":"the template as text"}`)},
	{name: "a template in a matcher is not rendered", do: unary(getItem, `{"id": "u-1", "userId": "u-1", "labels": {"tmpl": "u-1"}}`), noMatch: true},
	{name: "a .json file's matcher templates are text", do: unary(getItem, `{"id": "{{ upper \"json\" }}", "userId": "{{ now }}"}`),
		want: ok(`{"name":"json matchers keep templates as text"}`)},
	{name: "a .json file's matcher templates are not run", do: unary(getItem, `{"id": "JSON", "userId": "{{ now }}"}`), noMatch: true},
	{name: "matches with unquoted values compares them whole", do: unary(getItem, `{"id": "unquoted", "quantity": 12, "gift": true}`), want: ok(`{"name":"twelve gifts"}`)},
	{name: "matches with an unquoted number is no pattern", do: unary(getItem, `{"id": "unquoted", "quantity": 112, "gift": true}`), noMatch: true},
	{name: "matches with an unquoted bool", do: unary(getItem, `{"id": "unquoted", "quantity": 12}`), noMatch: true},
	{name: "matches, an empty entry takes any element", do: unary(getItem, `{"id": "any-second", "filters": [{"minPrice": 3}, {"category": "toys"}]}`), want: ok(`{"name":"toys and one more"}`)},
	{name: "matches, an empty entry is still one element", do: unary(getItem, `{"id": "any-second", "filters": [{"category": "toys"}]}`), noMatch: true},
	{name: "matches on bytes: other bytes", do: unary(getItem, `{"id": "token", "token": "AQID"}`), noMatch: true},
}

func TestGripmockNestedMatchersAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto, "testdata/gripmock/nested.yaml", "testdata/gripmock/matcher-templates.json"), gripmockNestedCalls)
}

func TestGripmockNestedMatchersConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/nested.yaml", "testdata/gripmock/matcher-templates.json"), gripmockNestedCalls)
}

// A client stream's one input naming only an empty strategy takes every
// stream, as gripmock's.
var gripmockClientEmptyInputCalls = []call{
	{name: "one message", do: stream(upload, `{"uploadId": "x", "sequence": 1}`), want: ok(`{"uploadId":"any stream"}`)},
	{name: "several messages", do: stream(upload, `{"uploadId": "x"}`, `{"sequence": 2}`, `{}`), want: ok(`{"uploadId":"any stream"}`)},
	{name: "no message", do: stream(upload), want: ok(`{"uploadId":"any stream"}`)},
	{name: "a stub naming a field outranks it", do: stream(upload, `{"uploadId": "named"}`, `{"uploadId": "named"}`), want: ok(`{"uploadId":"named stream"}`)},
}

func TestGripmockClientEmptyInputAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto, "testdata/gripmock/client-empty-input.yaml"), gripmockClientEmptyInputCalls)
}

func TestGripmockClientEmptyInputConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/client-empty-input.yaml"), gripmockClientEmptyInputCalls)
}

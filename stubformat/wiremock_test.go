package stubformat_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/grpcdouble/grpcdouble/stubformat"
)

var wiremockCalls = []call{
	{name: "equalToJson", do: unary(getItem, `{"id": "w-1"}`),
		want: answer{Messages: []string{`{"id":"w-1","name":"WireMock item","price":"5"}`}, Header: metadata.Pairs("x-source", "wiremock")}},
	{name: "equalToJson is exact: an extra field misses it", do: unary(getItem, `{"id": "w-1", "quantity": 2}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreExtraElements and header matchers", do: unary(getItem, `{"userId": "w-user", "id": "x"}`, "authorization", "Bearer t", "x-tenant", "acme"),
		want: ok(`{"name":"for w-user"}`)},
	{name: "header absent", do: unary(getItem, `{"userId": "w-user"}`, "authorization", "Bearer t", "x-tenant", "acme", "x-debug", "1"),
		want: failed(codes.Unavailable, "fallback")},
	{name: "header matches the whole value", do: unary(getItem, `{"userId": "w-user"}`, "authorization", "Bearer", "x-tenant", "acme"),
		want: failed(codes.Unavailable, "fallback")},
	{name: "fixedDelayMilliseconds trips a shorter deadline", do: func(d *double) answer {
		d.timeout = 30 * time.Millisecond
		defer func() { d.timeout = 0 }()
		return d.unary(getItem, `{"id": "w-stalled"}`)
	}, want: failed(codes.DeadlineExceeded, "")},
	{name: "grpc-status-name and grpc-status-reason", do: unary(getItem, `{"id": "w-missing"}`), want: failed(codes.NotFound, "no item w-missing")},
	{name: "priority: the fallback comes last", do: unary(getItem, `{"id": "other"}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: presence, filter, expression, regex filter", do: unary(getItem, `{"id": "bulk-7", "userId": "b2b-acme", "quantity": 12, "filter": {"category": "mugs"}}`),
		want: ok(`{"name":"bulk order"}`)},
	{name: "matchesJsonPath: too few", do: unary(getItem, `{"id": "bulk-7", "userId": "b2b-acme", "quantity": 9, "filter": {"category": "mugs"}}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: absent field", do: unary(getItem, `{"id": "bulk-7", "userId": "b2b-acme", "quantity": 12}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: expression matches the whole value", do: unary(getItem, `{"id": "bulk-7x", "userId": "b2b-acme", "quantity": 12, "filter": {"category": "mugs"}}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "server stream from a string body", do: stream(listItems, `{"category": "w"}`), want: ok(`{"id":"ws-1"}`)},
	{name: "json-unit any-string, any-number", do: unary(getItem, `{"id": "ph-1", "userId": "u", "quantity": 3}`), want: ok(`{"name":"any user, any quantity"}`)},
	{name: "json-unit any-number wants the field", do: unary(getItem, `{"id": "ph-1", "userId": "u"}`), want: failed(codes.Unavailable, "fallback")},
	{name: "json-unit placeholders in an exact match: an extra field misses it", do: unary(getItem, `{"id": "ph-1", "userId": "u", "quantity": 3, "gift": true}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "json-unit regex in a nested message", do: unary(getItem, `{"id": "ph-2", "filter": {"category": "mugs"}}`), want: ok(`{"name":"regex in the filter"}`)},
	{name: "json-unit regex matches the whole value", do: unary(getItem, `{"id": "ph-2", "filter": {"category": "mugsy"}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "json-unit in an exact nested message: an extra field misses it", do: unary(getItem, `{"id": "ph-2", "filter": {"category": "mugs", "minPrice": 3}}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "json-unit with ignoreExtraElements", do: unary(getItem, `{"id": "ph-3-12", "gift": true, "tags": ["a"], "quantity": 5}`), want: ok(`{"name":"partial with placeholders"}`)},
	{name: "json-unit any-boolean: false is no value in the extension's JSON", do: unary(getItem, `{"id": "ph-3-12", "tags": ["a"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "json-unit ignore", do: unary(getItem, `{"id": "ph-4", "userId": "x"}`), want: ok(`{"name":"ignored"}`)},
	{name: "json-unit ignore-element takes a value", do: unary(getItem, `{"id": "ph-4", "userId": "x", "quantity": 9}`), want: ok(`{"name":"ignored"}`)},
	{name: "json-unit ignore wants the field", do: unary(getItem, `{"id": "ph-4"}`), want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreArrayOrder", do: unary(getItem, `{"id": "ord-1", "tags": ["a", "a", "b"]}`), want: ok(`{"name":"any order"}`)},
	{name: "ignoreArrayOrder: each element as often", do: unary(getItem, `{"id": "ord-1", "tags": ["a", "b", "b"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreArrayOrder: as many elements", do: unary(getItem, `{"id": "ord-1", "tags": ["a", "b"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreArrayOrder, exact: an extra field misses it", do: unary(getItem, `{"id": "ord-1", "tags": ["b", "a", "a"], "gift": true}`), want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreArrayOrder with ignoreExtraElements", do: unary(getItem, `{"id": "ord-2", "tags": ["y", "x"], "gift": true}`), want: ok(`{"name":"any order, partial"}`)},
	{name: "ignoreArrayOrder with ignoreExtraElements: other elements besides", do: unary(getItem, `{"id": "ord-2", "tags": ["z", "y", "x"]}`), want: ok(`{"name":"any order, partial"}`)},
	{name: "ignoreArrayOrder with ignoreExtraElements: each element there", do: unary(getItem, `{"id": "ord-2", "tags": ["z", "x", "x"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "json-unit in a list", do: unary(getItem, `{"id": "ph-5", "tags": ["a", "zz"]}`), want: ok(`{"name":"a, then anything"}`)},
	{name: "json-unit in a list: as many elements", do: unary(getItem, `{"id": "ph-5", "tags": ["a", "zz", "b"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "json-unit in a list: in order", do: unary(getItem, `{"id": "ph-5", "tags": ["zz", "a"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "json-unit in a list's elements, with ignoreExtraElements", do: unary(getItem, `{"id": "ph-6", "filters": [{"category": "toys", "minPrice": 3}, {"minPrice": 5}, {"category": "x"}]}`),
		want: ok(`{"name":"filters by their index"}`)},
	{name: "json-unit in a list's elements: regex on the first", do: unary(getItem, `{"id": "ph-6", "filters": [{"category": "mugs"}, {"minPrice": 5}]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "json-unit in a list's elements: no second element", do: unary(getItem, `{"id": "ph-6", "filters": [{"category": "toys"}]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "json-unit in a map", do: unary(getItem, `{"id": "ph-7", "labels": {"env": "prod", "team": "web"}}`), want: ok(`{"name":"web, any env"}`)},
	{name: "json-unit in a map: exact, no other key", do: unary(getItem, `{"id": "ph-7", "labels": {"env": "prod", "team": "web", "x": "y"}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "json-unit in a map: the key is wanted", do: unary(getItem, `{"id": "ph-7", "labels": {"team": "web", "x": "y"}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreArrayOrder through elements holding lists", do: unary(getItem, `{"id": "ord-3", "filters": [{"category": "b"}, {"category": "a", "tags": ["y", "x"]}]}`),
		want: ok(`{"name":"nested lists in any order"}`)},
	{name: "ignoreArrayOrder through elements: the inner list's elements", do: unary(getItem, `{"id": "ord-3", "filters": [{"category": "b"}, {"category": "a", "tags": ["y"]}]}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreArrayOrder through elements: each element exact", do: unary(getItem, `{"id": "ord-3", "filters": [{"category": "b", "minPrice": 1}, {"category": "a", "tags": ["x", "y"]}]}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreArrayOrder, a placeholder in an element", do: unary(getItem, `{"id": "ord-4", "filters": [{"category": "b"}, {"category": "z", "minPrice": 3, "tags": ["q"]}]}`),
		want: ok(`{"name":"any category at 3, and b"}`)},
	{name: "ignoreArrayOrder, a placeholder in an element wants the field", do: unary(getItem, `{"id": "ord-4", "filters": [{"category": "b"}, {"minPrice": 3}]}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreArrayOrder, a placeholder for a whole element", do: unary(getItem, `{"id": "ord-5", "filters": [{"category": "z", "minPrice": 4}, {"category": "b"}]}`),
		want: ok(`{"name":"b and any other"}`)},
	{name: "ignoreArrayOrder, a placeholder for a whole element: as many elements", do: unary(getItem, `{"id": "ord-5", "filters": [{"category": "b"}]}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreArrayOrder, a placeholder for a whole element: the other exact", do: unary(getItem, `{"id": "ord-5", "filters": [{"category": "z"}, {"category": "b", "minPrice": 1}]}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreArrayOrder, a placeholder for a whole element: not more", do: unary(getItem, `{"id": "ord-5", "filters": [{}, {"category": "b"}, {}]}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreArrayOrder with extra elements, an empty element", do: unary(getItem, `{"id": "ord-6", "filters": [{"category": "q"}, {"category": "b"}, {"minPrice": 1}]}`),
		want: ok(`{"name":"b and at least one more"}`)},
	{name: "ignoreArrayOrder with extra elements, an empty element is one more", do: unary(getItem, `{"id": "ord-6", "filters": [{"category": "b"}]}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreExtraElements: extra elements and keys", do: unary(getItem, `{"id": "px-1", "tags": ["a", "b", "c"], "labels": {"env": "prod", "team": "web"}, "filterBy": {"main": {"category": "toys", "minPrice": 2, "tags": ["t", "u"]}, "x": {}}, "gift": true}`),
		want: ok(`{"name":"these, and more"}`)},
	{name: "ignoreExtraElements: a list's elements in order", do: unary(getItem, `{"id": "px-1", "tags": ["b", "a"], "labels": {"env": "prod"}, "filterBy": {"main": {"category": "toys", "tags": ["t"]}}}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreExtraElements: a map's value", do: unary(getItem, `{"id": "px-1", "tags": ["a", "b"], "labels": {"env": "dev"}, "filterBy": {"main": {"category": "toys", "tags": ["t"]}}}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "ignoreExtraElements: a list inside a map's value", do: unary(getItem, `{"id": "px-1", "tags": ["a", "b"], "labels": {"env": "prod"}, "filterBy": {"main": {"category": "toys", "tags": ["u"]}}}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: && in a filter", do: unary(getItem, `{"id": "jp-1", "quantity": 15}`), want: ok(`{"name":"between 10 and 20"}`)},
	{name: "matchesJsonPath: && in a filter, one fails", do: unary(getItem, `{"id": "jp-1", "quantity": 25}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: matches on a field set", do: unary(getItem, `{"id": "jp-17", "quantity": 3}`), want: ok(`{"name":"some quantity"}`)},
	{name: "matchesJsonPath: matches on a zero field, left out of the JSON", do: unary(getItem, `{"id": "jp-17"}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: [0] and a nested field set", do: unary(getItem, `{"id": "jp-2", "tags": ["x"], "filter": {"category": "c"}}`), want: ok(`{"name":"has tags"}`)},
	{name: "matchesJsonPath: [0] on an empty list", do: unary(getItem, `{"id": "jp-2", "filter": {"category": "c"}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: a filter on a list", do: unary(getItem, `{"id": "jp-3", "tags": ["a", "sale"]}`), want: ok(`{"name":"on sale"}`)},
	{name: "matchesJsonPath: a filter on a list, no such element", do: unary(getItem, `{"id": "jp-3", "tags": ["a"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: [1] through a list", do: unary(getItem, `{"id": "jp-4", "filters": [{"minPrice": 1}, {"category": "b"}]}`), want: ok(`{"name":"a second filter with a category"}`)},
	{name: "matchesJsonPath: [1] past the list's end", do: unary(getItem, `{"id": "jp-4", "filters": [{"category": "a"}]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: [1] without the field", do: unary(getItem, `{"id": "jp-4", "filters": [{"category": "a"}, {"minPrice": 3}]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: [*] through a list", do: unary(getItem, `{"id": "jp-5", "filters": [{"category": "a"}, {"minPrice": 2}]}`), want: ok(`{"name":"some filter has a minimum price"}`)},
	{name: "matchesJsonPath: [*], no element has it", do: unary(getItem, `{"id": "jp-5", "filters": [{"category": "a"}]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: a filter on message elements", do: unary(getItem, `{"id": "jp-6", "filters": [{"category": "toys", "minPrice": 5}, {"category": "toys", "minPrice": 11}]}`), want: ok(`{"name":"a toy over 10"}`)},
	{name: "matchesJsonPath: a filter, each condition on another element", do: unary(getItem, `{"id": "jp-6", "filters": [{"category": "toys", "minPrice": 5}, {"category": "mugs", "minPrice": 11}]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: =~ on a list's elements", do: unary(getItem, `{"id": "jp-7", "tags": ["x", "sale-20"]}`), want: ok(`{"name":"a sale tag"}`)},
	{name: "matchesJsonPath: =~ matches the whole element", do: unary(getItem, `{"id": "jp-7", "tags": ["x", "sale-20%"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: || the first", do: unary(getItem, `{"id": "jp-8"}`), want: ok(`{"name":"one or the other"}`)},
	{name: "matchesJsonPath: || the second", do: unary(getItem, `{"id": "x", "userId": "jp-8-user"}`), want: ok(`{"name":"one or the other"}`)},
	{name: "matchesJsonPath: || neither", do: unary(getItem, `{"id": "x", "userId": "y"}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: a deep scan finds a list element's field", do: unary(getItem, `{"id": "jp-9", "filters": [{"minPrice": 1}, {"category": "c"}]}`), want: ok(`{"name":"a category somewhere"}`)},
	{name: "matchesJsonPath: a deep scan finds a nested field", do: unary(getItem, `{"id": "jp-9", "filter": {"category": "c"}}`), want: ok(`{"name":"a category somewhere"}`)},
	{name: "matchesJsonPath: a deep scan finds a map's key", do: unary(getItem, `{"id": "jp-9", "labels": {"category": "c"}}`), want: ok(`{"name":"a category somewhere"}`)},
	{name: "matchesJsonPath: a deep scan finds a map value's field", do: unary(getItem, `{"id": "jp-9", "filterBy": {"main": {"category": "c"}}}`), want: ok(`{"name":"a category somewhere"}`)},
	{name: "matchesJsonPath: a deep scan finds none", do: unary(getItem, `{"id": "jp-9", "filters": [{"minPrice": 1}], "filter": {"minPrice": 2}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: length()", do: unary(getItem, `{"id": "jp-10", "tags": ["a", "b"]}`), want: ok(`{"name":"two tags"}`)},
	{name: "matchesJsonPath: length(), another count", do: unary(getItem, `{"id": "jp-10", "tags": ["a"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: the object form, a value of those found", do: unary(getItem, `{"id": "jp-11", "filters": [{"category": "mugs"}, {"category": "toys"}], "tags": ["x", "sale"]}`),
		want: ok(`{"name":"toys, and a tag holding ale"}`)},
	{name: "matchesJsonPath: the object form, none of those found", do: unary(getItem, `{"id": "jp-11", "filters": [{"category": "mugs"}], "tags": ["x", "sale"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: the object form's contains on each element", do: unary(getItem, `{"id": "jp-11", "filters": [{"category": "toys"}], "tags": ["x", "al"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: a map's value", do: unary(getItem, `{"id": "jp-12", "labels": {"env": "prod-1"}}`), want: ok(`{"name":"a prod env"}`)},
	{name: "matchesJsonPath: absent on a filter's field, none found", do: unary(getItem, `{"id": "jp-13", "filters": [{"category": "toys"}, {"category": "mugs", "minPrice": 3}]}`), want: ok(`{"name":"no toys priced"}`)},
	{name: "matchesJsonPath: absent on a filter's field, no list", do: unary(getItem, `{"id": "jp-13"}`), want: ok(`{"name":"no toys priced"}`)},
	{name: "matchesJsonPath: absent on a filter's field, one found", do: unary(getItem, `{"id": "jp-13", "filters": [{"category": "mugs"}, {"category": "toys", "minPrice": 2}]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: absent on [*] and a filter of the request", do: unary(getItem, `{"id": "jp-14", "quantity": 3}`), want: ok(`{"name":"no tags, few and no gift"}`)},
	{name: "matchesJsonPath: absent on [*], an element found", do: unary(getItem, `{"id": "jp-14", "tags": ["a"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: absent on a filter's ||, its first alternative passes", do: unary(getItem, `{"id": "jp-14", "quantity": 6}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: absent on a filter's ||, its second alternative passes", do: unary(getItem, `{"id": "jp-14", "gift": true}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: < and > on strings", do: unary(getItem, `{"id": "jp-15", "userId": "mugs", "tags": ["a", "ba"]}`), want: ok(`{"name":"an m user, a tag after b"}`)},
	{name: "matchesJsonPath: < and > on strings: upper case comes first", do: unary(getItem, `{"id": "jp-15", "userId": "Mugs", "tags": ["ba"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: < and > on strings: past the bound", do: unary(getItem, `{"id": "jp-15", "userId": "n", "tags": ["ba"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: > on a list's strings: no element after b", do: unary(getItem, `{"id": "jp-15", "userId": "m", "tags": ["a", "b"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: ! and parentheses", do: unary(getItem, `{"id": "jp-16", "quantity": 9, "filters": [{"category": "toys"}, {"category": "mugs"}]}`), want: ok(`{"name":"not a big gift, an unpriced filter but toys"}`)},
	{name: "matchesJsonPath: ! and parentheses: a gift, but few", do: unary(getItem, `{"id": "jp-16", "quantity": 2, "gift": true, "filters": [{"category": "mugs"}]}`), want: ok(`{"name":"not a big gift, an unpriced filter but toys"}`)},
	{name: "matchesJsonPath: ! of a parenthesis that holds", do: unary(getItem, `{"id": "jp-16", "quantity": 9, "userId": "vip", "filters": [{"category": "mugs"}]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: !@.field on a list's elements: each one priced or toys", do: unary(getItem, `{"id": "jp-16", "filters": [{"category": "toys"}, {"category": "mugs", "minPrice": 2}]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "matchesJsonPath: a map's value that does not match", do: unary(getItem, `{"id": "jp-12", "labels": {"env": "dev", "team": "prod-1"}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "length() after [*]: an element of two fields", do: unary(getItem, `{"id": "fn-1", "filters": [{"category": "a"}, {"category": "b", "minPrice": 3}]}`), want: ok(`{"name":"a filter of two fields"}`)},
	{name: "length() after [*]: each element of one field", do: unary(getItem, `{"id": "fn-1", "filters": [{"category": "a"}, {"minPrice": 3}]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "length() after a filter", do: unary(getItem, `{"id": "fn-2", "filters": [{"category": "mugs"}, {"category": "toys", "tags": ["a", "b"]}]}`), want: ok(`{"name":"toys with two tags"}`)},
	{name: "length() after a filter: two tags on another element", do: unary(getItem, `{"id": "fn-2", "filters": [{"category": "toys", "tags": ["a"]}, {"category": "mugs", "tags": ["a", "b"]}]}`),
		want: failed(codes.Unavailable, "fallback")},
	{name: "size() and sum() in a filter", do: unary(getItem, `{"id": "fn-3", "tags": ["a", "b"], "counts": [4, 5, 2]}`), want: ok(`{"name":"two tags, counts over 10"}`)},
	{name: "size() and sum() in a filter: a sum of 10", do: unary(getItem, `{"id": "fn-3", "tags": ["a", "b"], "counts": [4, 5, 1]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "size() and sum() in a filter: one tag", do: unary(getItem, `{"id": "fn-3", "tags": ["a"], "counts": [4, 5, 2]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "sum() and min() equalTo their Java text", do: unary(getItem, `{"id": "fn-4", "counts": [4, 5, 2]}`), want: ok(`{"name":"sum 11, min 2"}`)},
	{name: "sum() and min(): another min", do: unary(getItem, `{"id": "fn-4", "counts": [4, 4, 3]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "sum() and min(): no numbers", do: unary(getItem, `{"id": "fn-4"}`), want: failed(codes.Unavailable, "fallback")},
	{name: "stddev()", do: unary(getItem, `{"id": "fn-5", "counts": [2, 4, 4, 4, 5, 5, 7, 9]}`), want: ok(`{"name":"spread 2"}`)},
	{name: "stddev(): another spread", do: unary(getItem, `{"id": "fn-5", "counts": [2, 4, 4, 4, 5, 5, 7, 8]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "avg() and max() of doubles", do: unary(getItem, `{"id": "fn-6", "weights": [1.5, 2.5, -1]}`), want: ok(`{"name":"mean 1, max 2.5"}`)},
	{name: "avg() and max() of doubles: another mean", do: unary(getItem, `{"id": "fn-6", "weights": [1.5, 2.5, -0.5]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "first() and last()", do: unary(getItem, `{"id": "fn-7", "tags": ["a", "z"]}`), want: ok(`{"name":"a first, and a last"}`)},
	{name: "first() and last(): no last() of one element", do: unary(getItem, `{"id": "fn-7", "tags": ["a"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "first() and last(): another first", do: unary(getItem, `{"id": "fn-7", "tags": ["b", "a"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "! of length() > 1: one tag", do: unary(getItem, `{"id": "fn-8", "tags": ["a"]}`), want: ok(`{"name":"one tag at most"}`)},
	{name: "! of length() > 1: no tags", do: unary(getItem, `{"id": "fn-8"}`), want: ok(`{"name":"one tag at most"}`)},
	{name: "! of length() > 1: two tags", do: unary(getItem, `{"id": "fn-8", "tags": ["a", "b"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "length() of each string found", do: unary(getItem, `{"id": "fn-9", "tags": ["x"]}`), want: ok(`{"name":"some tag"}`)},
	{name: "length() of each string found: none found", do: unary(getItem, `{"id": "fn-9"}`), want: failed(codes.Unavailable, "fallback")},
	{name: "length() of a message set empty", do: unary(getItem, `{"id": "fn-10", "filter": {}}`), want: ok(`{"name":"an empty filter"}`)},
	{name: "length() of a message: none set", do: unary(getItem, `{"id": "fn-10"}`), want: failed(codes.Unavailable, "fallback")},
	{name: "length() of a message: a field set", do: unary(getItem, `{"id": "fn-10", "filter": {"category": "x"}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "@.length() in a filter", do: unary(getItem, `{"id": "fn-11", "filters": [{"minPrice": 9}, {"category": "a", "minPrice": 4}]}`), want: ok(`{"name":"a filter of two fields or more, over 3"}`)},
	{name: "@.length() in a filter: the one over 3 has one field", do: unary(getItem, `{"id": "fn-11", "filters": [{"minPrice": 9}, {"category": "a", "minPrice": 2}]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "a slice [0:2]", do: unary(getItem, `{"id": "sl-1", "tags": ["x", "sale", "y"]}`), want: ok(`{"name":"sale among the first two"}`)},
	{name: "a slice [0:2]: the third is past it", do: unary(getItem, `{"id": "sl-1", "tags": ["x", "y", "sale"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "a slice [:2], then a filter", do: unary(getItem, `{"id": "sl-2", "filters": [{"minPrice": 1}, {"minPrice": 11}]}`), want: ok(`{"name":"one of the first two filters over 10"}`)},
	{name: "a slice [:2], then a filter: only the third passes", do: unary(getItem, `{"id": "sl-2", "filters": [{"minPrice": 1}, {"minPrice": 2}, {"minPrice": 11}]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "a slice [-2:]", do: unary(getItem, `{"id": "sl-3", "tags": ["a", "z1", "b"]}`), want: ok(`{"name":"z among the last two"}`)},
	{name: "a slice [-2:]: the first is before it", do: unary(getItem, `{"id": "sl-3", "tags": ["z1", "a", "b"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "a slice [-2:] of one element", do: unary(getItem, `{"id": "sl-3", "tags": ["z1"]}`), want: ok(`{"name":"z among the last two"}`)},
	{name: "a slice [-1:1]: the last", do: unary(getItem, `{"id": "sl-4", "tags": ["a", "b", "q"]}`), want: ok(`{"name":"q last or first"}`)},
	{name: "a slice [-1:1]: the first", do: unary(getItem, `{"id": "sl-4", "tags": ["q", "a", "b"]}`), want: ok(`{"name":"q last or first"}`)},
	{name: "a slice [-1:1]: neither", do: unary(getItem, `{"id": "sl-4", "tags": ["a", "q", "b"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "a union [0,2]: the third", do: unary(getItem, `{"id": "un-1", "tags": ["a", "b", "k"]}`), want: ok(`{"name":"k first or third"}`)},
	{name: "a union [0,2]: the first", do: unary(getItem, `{"id": "un-1", "tags": ["k"]}`), want: ok(`{"name":"k first or third"}`)},
	{name: "a union [0,2]: the second is not in it", do: unary(getItem, `{"id": "un-1", "tags": ["a", "k"]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "a union of names ending the path", do: unary(getItem, `{"id": "un-2", "quantity": 2, "labels": {"team": "web"}}`), want: ok(`{"name":"a user or a quantity, an env or a team"}`)},
	{name: "a union of names ending the path: neither key", do: unary(getItem, `{"id": "un-2", "userId": "u", "labels": {"other": "web"}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "a union of names ending the path: neither field", do: unary(getItem, `{"id": "un-2", "labels": {"env": "prod"}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "a union of names before more of the path", do: unary(getItem, `{"id": "un-3", "filterBy": {"main": {"minPrice": 2}, "alt": {"minPrice": 5}}}`), want: ok(`{"name":"main or alt at 5"}`)},
	{name: "a union of names before more of the path: another key", do: unary(getItem, `{"id": "un-3", "filterBy": {"other": {"minPrice": 5}}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "[*] on a message", do: unary(getItem, `{"id": "ob-1", "filter": {"category": "toys", "minPrice": 3}}`), want: ok(`{"name":"some field is toys"}`)},
	{name: "[*] on a message: a list's value is its JSON text", do: unary(getItem, `{"id": "ob-1", "filter": {"category": "mugs", "tags": ["toys"]}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "[*] on a message, the string form", do: unary(getItem, `{"id": "ob-2", "filter": {"minPrice": 3}}`), want: ok(`{"name":"a filter with a field set"}`)},
	{name: "[*] on a message, the string form: an empty message", do: unary(getItem, `{"id": "ob-2", "filter": {}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "[*] on a map", do: unary(getItem, `{"id": "ob-3", "filterBy": {"x": {"minPrice": 4}, "y": {"minPrice": 5}}}`), want: ok(`{"name":"some filter at 5"}`)},
	{name: "[*] on a map: no value at 5", do: unary(getItem, `{"id": "ob-3", "filterBy": {"x": {"minPrice": 4}}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "[*] on each element", do: unary(getItem, `{"id": "ob-4", "filters": [{"category": "a"}, {"minPrice": 9}]}`), want: ok(`{"name":"some filter holds 9"}`)},
	{name: "[*] on each element: none holds 9", do: unary(getItem, `{"id": "ob-4", "filters": [{"category": "a", "minPrice": 8}]}`), want: failed(codes.Unavailable, "fallback")},
	{name: "[*] on a message: a field's text", do: unary(getItem, `{"id": "ob-6", "filter": {"category": "0"}}`), want: ok(`{"name":"some field is 0"}`)},
	{name: "[*] on a message: a field left out as zero is not found", do: unary(getItem, `{"id": "ob-6", "filter": {"category": "x"}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "absent on [*] of a message: an empty one", do: unary(getItem, `{"id": "ob-5", "filter": {}}`), want: ok(`{"name":"nothing in the filter"}`)},
	{name: "absent on [*] of a message: none", do: unary(getItem, `{"id": "ob-5"}`), want: ok(`{"name":"nothing in the filter"}`)},
	{name: "absent on [*] of a message: a field set", do: unary(getItem, `{"id": "ob-5", "filter": {"tags": ["a"]}}`), want: failed(codes.Unavailable, "fallback")},
	{name: "client stream: a message matches", do: stream(upload, `{"uploadId": "wm-up", "sequence": 1}`, `{"uploadId": "wm-up", "sequence": 2}`, `{"uploadId": "wm-up", "sequence": 3}`),
		want: ok(`{"uploadId":"wm-up","chunks":2,"ok":true}`)},
	{name: "client stream: a JSON path on a message", do: stream(upload, `{"uploadId": "x", "sequence": 1}`, `{"uploadId": "x", "sequence": 120}`),
		want: ok(`{"uploadId":"big"}`)},
	{name: "client stream: an error status", do: stream(upload, `{"uploadId": "wm-bad"}`), want: failed(codes.InvalidArgument, "bad upload")},
	{name: "client stream: no message matches", do: stream(upload, `{"uploadId": "wm-up", "sequence": 1}`, `{"uploadId": "wm-up", "sequence": 3}`), noMatch: true},
	{name: "bidi: each message answered by the mapping it matches", do: pingPong(chat, `{"user": "wm", "text": "ping"}`, `{"user": "wm", "text": "hello"}`, `{"user": "wm", "text": "ping"}`),
		want: ok(`{"user":"bot","text":"pong"}`, `{"text":"hi there"}`, `{"user":"bot","text":"pong"}`)},
	{name: "bidi: priority, then a status ends the stream", do: stream(chat, `{"user": "wm", "text": "hello"}`, `{"user": "wm", "text": "bye"}`, `{"user": "wm", "text": "ping"}`),
		want: answer{Messages: []string{`{"text":"hi there"}`}, Code: codes.Aborted, Message: "bye"}},
	{name: "bidi: a message no mapping matches", do: pingPong(chat, `{"user": "wm", "text": "ping"}`, `{"user": "other", "text": "ping"}`), noMatch: true},
	{name: "bidi: request.headers match the call's metadata, response headers go with the first answer",
		do:   pingPongMD(chat, []string{"x-tenant", "acme"}, `{"user": "wm-h", "text": "plan?"}`, `{"user": "wm-h", "text": "thanks"}`),
		want: answer{Messages: []string{`{"user":"bot","text":"gold plan"}`, `{"user":"bot","text":"noted"}`}, Header: metadata.Pairs("x-plan", "gold")}},
	{name: "bidi: a header absent", do: pingPong(chat, `{"user": "wm-h", "text": "plan?"}`), want: ok(`{"user":"bot","text":"free plan"}`)},
	{name: "bidi: a header matches", do: pingPongMD(chat, []string{"x-tenant", "alpha"}, `{"user": "wm-h", "text": "plan?"}`),
		want: answer{Messages: []string{`{"user":"bot","text":"noted"}`}, Header: metadata.Pairs("x-answered-by", "catch-all")}},
	{name: "bidi: no mapping takes the call's metadata", do: pingPongMD(chat, []string{"x-tenant", "beta"}, `{"user": "wm-h", "text": "plan?"}`), noMatch: true},
	{name: "bidi: a later message no mapping takes for the call's metadata", do: pingPong(chat, `{"user": "wm-h", "text": "plan?"}`, `{"user": "wm-h", "text": "thanks"}`), noMatch: true},
}

func TestWireMockAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto, "testdata/wiremock"), wiremockCalls)
}

func TestWireMockChosenFormat(t *testing.T) {
	runCalls(t, serve(t, stubformat.WireMock, "testdata/wiremock/mappings.json", "testdata/wiremock/streams.json", "testdata/wiremock/placeholders.json", "testdata/wiremock/jsonpaths.json", "testdata/wiremock/bidi.json", "testdata/wiremock/functions.json", "testdata/wiremock/slices.json", "testdata/wiremock/objects.json"), wiremockCalls)
}

func TestWireMockConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.WireMock, "testdata/wiremock"), wiremockCalls)
}

// One folder may mix native, gripmock and WireMock files.
func TestMixedFolder(t *testing.T) {
	d := serve(t, stubformat.Auto, "testdata/mixed")
	runCalls(t, d, []call{
		{name: "native", do: unary(getItem, `{"id": "native-1"}`), want: ok(`{"name":"native stub"}`)},
		{name: "gripmock", do: unary(getItem, `{"id": "grip-1"}`), want: ok(`{"name":"gripmock stub"}`)},
		{name: "wiremock", do: unary(getItem, `{"id": "wm-1"}`), want: ok(`{"name":"wiremock stub"}`)},
		{name: "none", do: unary(getItem, `{"id": "other"}`), noMatch: true},
	})
}

// WireMock scenarios are native scenarios: the first call fails and moves
// the state, the retry succeeds; a mapping without a required state
// answers in any, and may move it.
var wiremockScenarioCalls = []call{
	{name: "any state, before", do: unary(getItem, `{"id": "any-state"}`), want: ok(`{"name":"in any state"}`)},
	{name: "started", do: unary(getItem, `{"id": "flaky"}`), want: failed(codes.Unavailable, "try again")},
	{name: "recovered", do: unary(getItem, `{"id": "flaky"}`), want: ok(`{"name":"recovered"}`)},
	{name: "recovered again", do: unary(getItem, `{"id": "flaky"}`), want: ok(`{"name":"recovered"}`)},
	{name: "any state, after", do: unary(getItem, `{"id": "any-state"}`), want: ok(`{"name":"in any state"}`)},
	{name: "any state, then move: from recovered", do: unary(getItem, `{"id": "reset"}`), want: ok(`{"name":"back to the start"}`)},
	{name: "started again", do: unary(getItem, `{"id": "flaky"}`), want: failed(codes.Unavailable, "try again")},
	{name: "any state, then move: from recovered again", do: unary(getItem, `{"id": "reset"}`), want: ok(`{"name":"back to the start"}`)},
	{name: "any state, then move: from started", do: unary(getItem, `{"id": "reset"}`), want: ok(`{"name":"back to the start"}`)},
	{name: "still started", do: unary(getItem, `{"id": "flaky"}`), want: failed(codes.Unavailable, "try again")},
	{name: "recovered once more", do: unary(getItem, `{"id": "flaky"}`), want: ok(`{"name":"recovered"}`)},
	{name: "bidi: each message moves the scenario", do: pingPong(chat, `{"text": "next"}`, `{"text": "next"}`, `{"text": "next"}`, `{"text": "next"}`),
		want: ok(`{"text":"one"}`, `{"text":"two"}`, `{"text":"no more"}`, `{"text":"no more"}`)},
	{name: "bidi: the state outlives the call", do: pingPong(chat, `{"text": "next"}`), want: ok(`{"text":"no more"}`)},
	{name: "bidi: a mapping in any state moves it back", do: pingPong(chat, `{"text": "reset"}`, `{"text": "next"}`, `{"text": "reset"}`),
		want: ok(`{"text":"again"}`, `{"text":"one"}`, `{"text":"again"}`)},
	{name: "bidi: every message sent before reading", do: stream(chat, `{"text": "next"}`, `{"text": "next"}`), want: ok(`{"text":"one"}`, `{"text":"two"}`)},
}

func TestWireMockScenariosAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto, "testdata/wiremock-scenarios"), wiremockScenarioCalls)
}

func TestWireMockScenariosConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.WireMock, "testdata/wiremock-scenarios"), wiremockScenarioCalls)
}

// WireMock response templates (Handlebars) are translated into native
// templates: the same answers as the extension renders.
var wiremockTemplateCalls = []call{
	{name: "jsonPath, request.headers, request.path, default", do: unary(getItem, `{"id": "t-echo", "userId": "ann", "quantity": 7, "tags": ["a", "b"]}`, "x-tenant", "acme"),
		want: answer{Messages: []string{`{"id":"t-echo","name":"Hello ann of acme/acme","price":"7","tags":["b","[\"a\",\"b\"]"],` +
			`"attributes":{"category":"","missing":"none","path":"/shop.v1.ShopService/GetItem"}}`}, Header: metadata.Pairs("x-echo", "acme")}},
	{name: "a nested field", do: unary(getItem, `{"id": "t-echo", "userId": "bo", "tags": ["x", "y"], "filter": {"category": "mugs"}}`, "x-tenant", "acme"),
		want: ok(`{"id":"t-echo","name":"Hello bo of acme/acme","tags":["y","[\"x\",\"y\"]"],"attributes":{"category":"mugs","missing":"mugs","path":"/shop.v1.ShopService/GetItem"}}`)},
	{name: "if/else if/else, unless, eq, contains, matches, and, neq: one way", do: unary(getItem, `{"id": "t-if", "quantity": 3, "userId": "vip"}`, "x-tenant", "acme"),
		want: ok(`{"name":"three","tags":["plain","VIP","has ip","lower","-"]}`)},
	{name: "the other way", do: unary(getItem, `{"id": "t-if", "quantity": 9, "userId": "bob", "gift": true}`, "x-tenant", "ACME"),
		want: ok(`{"name":"many","tags":["wrapped","guest","no ip","other","gift for a guest"]}`)},
	{name: "the last else", do: unary(getItem, `{"id": "t-if", "quantity": 1}`),
		want: ok(`{"name":"few","tags":["plain","guest","no ip","other","-"]}`)},
	{name: "{{ }} escapes, {{{ }}} does not", do: unary(getItem, `{"id": "t-escape", "userId": "a\"b&c<d>'e=f"}`),
		want: ok(`{"name":"a&quot;b&amp;c&lt;d&gt;&#x27;e&#x3D;f|a\"b&c<d>'e=f"}`)},
	{name: "a body JSON once rendered", do: unary(getItem, `{"id": "t-body", "userId": "cy", "quantity": 12}`),
		want: ok(`{"name":"bare cy","price":"12"}`)},
	{name: "a templated grpc-status-reason", do: unary(getItem, `{"id": "t-error", "userId": "dee"}`),
		want: failed(codes.NotFound, "no item dee")},
	{name: "server stream", do: stream(listItems, `{"category": "tt"}`), want: ok(`{"id":"tt-1"}`)},
	{name: "bidi: each message answered with itself", do: pingPong(chat, `{"user": "ann", "text": "hi"}`, `{"user": "bo", "text": "yo"}`),
		want: ok(`{"user":"bot","text":"echo hi to ann"}`, `{"user":"bot","text":"echo yo to bo"}`)},
	{name: "no mapping", do: unary(getItem, `{"id": "other"}`), noMatch: true},
}

func TestWireMockTemplatesAsIs(t *testing.T) {
	d := serve(t, stubformat.Auto, "testdata/wiremock-templates")
	runCalls(t, d, wiremockTemplateCalls)
	checkRandom(t, d)
}

func TestWireMockTemplatesConverted(t *testing.T) {
	d := serveConverted(t, stubformat.WireMock, "testdata/wiremock-templates")
	runCalls(t, d, wiremockTemplateCalls)
	checkRandom(t, d)
}

// checkRandom: randomValue and now give values of their shape, and now is
// the time of the call.
func checkRandom(t *testing.T, d *double) {
	t.Helper()
	before := time.Now()
	a := d.unary(getItem, `{"id": "t-random"}`)
	after := time.Now()
	if a.Code != codes.OK || len(a.Messages) != 1 {
		t.Fatalf("t-random: %v %q %v", a.Code, a.Message, a.Messages)
	}
	var got struct {
		ID         string            `json:"id"`
		Name       string            `json:"name"`
		Attributes map[string]string `json:"attributes"`
	}
	if err := json.Unmarshal([]byte(a.Messages[0]), &got); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, value, re string }{
		{"UUID", got.ID, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`},
		{"NUMERIC", got.Name, `^[0-9]{8}$`},
		{"HEXADECIMAL uppercase", got.Attributes["hex"], `^[0-9A-F]{6}$`},
		{"ALPHANUMERIC", got.Attributes["alnum"], `^[0-9A-Za-z]{12}$`},
		{"now format=yyyy-MM-dd", got.Attributes["day"], `^\d{4}-\d{2}-\d{2}$`},
		{"now", got.Attributes["now"], `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`},
	} {
		if !regexp.MustCompile(c.re).MatchString(c.value) {
			t.Errorf("%s: got %q, want %s", c.what, c.value, c.re)
		}
	}
	now, err := time.Parse(time.RFC3339, got.Attributes["now"])
	if err != nil {
		t.Fatal(err)
	}
	if now.Before(before.Truncate(time.Second)) || now.After(after) {
		t.Errorf("now %v: not within the call (%v to %v)", now, before, after)
	}
	day := before.UTC().Format("2006-01-02")
	if d2 := after.UTC().Format("2006-01-02"); got.Attributes["day"] != day && got.Attributes["day"] != d2 {
		t.Errorf("now format='yyyy-MM-dd': got %q, want %s", got.Attributes["day"], day)
	}
	ms, err1 := strconv.ParseInt(got.Attributes["epoch"], 10, 64)
	s, err2 := strconv.ParseInt(got.Attributes["unix"], 10, 64)
	if err1 != nil || err2 != nil || ms < before.UnixMilli() || ms > after.UnixMilli() || s != ms/1000 {
		t.Errorf("now format='epoch' %q and 'unix' %q: want the call's time in ms and s (%d to %d ms)", got.Attributes["epoch"], got.Attributes["unix"], before.UnixMilli(), after.UnixMilli())
	}
}

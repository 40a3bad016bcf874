package stubformat_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

// A foreign stub is checked as a native one is: every problem of it is
// reported, at the line of the foreign file, not only the first.
func TestForeignStubReportsEveryProblem(t *testing.T) {
	resolver, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	if err != nil {
		t.Fatal(err)
	}
	defer resolver.Close()
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"gripmock", `- service: shop.v1.ShopService
  method: GetItem
  input:
    equals:
      idd: item-1
  output:
    data:
      nmae: Blue mug
      price: lots
      color: COLOR_PINK
`, []string{
			`5: request.fields.idd: field idd: shop.v1.GetItemRequest has no field "idd" (did you mean id?)`,
			`8: response: not a shop.v1.Item: unknown field "nmae"`,
			`9: response: not a shop.v1.Item: invalid value for int64 field price: "lots"`,
			`10: response: not a shop.v1.Item: invalid value for enum field color: "COLOR_PINK"`,
		}},
		{"wiremock", `{"mappings": [{
  "request": {
    "urlPath": "/shop.v1.ShopService/GetItem",
    "method": "POST",
    "bodyPatterns": [{"equalToJson": {
      "idd": "w-1"}}]
  },
  "response": {
    "jsonBody": {
      "nmae": "x",
      "price": "lots"
    }
  }
}]}
`, []string{
			`6: request.equal: not a shop.v1.GetItemRequest: unknown field "idd"`,
			`10: response: not a shop.v1.Item: unknown field "nmae"`,
			`11: response: not a shop.v1.Item: invalid value for int64 field price: "lots"`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stubs, err := stubformat.Parse("s.yaml", []byte(tc.data), stubformat.Auto, resolver)
			if err == nil || !errors.Is(err, expect.ErrStubFile) {
				t.Fatalf("err %v, stubs %v", err, stubs)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tc.want) {
				t.Fatalf("%d problems, want %d:\n%v", len(got), len(tc.want), err)
			}
			for i, w := range tc.want {
				if got[i] != "bad stub file: s.yaml:"+w {
					t.Errorf("problem %d:\n got %s\nwant bad stub file: s.yaml:%s", i+1, got[i], w)
				}
			}
		})
	}
}

// Convert lists every problem of a stub it leaves out, one Problem each.
func TestConvertListsEveryProblem(t *testing.T) {
	resolver, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	if err != nil {
		t.Fatal(err)
	}
	defer resolver.Close()
	path := filepath.Join(t.TempDir(), "g.yaml")
	if err := os.WriteFile(path, []byte(`- service: shop.v1.ShopService
  method: GetItem
  input:
    equals:
      idd: item-1
  output:
    data:
      nmae: Blue mug
      price: lots
`), 0o600); err != nil {
		t.Fatal(err)
	}
	files, problems, err := stubformat.Convert(resolver, stubformat.Gripmock, path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, fmt.Sprintf("%d: %s: %s", p.Line, p.Construct, p.Reason))
	}
	want := []string{
		`5: request.fields.idd: field idd: shop.v1.GetItemRequest has no field "idd" (did you mean id?)`,
		`8: response: not a shop.v1.Item: unknown field "nmae"`,
		`9: response: not a shop.v1.Item: invalid value for int64 field price: "lots"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range files {
		if f.Stubs != 0 {
			t.Errorf("%s: %d stubs converted", f.Name, f.Stubs)
		}
	}
}

// TestConvertKeepsFilesOfOneNameApart: gripmock folders hold stubs.json
// beside stubs.yaml (its track-streaming example); both are converted, the
// .yaml one keeping its name, and neither is lost.
func TestConvertKeepsFilesOfOneNameApart(t *testing.T) {
	resolver, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	if err != nil {
		t.Fatal(err)
	}
	defer resolver.Close()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"stubs.yaml": "- service: shop.v1.ShopService\n  method: GetItem\n  input: {equals: {id: a}}\n  output: {data: {name: from yaml}}\n",
		"stubs.json": `[{"service": "shop.v1.ShopService", "method": "GetItem", "input": {"equals": {"id": "b"}}, "output": {"data": {"name": "from json"}}}]`,
		"stubs.yml":  "- service: shop.v1.ShopService\n  method: GetItem\n  input: {equals: {id: c}}\n  output: {data: {name: from yml}}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	files, problems, err := stubformat.Convert(resolver, stubformat.Gripmock, dir)
	if err != nil || len(problems) > 0 {
		t.Fatalf("Convert: %v %v", err, problems)
	}
	got := map[string]string{}
	for _, f := range files {
		got[f.Name] = filepath.Base(f.Source)
	}
	want := map[string]string{"stubs.yaml": "stubs.yaml", "stubs.json.yaml": "stubs.json", "stubs.yml.yaml": "stubs.yml"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("written %v, want %v", got, want)
	}
}

// TestGripmockMatcherProblems: gripmock matchers that never match there
// fail the load, naming the line and the construct.
func TestGripmockMatcherProblems(t *testing.T) {
	resolver, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	if err != nil {
		t.Fatal(err)
	}
	defer resolver.Close()
	for _, tc := range []struct{ input, want string }{
		{"glob: {tags: [\"a*\"]}",
			`4: input.glob.tags: a glob on a list never matches (gripmock's glob tests text and the fields of messages, not lists): use matches, with a pattern per element`},
		{"matches: {filters: [\"^a\"]}",
			`4: input.matches.filters[0]: a pattern on a message never matches (gripmock tests patterns against text): name the fields inside, matches: {filters: [{field: pattern}]}`},
		{"matches: {tags: [{a: b}]}",
			`4: input.matches.tags: a list of patterns never matches here: its entries are not patterns`},
		{"matches: {filter_by: {main: \"^a\"}}",
			`4: input.matches.filter_by.main: the map field filter_by holds messages: a value that is no mapping never matches there (name the fields inside, matches: {filter_by: {main: {field: value}}})`},
		{"contains: {filter_by: {main: [a]}}",
			`4: input.contains.filter_by.main: the map field filter_by holds messages: a value that is no mapping never matches there (name the fields inside, contains: {filter_by: {main: {field: value}}})`},
		{"matches: {labels: {env: [a]}}",
			`4: input.matches.labels.env: the map field labels holds string values: want a value, not a list or mapping`},
		{"matches: {by_rank: {\"1\": \"^a\"}}",
			`4: input.matches.by_rank: matches on the entries of the map field by_rank never matches: gripmock sees no entries in a map whose keys are not strings`},
		{"- equals: {sequence: 1}\n- anyOf: [{equals: {sequence: 2}}]",
			`5: inputs[1]: holds anyOf alone, and this message never matches: gripmock ignores anyOf in one of several inputs, and takes no message with the empty matcher left`},
		{"- {}",
			`4: inputs[0]: is an empty matcher, and this stub never matches: gripmock takes no client stream for a stub with an empty input`},
		{"- equals: {sequence: 1}\n- {}",
			`5: inputs[1]: is an empty matcher, and this stub never matches: gripmock takes no client stream for a stub with an empty input`},
		{"- equals: {sequence: 1}\n- equals: {}",
			`5: inputs[1]: holds no condition, and this message never matches: gripmock takes no message of several inputs with an empty matcher`},
		{"matches: {gift: \"^t\"}",
			`4: input.matches.gift: never matches: gripmock tests no pattern against a bool (gift is one): write true or false, unquoted, to compare it`},
		{"glob: {quantity: \"1*\"}",
			`4: input.glob.quantity: never matches: gripmock's glob tests text, and the int32 field quantity is not text`},
		{"glob: {id: 12}",
			`4: input.glob.id: never matches: gripmock's glob takes a pattern in quotes, not 12`},
		{"matches: {id: 12}",
			`4: input.matches.id: never matches: gripmock compares 12, unquoted, with the string field id whole, and they never equal (quote it to have it a pattern)`},
		{"matches: {labels: {env: true}}",
			`4: input.matches.labels.env: never matches: gripmock compares true, unquoted, with the string field value whole, and they never equal (quote it to have it a pattern)`},
		{"contains: {id: [a]}",
			`4: input.contains.id: a list never matches the string field id, which is not a list (gripmock compares a list only with a list)`},
	} {
		src := "- service: shop.v1.ShopService\n  method: GetItem\n  input:\n    " + tc.input + "\n  output: {data: {}}\n"
		if strings.HasPrefix(tc.input, "- ") {
			src = "- service: shop.v1.ShopService\n  method: Upload\n  inputs:\n    " + strings.ReplaceAll(tc.input, "\n", "\n    ") + "\n  output: {data: {}}\n"
		}
		_, err := stubformat.Parse("s.yaml", []byte(src), stubformat.Gripmock, resolver)
		if err == nil || err.Error() != "bad stub file: s.yaml:"+tc.want {
			t.Errorf("%s:\n got %v\nwant bad stub file: s.yaml:%s", tc.input, err, tc.want)
		}
	}
}

// WireMock matchers that never match a request of the method, or that the
// reader does not translate yet, fail the load naming the line.
func TestWireMockMatcherProblems(t *testing.T) {
	resolver, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	if err != nil {
		t.Fatal(err)
	}
	defer resolver.Close()
	const jp = "request.bodyPatterns[0].matchesJsonPath"
	for _, tc := range []struct{ method, pattern, want string }{
		{"Reserve", `{"matchesJsonPath": "$[?(@.sentAt > 10)]"}`,
			jp + `: the JSON path "$[?(@.sentAt > 10)]" never matches: > 10 never matches: the field's JSON is a string`},
		{"GetItem", `{"matchesJsonPath": "$.id[0]"}`, jp + `: the JSON path "$.id[0]" never matches: id is not a list`},
		{"GetItem", `{"matchesJsonPath": "$.nope"}`, jp + `: the JSON path "$.nope" never matches: shop.v1.GetItemRequest has no field "nope"`},
		{"GetItem", `{"matchesJsonPath": "$.quantity.length()"}`, jp + `: the JSON path "$.quantity.length()" never matches: length() of quantity, a int32, is null (Jayway counts a list's elements or an object's keys)`},
		{"GetItem", `{"matchesJsonPath": {"expression": "$.tags[*].length()", "equalTo": "1"}}`, jp + `.expression: the JSON path "$.tags[*].length()" never matches: length() of each element of a repeated string found is null, never "1" (Jayway counts a list's elements or an object's keys)`},
		{"GetItem", `{"matchesJsonPath": "$[?(@.id.length() > 2)]"}`, jp + `: the JSON path "$[?(@.id.length() > 2)]" never matches: length() of id, a string, is null (Jayway counts a list's elements or an object's keys), so > 2 never holds`},
		{"GetItem", `{"matchesJsonPath": {"expression": "$.counts.sum()", "equalTo": "9"}}`, jp + `.expression: the JSON path "$.counts.sum()" never matches: sum() gives a double, which WireMock writes as 9.0: equalTo "9" never matches`},
		{"GetItem", `{"matchesJsonPath": "$.totals.avg()"}`, jp + `: the JSON path "$.totals.avg()" never matches: avg() of totals, a repeated int64, whose JSON holds strings (Jayway's avg() takes numbers only)`},
		{"GetItem", `{"matchesJsonPath": "$.quantity.min()"}`, jp + `: the JSON path "$.quantity.min()" never matches: min() of quantity, a int32 (Jayway's min() takes a list of numbers)`},
		{"GetItem", `{"matchesJsonPath": "$.tags.stddev()"}`, jp + `: the JSON path "$.tags.stddev()" never matches: stddev() of tags, a repeated string (Jayway's stddev() takes a list of numbers)`},
		{"GetItem", `{"matchesJsonPath": "$.labels.keys()"}`, jp + `: not supported yet: the JSON path "$.labels.keys()": the function keys() (the reader takes length(), size(), min(), max(), avg(), sum(), stddev(), first() and last())`},
		{"GetItem", `{"matchesJsonPath": "$.tags.length().x"}`, jp + `: not supported yet: the JSON path "$.tags.length().x": length() ends a path: it gives a number`},
		{"GetItem", `{"matchesJsonPath": "$..tags.length()"}`, jp + `: not supported yet: the JSON path "$..tags.length()": length() after a path starting with a deep scan (Jayway reads $..a.length() as length() of all that $..a finds)`},
		{"GetItem", `{"matchesJsonPath": "$[?(@.counts.max() < 0)]"}`, jp + `: not supported yet: the JSON path "$[?(@.counts.max() < 0)]": max() tested with 0: Jayway's max() starts from Double.MIN_VALUE (4.9E-324), the least positive double, so it is never below it; the reader takes a bound above it`},
		{"GetItem", `{"matchesJsonPath": "$[?(@.tags.length() > 'a')]"}`, jp + `: not supported yet: the JSON path "$[?(@.tags.length() > 'a')]": length() > 'a' (the reader compares length() with a whole number)`},
		{"GetItem", `{"matchesJsonPath": "$[?(@.tags.first() == 'a')]"}`, jp + `: not supported yet: the JSON path "$[?(@.tags.first() == 'a')]": the function first() in the filter condition "@.tags.first() == 'a'" (a filter takes length(), size(), min(), max(), avg(), sum() and stddev())`},
		{"GetItem", `{"matchesJsonPath": "$[?(@.tags.length())]"}`, jp + `: not supported yet: the JSON path "$[?(@.tags.length())]": the filter condition "@.tags.length()" (compare length() with a number: == < <= > >=)`},
		{"GetItem", `{"matchesJsonPath": {"expression": "$.counts.avg()", "matches": "1.*"}}`, jp + `.expression: not supported yet: the JSON path "$.counts.avg()": matches on avg()`},
		{"GetItem", `{"matchesJsonPath": "$.id.size()"}`, jp + `: the JSON path "$.id.size()" never matches: size() of id, a string, is null (Jayway counts a list's elements or an object's keys)`},
		{"GetItem", `{"matchesJsonPath": "$.filters[?(@.size() == 2.5)]"}`, jp + `: not supported yet: the JSON path "$.filters[?(@.size() == 2.5)]": size() == 2.5 (the reader compares size() with a whole number)`},
		{"GetItem", `{"matchesJsonPath": "$.length()"}`, jp + `: not supported yet: the JSON path "$.length()": length() of the request`},
		{"GetItem", `{"matchesJsonPath": "$.quantity[0:2]"}`, jp + `: the JSON path "$.quantity[0:2]" never matches: quantity is not a list, so [0:2] finds nothing`},
		{"GetItem", `{"matchesJsonPath": "$.tags[3:1]"}`, jp + `: the JSON path "$.tags[3:1]" never matches: the slice [3:1] finds no element (Jayway goes from the first bound up to below the second)`},
		{"GetItem", `{"matchesJsonPath": "$.tags[:-1]"}`, jp + `: not supported yet: the JSON path "$.tags[:-1]": the slice [:-1] (every element but the last 1: the reader takes [:n], the first n)`},
		{"GetItem", `{"matchesJsonPath": "$.tags[2:]"}`, jp + `: not supported yet: the JSON path "$.tags[2:]": the slice [2:] (every element from 2 on: the reader takes [-n:], the last n)`},
		{"GetItem", `{"matchesJsonPath": "$.tags[:]"}`, jp + `: not supported yet: the JSON path "$.tags[:]": the slice [:] (Jayway wants a bound on one side at least)`},
		{"GetItem", `{"matchesJsonPath": "$.tags[0:100]"}`, jp + `: not supported yet: the JSON path "$.tags[0:100]": the slice [0:100] of more than 64 elements`},
		{"GetItem", `{"matchesJsonPath": "$.tags[0,'a']"}`, jp + `: not supported yet: the JSON path "$.tags[0,'a']": the union [0,'a'] mixes indexes and names`},
		{"GetItem", `{"matchesJsonPath": "$['nope','nada']"}`, jp + `: the JSON path "$['nope','nada']" never matches: shop.v1.GetItemRequest has no field "nope"`},
		{"GetItem", `{"matchesJsonPath": {"expression": "$['id','userId']", "equalTo": "x"}}`, jp + `.expression: not supported yet: the JSON path "$['id','userId']": equalTo on ['id','userId'], which Jayway merges into one object (WireMock compares its JSON text)`},
		{"GetItem", `{"matchesJsonPath": "$[?(@ == 'x')]"}`, jp + `: the JSON path "$[?(@ == 'x')]" never matches: @ == 'x' compares a message with a value`},
		{"GetItem", `{"matchesJsonPath": "$[?(@.filter == 'x')]"}`, jp + `: the JSON path "$[?(@.filter == 'x')]" never matches: @.filter == 'x' compares a shop.v1.Filter with a value`},
		{"GetItem", `{"matchesJsonPath": "$[?(@.quantity == true)]"}`, jp + `: the JSON path "$[?(@.quantity == true)]" never matches: == true never matches: the field's JSON is a number`},
		{"GetItem", `{"matchesJsonPath": "$.tags.name"}`, jp + `: not supported yet: the JSON path "$.tags.name": .name on the list tags (write tags[*].name or tags[0].name)`},
		{"Reserve", `{"matchesJsonPath": "$[?(@.sentAt > '2024')]"}`,
			jp + `: not supported yet: the JSON path "$[?(@.sentAt > '2024')]": > with a string on a int64 (Jayway compares its JSON text)`},
		{"GetItem", `{"matchesJsonPath": "$[?(@.quantity > 'b')]"}`, jp + `: the JSON path "$[?(@.quantity > 'b')]" never matches: > 'b' never matches: the field's JSON is a number`},
		{"GetItem", `{"matchesJsonPath": "$[?(!(@.nope == 1))]"}`, jp + `: the JSON path "$[?(!(@.nope == 1))]": !: shop.v1.GetItemRequest has no field "nope", so its negation holds for every request (drop the condition)`},
		{"GetItem", `{"matchesJsonPath": "$.tags[?(!@)]"}`, jp + `: the JSON path "$.tags[?(!@)]" never matches: !@ never holds: the value filtered is there`},
		{"GetItem", `{"matchesJsonPath": "$[?(!@.id == 'a')]"}`, jp + `: not supported yet: the JSON path "$[?(!@.id == 'a')]": the filter condition "!@.id == 'a'" (! before @ negates @.field being set: write !(@.id == 'a'))`},
		{"GetItem", `{"matchesJsonPath": "$[?(@.gift > true)]"}`, jp + `: not supported yet: the JSON path "$[?(@.gift > true)]": > with a boolean (the reader compares numbers and strings)`},
		{"GetItem", `{"matchesJsonPath": "$.quantity[*]"}`, jp + `: the JSON path "$.quantity[*]" never matches: [*] on quantity, a int32, finds nothing (it takes a list or an object)`},
		{"GetItem", `{"matchesJsonPath": {"expression": "$.filter[*]", "contains": "x"}}`,
			jp + `.expression: not supported yet: the JSON path "$.filter[*]": contains on [*], which finds filter.tags, a repeated string (WireMock compares its JSON text)`},
		{"GetItem", `{"matchesJsonPath": {"expression": "$.filter[*]", "equalTo": "[\"a\"]"}}`,
			jp + `.expression: not supported yet: the JSON path "$.filter[*]": equalTo on [*], which finds filter.tags, a repeated string (WireMock compares its JSON text)`},
		{"Reserve", `{"matchesJsonPath": {"expression": "$.keys[0][*]", "equalTo": "x"}}`,
			jp + `.expression: the JSON path "$.keys[0][*]" never matches: no field of keys[0] can be equalTo "x"`},
		{"GetItem", `{"matchesJsonPath": {"expression": "$.filter", "equalTo": "x"}}`,
			jp + `.expression: not supported yet: the JSON path "$.filter": equalTo on filter, a message or map (WireMock compares its JSON text)`},
		{"GetItem", `{"matchesJsonPath": {"expression": "$.filters", "contains": "x"}}`,
			jp + `.expression: not supported yet: the JSON path "$.filters": contains on the list of messages filters (WireMock compares each one's text)`},
		{"GetItem", `{"equalToJson": {"filters": ["${json-unit.any-string}"]}, "ignoreArrayOrder": true, "ignoreExtraElements": true}`,
			`request.bodyPatterns[0].equalToJson: ${json-unit.any-string} never matches the field filters[0]: its JSON is an object`},
		{"GetItem", `{"equalToJson": {"id": ["${json-unit.any-string}"]}, "ignoreExtraElements": true}`,
			`request.bodyPatterns[0].equalToJson: id is a string, not a list: the JSON never matches it`},
		{"GetItem", `{"equalToJson": {"tags": [3, "${json-unit.any-number}"]}, "ignoreExtraElements": true}`,
			`request.bodyPatterns[0].equalToJson: ${json-unit.any-number} never matches the field tags[1]: its JSON is a string`},
		{"GetItem", `{"matchesJsonPath": {"expression": "$.tags.length()", "absent": true}}`,
			jp + `.expression: not supported yet: the JSON path "$.tags.length()": absent on length()`},
		{"GetItem", `{"matchesJsonPath": {"expression": "$.filter.length()", "equalTo": "-1"}}`,
			jp + `.expression: the JSON path "$.filter.length()" never matches: length() is a count, never "-1"`},
		{"GetItem", `{"matchesJsonPath": {"expression": "$.quantity", "equalTo": "0"}}`, jp + `.expression: the JSON path "$.quantity" never matches: quantity is left out of the request's JSON when zero, so equalTo "0" finds nothing`},
		{"GetItem", `{"matchesJsonPath": {"expression": "$.tags.length()", "equalTo": "0"}}`,
			jp + `.expression: the JSON path "$.tags.length()" never matches: length() of a value the extension's JSON holds is never 0 (it leaves out empty ones)`},
	} {
		src := `{"request": {"urlPath": "/shop.v1.ShopService/` + tc.method + `", "bodyPatterns": [` + tc.pattern + `]}, "response": {}}`
		_, err := stubformat.Parse("s.json", []byte(src), stubformat.WireMock, resolver)
		if err == nil || err.Error() != "bad stub file: s.json:1: "+tc.want {
			t.Errorf("%s:\n got %v\nwant bad stub file: s.json:1: %s", tc.pattern, err, tc.want)
		}
	}
}

// WireMock helpers given a value the request's type shows to be of the
// wrong kind fail the load naming the line, the helper and the field.
func TestWireMockTemplateTypeProblems(t *testing.T) {
	resolver, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	if err != nil {
		t.Fatal(err)
	}
	defer resolver.Close()
	for _, tc := range []struct{ method, tmpl, want string }{
		{"Reserve", `{{numberFormat (jsonPath request.body '$.sentAt') '#,##0'}}`,
			`response.jsonBody.id: WireMock's numberFormat wants a number; the int64 field sent_at is text in the extension's JSON (protobuf-java quotes 64-bit integers), so WireMock writes the format "#,##0" instead`},
		{"GetItem", `{{numberFormat (jsonPath request.body '$.id') 'integer'}}`,
			`response.jsonBody.id: WireMock's numberFormat wants a number; the string field id is none, so WireMock writes the format "#,##0" instead`},
		{"GetItem", `{{numberFormat (jsonPath request.body '$.nope')}}`,
			`response.id: template: .Request.nope: shop.v1.GetItemRequest has no field "nope"`},
	} {
		src := `{"request": {"urlPath": "/shop.v1.ShopService/` + tc.method + `"}, "response": {"transformers": ["response-template"], "jsonBody": {"id": "` + tc.tmpl + `"}}}`
		_, err := stubformat.Parse("s.json", []byte(src), stubformat.WireMock, resolver)
		if err == nil || !strings.Contains(err.Error(), "s.json:1: "+tc.want) {
			t.Errorf("%s:\n got %v\nwant s.json:1: %s", tc.tmpl, err, tc.want)
		}
	}
}

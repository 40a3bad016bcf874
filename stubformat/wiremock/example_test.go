package wiremock_test

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/stubformat/wiremock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Read turns a WireMock gRPC mapping into a native stub.
func ExampleRead() {
	src := `{
  "request": {
    "urlPath": "/com.example.grpc.GreetingService/greeting",
    "method": "POST",
    "bodyPatterns": [{"equalToJson": "{ \"name\": \"Tom\" }"}]
  },
  "response": {
    "status": 200,
    "headers": {"grpc-status-name": "FAILED_PRECONDITION", "grpc-status-reason": "Failed on some prerequisite"}
  }
}`
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(src), &root); err != nil {
		panic(err)
	}
	res := wiremock.Read("greeting.json", &root, nil)
	out, err := yaml.Marshal(res.Stubs[0].Node)
	if err != nil {
		panic(err)
	}
	fmt.Print(string(out))
	// Output:
	// # from greeting.json:1
	// method: /com.example.grpc.GreetingService/greeting
	// request:
	//     equal: {"name": "Tom"}
	// status:
	//     code: FAILED_PRECONDITION
	//     message: Failed on some prerequisite
}

func TestProblemsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`{"request": {"urlPath": "/a.S/M", "method": "GET"}, "response": {}}`, `f.json:1: request.method: gRPC calls are POST; got "GET"`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\",\n \"bodyPatterns\": [{\"matchesJsonPath\": \"$..items\"}]}, \"response\": {}}", `f.json:2: request.bodyPatterns[0].matchesJsonPath: not supported yet: the JSON path "$..items": a deep scan (..items) takes the method's descriptors (--proto or --protoset) to convert`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\",\n \"bodyPatterns\": [{\"matchesJsonPath\": \"$.items[(@.length-1)]\"}]}, \"response\": {}}", `f.json:2: request.bodyPatterns[0].matchesJsonPath: not supported yet: the JSON path "$.items[(@.length-1)]": [(@.length-1)] (the reader takes [N], [*], ['name'], [?(filter)], slices [a:b] and unions [0,1], ['a','b'], not scripts)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\",\n \"bodyPatterns\": [{\"matchesJsonPath\": \"$.items[2:]\"}]}, \"response\": {}}", `f.json:2: request.bodyPatterns[0].matchesJsonPath: not supported yet: the JSON path "$.items[2:]": the slice [2:] (every element from 2 on: the reader takes [-n:], the last n)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\",\n \"bodyPatterns\": [{\"matchesJsonPath\": \"$[?(!(@.a.keys() > 1))]\"}]}, \"response\": {}}", `f.json:2: request.bodyPatterns[0].matchesJsonPath: not supported yet: the JSON path "$[?(!(@.a.keys() > 1))]": the function keys() in the filter condition "@.a.keys() > 1" (a filter takes length(), size(), min(), max(), avg(), sum() and stddev())`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\",\n \"bodyPatterns\": [{\"matchesJsonPath\": \"$.items.concat()\"}]}, \"response\": {}}", `f.json:2: request.bodyPatterns[0].matchesJsonPath: not supported yet: the JSON path "$.items.concat()": the function concat() (the reader takes length(), size(), min(), max(), avg(), sum(), stddev(), first() and last())`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\",\n \"bodyPatterns\": [{\"matchesJsonPath\": \"$.filter[?(@.a > 1)]\"}]}, \"response\": {}}", `f.json:2: request.bodyPatterns[0].matchesJsonPath: not supported yet: the JSON path "$.filter[?(@.a > 1)]": a filter on filter, which may be a list or a message: it takes the method's descriptors (--proto or --protoset) to convert`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\",\n \"bodyPatterns\": [{\"matchesJsonPath\": {\"expression\": \"$.a\", \"equalTo\": \"x\", \"matches\": \"y\"}}]}, \"response\": {}}", `f.json:2: request.bodyPatterns[0].matchesJsonPath.matches: give one of equalTo, contains, matches or absent`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\",\n \"bodyPatterns\": [{\"matchesJsonPath\": {\"expression\": \"$.a\", \"equalToJson\": \"{}\"}}]}, \"response\": {}}", `f.json:2: request.bodyPatterns[0].matchesJsonPath.equalToJson: unsupported JSON path matcher (want equalTo, contains, matches or absent)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\",\n \"bodyPatterns\": [{\"equalToJson\": {\"a\": \"${json-unit.matches:x}\"}, \"ignoreExtraElements\": true}]}, \"response\": {}}", `f.json:2: request.bodyPatterns[0].equalToJson: not supported: the json-unit custom matcher "${json-unit.matches:x}" is Java code WireMock is started with; a mapping names it and holds no definition to translate`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\",\n \"bodyPatterns\": [{\"equalToJson\": {\"a\": \"${json-unit.any-date}\"}, \"ignoreExtraElements\": true}]}, \"response\": {}}", `f.json:2: request.bodyPatterns[0].equalToJson: not supported yet: the json-unit placeholder "${json-unit.any-date}" (want any-string, any-number, any-boolean, ignore, ignore-element or regex)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"},\n \"requiredScenarioState\": \"Started\", \"response\": {}}", `f.json:2: scenarioName: is required with requiredScenarioState and newScenarioState`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\",\n \"headers\": {\"x\": {\"doesNotMatch\": \"a\"}}}, \"response\": {}}", `f.json:2: request.headers.x.doesNotMatch: unsupported header matcher (want equalTo, contains, matches or absent)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"body-transformer\"]}}", `f.json:1: response.transformers: not supported: the WireMock transformer "body-transformer" (the reader knows response-template)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{numberFormat}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's numberFormat takes a number, a format and a locale ({{numberFormat n '#.##'}}), got 0 values`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{numberFormat 1 '#.#.#'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's numberFormat: the pattern "#.#.#": more than one decimal point`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{numberFormat 1 '0.0E0'}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: numberFormat's pattern "0.0E0": scientific notation (E) is not supported`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{numberFormat 1 'currency' 'de_DE'}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: numberFormat's locale "de_DE" (grpcdouble writes the currency style in en_US only, the JVM's default WireMock is taken to run with)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{numberFormat '5' '#.##'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's numberFormat wants a number; the string "5" is text, so WireMock writes the format "#.##" instead`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{numberFormat 1 5}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's numberFormat wants its format as a quoted string (a pattern such as '#.##', or 'integer', 'percent' or 'currency')`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{numberFormat 1 maximumFractionDigits=2}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: maximumFractionDigits=... on the WireMock template helper numberFormat`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{dateFormat request.path 'yyyy'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's dateFormat wants a date (now, parseDate or date)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{dateFormat (now) 'yyyy-ww'}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: dateFormat format="yyyy-ww": the pattern letter "ww"`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{dateFormat (now) tz='Mars/Olympus'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's dateFormat tz="Mars/Olympus": not a time zone of the IANA database`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{dateFormat (now) 'short' 'fr_FR'}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: dateFormat's locale "fr_FR" (grpcdouble writes dates in en_US only, the JVM's default WireMock is taken to run with)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{dateFormat (now) 'full' 'en_US' 'x'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's dateFormat takes a date, a format and a locale ({{dateFormat (parseDate s) 'yyyy-MM-dd'}}), got 4 values`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#assign}}x{{/assign}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's #assign takes the variable's name as a quoted string ({{#assign 'name'}}...{{/assign}})`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#assign who}}x{{/assign}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's #assign takes the variable's name as a quoted string ({{#assign 'name'}}...{{/assign}})`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#assign 'request'}}x{{/assign}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's #assign: "request" is not a name a template can read back (want letters, digits and _, not request, this or a helper's name)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#assign 'x'}}{{#if request.path}}y{{/if}}{{/assign}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: {{#if request.path}} inside #assign (its body takes text and {{values}}, no blocks)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#assign 'x'}}a{{/assign}}{{x.y}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: x.y of the #assign variable x (it holds text)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#if request.path}}{{#assign 'x'}}a{{/assign}}{{/if}}{{x}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: the WireMock template value x`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#assign 'x'}}a\"}}}", `f.json:2: response.jsonBody.n: a WireMock template opens {{#assign}} and never closes it`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#parseJson 'v'}}{ nope {{/parseJson}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's #parseJson v: not JSON: invalid character 'n' looking for beginning of object key string`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#parseJson}}{}{{/parseJson}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: #parseJson without a variable's name (WireMock writes the object as Java's {key=value} text); give it one: {{#parseJson 'name'}}...{{/parseJson}}, then {{name.field}}`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{parseJson request.body}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: parseJson without a variable's name (WireMock writes the object as Java's {key=value} text); give it one: {{parseJson text 'name'}}, then {{name.field}}`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{parseJson request.body 'a' 'b'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's parseJson takes JSON text and the variable's name as a quoted string ({{parseJson request.body 'name'}})`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{parseJson request.body 'v'}}{{v}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: the whole value parseJson read into v (WireMock writes Java's {key=value} text for it); take its fields: {{v.name}}`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{parseJson request.body 'v'}}{{#each v.tags}}{{this}}{{/each}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: #each over a value parseJson read (take its fields: {{name.list.0.field}})`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{upper (parseJson request.body 'v')}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: parseJson into a variable inside another helper (give it a {{ }} of its own)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#parseJson 'v'}}{{#each (array 1)}}{{/each}}{{/parseJson}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: {{#each (array 1)}} inside #parseJson (its body takes text and {{values}}, no blocks)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{jsonMerge request.body}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's jsonMerge takes the base JSON and the JSON to merge into it, got 1 values`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{jsonMerge '[1]' request.body}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's jsonMerge: the base JSON is not a JSON object ("[1]")`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{jsonMerge request.body '{x'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's jsonMerge: the JSON to merge is not JSON ("{x"): invalid character 'x'`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{jsonMerge 5 request.body}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's jsonMerge wants the base JSON as text, got 5 (WireMock writes [ERROR: ... must be a string])`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{jsonMerge (jsonPath request.body '$.a[*]') '{}'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's jsonMerge wants the base JSON as text, not JSON data (a message or list from jsonPath, a value parseJson read) nor a date: WireMock writes [ERROR: ... must be a string] for it`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#jsonMerge request.body}}[2]{{/jsonMerge}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's jsonMerge: the JSON to merge is not a JSON object ("[2]")`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#jsonMerge}}{}{{/jsonMerge}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's #jsonMerge takes the base JSON ({{#jsonMerge base}}{...}{{/jsonMerge}}), got 0 values`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{slugify request.path}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: the WireMock template helper slugify`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{abbreviate request.path}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's abbreviate takes a value and a width ({{abbreviate value 10}}), got 1 values`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{abbreviate request.path '10'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's abbreviate wants the width as a number, not the string "10" (Handlebars.java takes an Integer)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{abbreviate request.path 3}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's abbreviate: a width of 3 (the least is 4: commons-lang's StringUtils.abbreviate throws below it)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{wordWrap request.path 2 3}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's wordWrap takes a value and a width ({{wordWrap value 10}}), got 3 values`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{ljust request.path 20}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's ljust takes one value and its width as size= ({{ljust value size=10}}), got 2 values`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{center request.path pad='*'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's center wants size= (the width)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{rjust request.path size=5 pad=0}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's rjust wants pad= as a quoted string`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{capitalize request.path fully='yes'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's capitalize wants fully=true or fully=false`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{capitalizeFirst request.path 'x'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's capitalizeFirst takes one value, got 2`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{stripTags request.path keep='b'}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: keep=... on the WireMock template helper stripTags`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{xPath request.body '/a'}}\"}}}", `f.json:2: response.jsonBody.n: not supported: the WireMock template helper xPath (a gRPC request is a message, shown as JSON: never XML or a form)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{truncateDate (now) 'first week of month'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's truncateDate: unknown truncation "first week of month" (want first second of minute, first minute of hour, first hour of day, first day of month, first day of next month, last day of month, first day of year, first day of next year or last day of year)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{urlEncode request.path encoding='ISO-8859-1'}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: urlEncode encoding="ISO-8859-1" (grpcdouble encodes UTF-8)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{shout request.path}}\"}}}", `f.json:2: response.jsonBody.n: unknown WireMock template helper or value shout`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#each request.body}}x{{/each}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: #each over request.body, which is not a list (a jsonPath, array or range is)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{math 1 '^' 2}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's math: "^" is not an operator (want +, -, *, x, / or %)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{randomInt lower=9 upper=3}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's randomInt wants lower below upper, got 9 and 3`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{randomInt lower='nine'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's randomInt wants lower as a whole number, got "nine"`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{pickRandom 'a' 'b' count='two'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's pickRandom wants count as a whole number, got "two"`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{pickRandom}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's pickRandom takes a list or values to pick from`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{upper (regexExtract request.path '([a-z]+)' 'parts')}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: regexExtract into a variable inside another helper (give it a {{ }} of its own)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#if request.path}}{{regexExtract request.path '([a-z]+)' 'parts'}}{{/if}}{{parts.0}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: the WireMock template value parts.0`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{regexExtract request.path '(?<=a)b'}}\"}}}", "f.json:2: response.jsonBody.n: regexExtract: the regular expression \"(?<=a)b\" is not one Go reads (RE2): error parsing regexp: invalid named capture: `(?<=a)b`"},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{parseDate request.headers.d format='yyyy-ww'}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: parseDate format="yyyy-ww": the pattern letter "ww"`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{date request.path format='yyyy'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's date wants a date (now, parseDate or date); given another value it writes the time of the call`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{now timezone='Mars/Olympus'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's now timezone="Mars/Olympus": not a time zone of the IANA database`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{now offset='3 weeks'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's now offset="3 weeks": the unit "weeks" (want seconds, minutes, hours, days, months or years)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{formatJson '{}' format='tidy'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's formatJson format="tidy": want pretty or compact`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#if request.path as |p|}}x{{/if}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: block params (as |x|) on the WireMock template block #if`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#each (array 1 2)}}{{../../request.path}}{{/each}}\"}}}", `f.json:2: response.jsonBody.n: the WireMock template path ../../request/path goes above the template's root (1 #each or #with open around it)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#each (array 1 2) as |x|}}{{../request.path}}{{/each}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: ../ out of a block with block params (as |x|); name the outer block's param instead`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#each (array 1 2)}}{{else}}{{else if request.path}}{{/each}}\"}}}", `f.json:2: response.jsonBody.n: a WireMock template block #each has {{else if}} after its {{else}}`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#if request.path}}{{else}}{{else}}{{/if}}\"}}}", `f.json:2: response.jsonBody.n: a WireMock template block #if has a second {{else}}`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{arrayAdd (array 1) 2 position='middle'}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's arrayAdd: position must be 'start', 'end' or a number from 0, got "middle"`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{arrayRemove request.path}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's arrayRemove wants a list (a jsonPath, array or range)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{arrayAdd (array 1) 2 position=request.path}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: arrayAdd position= from a value of the request (give start, end or a number)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{arrayAdd (array 1)}}\"}}}", `f.json:2: response.jsonBody.n: WireMock's arrayAdd takes a list and a value to add, got 1 values`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#with (array 1 2)}}{{..}}{{/with}}\"}}}", `f.json:2: response.jsonBody.n: a WireMock template path with an empty part`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{@index}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: the WireMock template value @index`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{hostname}}\"}}}", `f.json:2: response.jsonBody.n: not supported: the WireMock template helper hostname (grpcdouble's templates read nothing of the machine or its environment)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{split request.path '/'}}\"}}}", `f.json:2: response.jsonBody.n: unknown WireMock template helper or value split`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{#if request.path}}x\"}}}", `f.json:2: response.jsonBody.n: a WireMock template opens {{#if}} and never closes it`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{jsonPath request.body '$..name'}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: the JSON path "$..name" in jsonPath (the reader takes $.field.field, [N], [*] and length())`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{now offset='3 days' zone='x'}}\"}}}", `f.json:2: response.jsonBody.n: not supported yet: zone=... on the WireMock template helper now`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"transformers\": [\"response-template\"],\n \"jsonBody\": {\"n\": \"{{randomValue length=4 type='EMOJI'}}\"}}}", `f.json:2: response.jsonBody.n: unknown randomValue type "EMOJI" (want ALPHANUMERIC, ALPHABETIC, NUMERIC, HEXADECIMAL, ALPHANUMERIC_AND_SYMBOLS or UUID)`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\n \"jsonBody\": {\"n\": \"{{request.path}}\"}}}", `f.json:2: response.jsonBody.n: holds {{...}} but the mapping has no "transformers": ["response-template"]: WireMock sends it as written unless started with --global-response-templating; add the transformer to have it rendered`},
		{"{\"request\": {\"urlPath\": \"/a.S/M\"}, \"response\": {\"status\": 404}}", `f.json:1: response.status: a gRPC mapping answers 200 and sets grpc-status-name for errors; got 404`},
	} {
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(tc.src), &root); err != nil {
			t.Fatal(err)
		}
		res := wiremock.Read("f.json", &root, nil)
		if len(res.Problems) == 0 || res.Problems[0].Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.src, res.Problems, tc.want)
		}
	}
}

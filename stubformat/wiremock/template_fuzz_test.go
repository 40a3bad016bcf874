package wiremock

import (
	"strings"
	"testing"
	"text/template"
)

// FuzzTranslateTemplate: any text gives a Go template that parses, or an
// error; never a panic.
func FuzzTranslateTemplate(f *testing.F) {
	for _, s := range []string{
		"Hello {{jsonPath request.body '$.name'}}", "{{{request.headers.[x-id]}}}", "{{#if (eq (jsonPath request.body '$.n') 3)}}a{{else if x}}b{{else}}c{{/if}}",
		"{{now format='yyyy-MM-dd'}}", "{{randomValue length=8 type='ALPHANUMERIC' uppercase=true}}", "{{#unless a}}x{{/unless}}", "{{!-- c --}}{{! c }}",
		"{{jsonPath request.body '$.a[0].b' default='x'}}", "{{(", "{{a [b}}", "{{#eq a 'b'}}{{/eq}}", "{{contains (lower request.headers.a) 'x'}}",
		"{{math (jsonPath request.body '$.n') '/' 4}}", "{{randomInt lower=1 upper=9}}", "{{randomDecimal}}", "{{pickRandom 'a' (array 1 2)}}", "{{pickRandom (jsonPath request.body '$.t') count=2}}",
		"{{#each (jsonPath request.body '$.items') as |it i|}}{{it.name}}{{@index}}{{#if @last}}.{{/if}}{{else}}none{{/each}}",
		"{{#with (jsonPath request.body '$.f')}}{{this.a}}{{b}}{{/with}}", "{{regexExtract request.path '[a-z]+' default='x'}}",
		"{{substring request.path 1}}", "{{base64 request.path padding=false}}", "{{formatJson '{}' format='compact'}}",
		"{{date (parseDate request.headers.d format='yyyy-MM-dd') offset='now -1 days' format='epoch'}}",
		"{{now offset='2 months' timezone='Europe/Paris' format='HH:mm'}}", "{{arrayJoin ',' (range 1 3) prefix='['}}",
		"{{join 'a' 'b' ','}}", "{{val x or='y'}}", "{{toJson (array)}}", "{{replace request.path '/' '.'}}", "{{defaultIfEmpty request.path '-'}}",
		"{{request.body}}", "{{{request.body}}}", "{{request.headers.x-trace-bin}}", "{{#each request.body}}x{{/each}}",
		"{{date (truncateDate (now timezone='Asia/Tokyo') 'last day of month') format='yyyy'}}", "{{urlEncode request.path decode=true}}",
		"{{lookup (jsonPath request.body '$.tags') 0}}", "{{jsonPath request.body '$.a[*].b.c'}}{{jsonPath request.body '$.a.length()'}}",
		"{{regexExtract request.path '([a-z]+)' 'p' default='x'}}{{p.0}}{{p}}{{#each p}}{{this}}{{/each}}",
		"{{#each (array 1 2)}}{{this}}{{else if request.path}}a{{else if x}}b{{else}}c{{/each}}", "{{#with (array 1)}}{{this}}{{else if ../x}}{{else}}{{/with}}",
		"{{#each (jsonPath request.body '$.a')}}{{#each (array 1)}}{{../name}}{{../../request.path}}{{../this.b}}{{/each}}{{/each}}", "{{../x}}{{#each x as |y|}}{{../z}}{{/each}}",
		"{{parseDate request.headers.e format='epoch'}}{{date (parseDate '1' format='UNIX') format='unix'}}", "{{arrayAdd (jsonPath request.body '$.t') 'z' position=1}}{{arrayRemove (array 1 2) position='start'}}{{#each (arrayAdd (range 1 2) 3 position='end')}}{{this}}{{/each}}",
		"{{capitalize request.path fully=true}}{{capitalizeFirst (jsonPath request.body '$.a')}}{{{stripTags request.headers.x}}}",
		"{{abbreviate request.path 10}}{{wordWrap (jsonPath request.body '$.t') (jsonPath request.body '$.n')}}{{abbreviate 'x' 3}}",
		"{{center request.path size=9 pad='*-'}}{{ljust 'a' size=(math 1 '+' 2)}}{{rjust request.headers.n size=5 pad=request.path}}",
		"{{numberFormat 123.4567 '#.##'}}{{numberFormat (jsonPath request.body '$.n') 'currency' 'en_US'}}{{numberFormat 1}}{{numberFormat 1 '0.0;(0.0)'}}",
		"{{dateFormat (parseDate request.headers.d) 'd/M/y' tz='Asia/Tokyo'}}{{dateFormat (now) format='full'}}{{dateFormat (date (now) offset='1 days'))}}",
		"{{#assign 'who'}} {{capitalize request.path}} & 5% {{{request.headers.x}}}\n{{/assign}}{{who}}{{{who}}}{{upper who}}{{#each (array 1 2)}}{{#assign 'x'}}{{this}}{{/assign}}{{x}}{{/each}}",
		"{{#assign 'a'}}{{#if x}}{{/if}}{{/assign}}{{#assign 'b'}}{{else}}{{/assign}}{{#assign 'c'}}", "{{#assign 'p'}}%%v %d{{/assign}}{{p}}",
		"{{#parseJson 'v'}}{\"a\": \"{{request.path}}\", \"l\": [1, {\"k\": 2}]}{{/parseJson}}{{v.a}}{{v.l.[1].k}}{{#if v.l}}{{size v.l}}{{/if}}",
		"{{parseJson request.body 'r'}}{{r.id}}{{upper r.x}}{{r}}{{#each r.l}}{{/each}}{{#parseJson}}{{/parseJson}}{{#parseJson 'e'}}{ x{{/parseJson}}",
		"{{{jsonMerge '{\"a\": 1}' request.body}}}{{jsonMerge request.body (jsonPath request.body '$.x')}}{{#jsonMerge request.body}}{\"b\": \"{{request.path}}\"}{{/jsonMerge}}{{jsonMerge '[' '{}'}}",
	} {
		f.Add(s)
	}
	funcs := template.FuncMap{}
	for _, name := range []string{"htmlEscape", "header", "now", "randString", "uuid", "toString", "gtf", "gef", "ltf", "lef",
		"contains", "regexMatch", "upper", "lower", "trim", "toJson", "default", "len", "math", "randInt", "randFloat", "randPick",
		"list", "seq", "addf", "mulf", "subf", "regexFind", "substr", "b64enc", "b64dec", "trimSuffix", "formatJson", "compactJson",
		"format", "timeAdd", "inZone", "parseTime", "unix", "join", "ternary", "empty", "replace", "sub", "int", "messageJson", "signedBytes", "truncateTime", "urlEncode", "urlDecode", "regexGroups", "extract", "append", "prepend", "concat", "slice", "initial", "rest",
		"capFirst", "capWords", "abbreviate", "padLeft", "padRight", "center", "regexReplaceAll", "wrap", "numberFormat", "trimAll", "parseJson", "jsonAt", "jsonText", "jsonMerge"} {
		funcs[name] = func(...any) string { return "" }
	}
	f.Fuzz(func(t *testing.T, text string) {
		out, err := translateTemplate(text, requestBody{value: ".Request"})
		if err != nil {
			return
		}
		if _, perr := template.New("t").Funcs(funcs).Parse(out); perr != nil && !strings.Contains(text, "}}}}") {
			t.Errorf("%q translated to %q, which does not parse: %v", text, out, perr)
		}
	})
}

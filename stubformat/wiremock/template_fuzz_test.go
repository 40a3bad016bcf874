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
	} {
		f.Add(s)
	}
	funcs := template.FuncMap{}
	for _, name := range []string{"htmlEscape", "header", "now", "randString", "uuid", "toString", "gtf", "gef", "ltf", "lef",
		"contains", "regexMatch", "upper", "lower", "trim", "toJson", "default"} {
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

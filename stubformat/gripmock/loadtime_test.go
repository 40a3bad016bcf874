package gripmock_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/grpcdouble/grpcdouble/stubformat/gripmock"
)

// LoadTime runs, before the YAML is parsed, the templates that read no
// call; those that read it wait for the call, quoted.
func ExampleLoadTime() {
	src := `- service: IdService
  method: Find
  input:
    equals:
      ids:
        - {{ uuid2int64 "0b6666ba-cfdf-41c0-89a8-42474787feec" }}
      key: {{ uuid2base64 "0b6666ba-cfdf-41c0-89a8-42474787feec" }}
  output:
    data:
      echo: {{ .Request.key }}
`
	out, _, problems := gripmock.LoadTime("ids.yaml", []byte(src))
	fmt.Print(string(out), problems)
	// Output:
	// - service: IdService
	//   method: Find
	//   input:
	//     equals:
	//       ids:
	//         - {"high":-4593144061662697973,"low":-1369508496466073463}
	//       key: "C2Zmus/fQcCJqEJHR4f+7A=="
	//   output:
	//     data:
	//       echo: "{{ .Request.key }}"
	// []
}

func TestLoadTimeLines(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"a positive integer is quoted, as gripmock does", `n: {{ add 1 2 }}`, `n: "3"`},
		{"a number with a sign or a point is not", `n: {{ sub 1 3 }}`, `n: -2`},
		{"nor JSON, compacted", `n: {{ printf "[1, {\"a\": 2}]" }}`, `n: [1,{"a":2}]`},
		{"a string is quoted and escaped", `s: {{ printf "a\"b: c" }}`, `s: "a\"b: c"`},
		{"inside a double-quoted string, escaped for it", `s: "x-{{ printf "%s" "q\"" }}-y"`, `s: "x-q\"-y"`},
		{"YAML-escaped quotes inside one are read as YAML reads them", `s: "{{ upper \"ab\" }}"`, `s: "AB"`},
		{"inside a single-quoted string", `s: 'it{{ printf "'" }}s'`, `s: 'it''s'`},
		{"within a plain scalar, as it is", `s: id {{ upper "x" }} here`, `s: id X here`},
		{"in a flow list", `l: [{{ upper "a" }}, {{ sub 0 1 }}]`, `l: ["A", -1]`},
		{"a comment stays", `n: {{ upper "a" }} # note`, `n: "A" # note`},
		{"a line reading the call keeps its templates, quoted", `s: {{ .Request.a }} and {{ upper "b" }}`, `s: "{{ .Request.a }} and {{ upper \"b\" }}"`},
		{"so do gripmock's technical data and aliases, as gripmock's list of them",
			`s: {{ .Timestamp }} {{ .RequestID }} {{ .AttemptIndex }} {{ .MaxAttempts }} {{ .TotalAttempts }} {{ .State }} {{ upper "x" }}`,
			`s: "{{ .Timestamp }} {{ .RequestID }} {{ .AttemptIndex }} {{ .MaxAttempts }} {{ .TotalAttempts }} {{ .State }} {{ upper \"x\" }}"`},
		{"a chained call waits for the call too", `- {{ faker.Person.Name }}`, `- "{{ faker.Person.Name }}"`},
		{"its raw quotes inside a quoted string are escaped", `s: "{{ .Request.a | printf "%s!" }}"`, `s: "{{ .Request.a | printf \"%s!\" }}"`},
		{"a control structure waits", `s: {{ if true }}y{{ end }}`, `s: "{{ if true }}y{{ end }}"`},
		{"so does its end, alone on a line", `  {{ end }}`, `  {{ end }}`},
		{"a comment is left alone", `n: {{ upper "a" }} # not {{ shout }}`, `n: "A" # not {{ shout }}`},
		{"a comment line too", `  # {{ shout }}: {{ .Request.x }}`, `  # {{ shout }}: {{ .Request.x }}`},
		{"a # inside quotes is not one", `n: "a #{{ upper "b" }}"`, `n: "a #B"`},
		{"a number's point is not a field", `n: {{ mul 1.5 2 }}`, `n: "3"`},
		{"now is the load's time", `n: {{ format now "2006" }}`, `n: "20`},
	} {
		out, _, problems := gripmock.LoadTime("f.yaml", []byte(tc.in))
		if len(problems) > 0 || !strings.HasPrefix(string(out), tc.want) {
			t.Errorf("%s: %s\n got %s %v\nwant %s", tc.name, tc.in, out, problems, tc.want)
		}
	}
}

// A template that cannot run at load, or whose result cannot stand where
// it is, is a problem naming its line and the template; the lines keep
// their numbers.
func TestLoadTimeProblems(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a: 1\nb: {{ shout \"x\" }}\n", `f.yaml:2: template {{ shout "x" }}: unknown gripmock template function "shout" (gripmock runs a template that reads no call once, at load)`},
		{"a: 1\n\nb: {{ uuid2int64 \"nope\" }}\n", `f.yaml:3: template {{ uuid2int64 "nope" }}: at <uuid2int64 "nope">: error calling uuid2int64: not a UUID "nope": invalid UUID length: 4 (gripmock runs a template that reads no call once, at load)`},
		{"b: {{ upper 1 2 }}\n", `f.yaml:1: template {{ upper 1 2 }}: at <upper>: wrong number of args for upper: want 1 got 2 (gripmock runs a template that reads no call once, at load)`},
		{"b: {{ round 2.5 1 }}\n", `f.yaml:1: template {{ round 2.5 1 }}: gripmock's round takes one number: round NUMBER or NUMBER | round (gripmock runs a template that reads no call once, at load)`},
		{"b: {{ printf \"{oops\" }}\n", `f.yaml:1: template {{ printf "{oops" }}: its result "{oops" starts as JSON does but is not a JSON or YAML object or list on one line, so it cannot stand for the value`},
		{"b: 'x{{ printf \"a\\nb\" }}'\n", `f.yaml:1: template {{ printf "a\nb" }}: its result "a\nb" has a line break, which a single-quoted YAML string cannot hold on one line (use double quotes)`},
	} {
		out, _, problems := gripmock.LoadTime("f.yaml", []byte(tc.in))
		if len(problems) != 1 || problems[0].Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.in, problems, tc.want)
		}
		if strings.Count(string(out), "\n") != strings.Count(tc.in, "\n") {
			t.Errorf("%q: the lines moved: %q", tc.in, out)
		}
	}
}

// FuzzLoadTime: any text keeps its lines, and never panics.
func FuzzLoadTime(f *testing.F) {
	for _, s := range []string{
		"a: {{ uuid2int64 \"0b6666ba-cfdf-41c0-89a8-42474787feec\" }}\n",
		"- {{ .Request.x }} {{ upper \"a\" }}\n  b: '{{ printf \"'\" }}'",
		"s: \"{{ printf \\\"%s\\\" \\\"x\\\" }}\" # {{ shout }}\nl: [{{ add 1 2 }}, {{ sub 0 1 }}]",
		"{{ if true }}\n{{ end }}{{",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, c, _ := gripmock.LoadTime("f.yaml", data)
		if strings.Count(string(out), "\n") != strings.Count(string(data), "\n") {
			t.Fatalf("the lines moved: %q became %q", data, out)
		}
		c.Explain("line 1: x")
		gripmock.Blanked(data)
	})
}

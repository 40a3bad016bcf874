package main

import (
	"github.com/grpcdouble/grpcdouble/expect"
)

// delayTemplateRows are the bad-input rows of delays computed by a
// template, native and gripmock's: each names the file, the line and the
// field.
func delayTemplateRows(serve func(extra ...string) []string, file func(name, data string) string) []badInputRow {
	delayFunc := file("delay-func.yaml", `- method: /routeguide.RouteGuide/GetFeature
  delay: '{{ backof .Hit "100ms" }}'
  response: {name: x}
`)
	paceNotDuration := file("pace-not-duration.yaml", `- method: /routeguide.RouteGuide/ListFeatures
  pace: '{{ .Hit }}'
  responses: [{name: x}]
`)
	gmDelayFunc := file("gm-delay-func.yaml", `- service: routeguide.RouteGuide
  method: GetFeature
  output:
    data: {name: x}
    delay: '{{ backof .AttemptNumber "100ms" "5s" }}'
`)
	gmDelayNotDuration := file("gm-delay-not-duration.yaml", `- service: routeguide.RouteGuide
  method: GetFeature
  output:
    data: {name: x}
    delay: '{{ printf "%d seconds" .AttemptNumber }}'
`)
	return []badInputRow{
		{
			name:   "delay template with an unknown function",
			args:   serve("--stubs", delayFunc),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{delayFunc + `:2: delay: template: line 1: function "backof" not defined`},
		},
		{
			name:   "pace template whose result is not a duration",
			args:   serve("--stubs", paceNotDuration),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{paceNotDuration + `:2: pace: for a request with every field zero, the template gave "1", want a duration like 250ms or 2s`},
		},
		{
			name:   "gripmock delay template with an unknown function",
			args:   serve("--stubs", gmDelayFunc),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmDelayFunc + `:5: output.delay: unknown gripmock template function "backof"`},
		},
		{
			name:   "gripmock delay template whose result is not a duration",
			args:   serve("--stubs", gmDelayNotDuration),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmDelayNotDuration + `:5: delay: for a request with every field zero, the template gave "1 seconds", want a duration like 250ms or 2s`},
		},
	}
}

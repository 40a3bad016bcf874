package main

import (
	"github.com/grpcdouble/grpcdouble/expect"
)

// bidiRuleRows are the bad-input rows of forEach rules, native and made
// from gripmock's bidi stubs with input: each names the file, the line and
// the field.
func bidiRuleRows(serve func(extra ...string) []string, file func(name, data string) string) []badInputRow {
	ruleTimes := file("rule-times.yaml", `- method: /routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {any: true}
          times: 3
          send: {message: x}
`)
	ruleMetadata := file("rule-metadata.yaml", `- method: /routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {any: true}
          metadata: {x-plan: {regex: "("}}
          send: {message: x}
`)
	rulePace := file("rule-pace.yaml", `- method: /routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {any: true}
          pace: soon
          send: {message: x}
`)
	gmElementDelay := file("gm-bidi-element-delay.yaml", `- service: routeguide.RouteGuide
  method: RouteChat
  input: {equals: {message: a}}
  output:
    stream:
      - {message: x}
      - {message: y, _gripmock: {delay: soon}}
`)
	ruleSteps := file("rule-steps.yaml", `- method: /routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {any: true}
          steps:
            - send: {message: x}
            - recv: {any: true}
`)
	ruleAnswers := file("rule-answers.yaml", `- method: /routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {any: true}
          answers:
            - send: {message: x}
              pace: 1ms
`)
	return []badInputRow{
		{
			name:   "forEach rule times that is not {max: N}",
			args:   serve("--stubs", ruleTimes),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{ruleTimes + `:5: steps[0].forEach[0].times: a rule takes {max: N}: the messages it answers at most, over all calls`},
		},
		{
			name:   "forEach rule metadata with a bad regex",
			args:   serve("--stubs", ruleMetadata),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{ruleMetadata + ":5: steps[0].forEach[0].metadata.x-plan.regex: error parsing regexp: missing closing ): `(`"},
		},
		{
			name:   "forEach rule pace that is not a duration",
			args:   serve("--stubs", rulePace),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{rulePace + `:5: steps[0].forEach[0].pace: want a duration like 250ms or 2s, got "soon"`},
		},
		{
			name:   "gripmock _gripmock delay that is not a duration on one message of a bidi stub with input",
			args:   serve("--stubs", gmElementDelay),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmElementDelay + `:7: output.stream[1]._gripmock.delay: want a duration like 100ms, or a template giving one, got "soon"`},
		},
		{
			name:   "forEach rule answer with a recv of its own",
			args:   serve("--stubs", ruleAnswers),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{ruleAnswers + `:6: steps[0].forEach[0].answers[0]: an answer gives delay, send, steps and status: the rule's recv, metadata, times, headers, trailers, pace, then and scenario hold for every answer`},
		},
		{
			name:   "forEach rule steps that receive",
			args:   serve("--stubs", ruleSteps),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{ruleSteps + `:7: steps[0].forEach[0].steps[1]: a rule's steps answer the message its recv took: send, delay, status, sendHeader, keepOpen, dropConnection or sendOversized (not recv, recvAll or forEach)`},
		},
	}
}

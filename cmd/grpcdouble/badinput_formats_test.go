package main

import (
	"net/http"

	"github.com/grpcdouble/grpcdouble/expect"
)

// foreignStubRows are the bad-input rows for gripmock and WireMock stub
// files: each error names the file, the line and the construct.
func foreignStubRows(serve func(extra ...string) []string, file func(name, data string) string) []badInputRow {
	gmUnknownKey := file("gm-unknown-key.yaml", `- service: routeguide.RouteGuide
  method: GetFeature
  input:
    equals: {latitude: 1}
  outptu:
    data: {name: x}
`)
	gmBadRegex := file("gm-bad-regex.json", `[
  {
    "service": "routeguide.RouteGuide",
    "method": "GetFeature",
    "headers": {"matches": {"authorization": "^Bearer (["}},
    "output": {"data": {"name": "x"}}
  }
]
`)
	gmTemplate := file("gm-template.yaml", `- service: routeguide.RouteGuide
  method: GetFeature
  input:
    equals: {latitude: 1}
  output:
    data:
      name: "{{ .Request.latitude | shout }}"
`)
	gmEffects := file("gm-effects.yaml", `- service: routeguide.RouteGuide
  method: GetFeature
  output:
    data: {name: x}
  effects:
    - action: replace
      id: 8f2d9b80-8c66-42a6-9f3d-c331f3aee6dd
`)
	gmRoundPlaces := file("gm-round-places.yaml", `- service: routeguide.RouteGuide
  method: GetFeature
  output:
    data:
      name: "{{ round .Request.latitude 2 }}"
`)
	gmLoadUnknown := file("gm-load-unknown.yaml", `- service: routeguide.RouteGuide
  method: GetFeature
  input:
    equals:
      latitude: {{ lat2int "north" }}
  output:
    data: {name: x}
`)
	gmLoadBadArg := file("gm-load-bad-arg.yaml", `- service: routeguide.RouteGuide
  method: GetFeature
  input:
    equals:
      name: {{ uuid2base64 "not-a-uuid" }}
  output:
    data: {name: x}
`)
	gmLoadBreaks := file("gm-load-breaks.yaml", `- service: routeguide.RouteGuide
  method: GetFeature
  input:
    equals:
      latitude: 1
  output:
    data:
      name: {{ printf "{not: json" }}
`)
	gmLoadBreaksPlain := file("gm-load-breaks-plain.yml", `- service: routeguide.RouteGuide
  method: GetFeature
  output:
    data:
      name: Hi {{ printf "there: you" }}
`)
	gmPatternOnMessage := file("gm-pattern-message.yaml", `- service: routeguide.RouteGuide
  method: ListFeatures
  input:
    matches: {lo: "^1"}
  output:
    stream: [{name: x}]
`)
	gmNestedUnordered := file("gm-nested-unordered.yaml", `- service: routeguide.RouteGuide
  method: ListFeatures
  input:
    ignoreArrayOrder: true
    equals:
      lo: {latitude: 1}
      hi: [{latitude: 2}, {latitude: 3}]
  output:
    stream: [{name: x}]
`)
	gmBadSession := file("gm-bad-session.yaml", `- service: routeguide.RouteGuide
  method: GetFeature
  session: "team a"
  output:
    data: {name: x}
`)
	gmBadMessage := file("gm-bad-message.yaml", `- service: RouteGuide
  method: GetFeature
  output:
    data:
      name: x
      colour: red
`)
	gmNoData := file("gm-no-data.yaml", `- service: routeguide.RouteGuide
  method: GetFeature
  output:
    data:
      name: "{{ .Stub.id }}"
`)
	wmMatcher := file("wm-matcher.json", `{
  "request": {
    "urlPath": "/routeguide.RouteGuide/GetFeature",
    "method": "POST",
    "bodyPatterns": [{"matchesXPath": "//latitude"}]
  },
  "response": {"jsonBody": {"name": "x"}}
}
`)
	wmStatus := file("wm-status.json", `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature", "method": "POST"},
  "response": {"headers": {"grpc-status-name": "MOSTLY_OK"}}
}
`)
	wmHelper := file("wm-helper.json", `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature", "method": "POST"},
  "response": {
    "jsonBody": {"name": "{{slugify (jsonPath request.body '$.latitude')}}"},
    "transformers": ["response-template"]
  }
}
`)
	wmTemplateField := file("wm-template-field.json", `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature", "method": "POST"},
  "response": {
    "jsonBody": {"name": "at {{jsonPath request.body '$.lattitude'}}"},
    "transformers": ["response-template"]
  }
}
`)
	wmClientStream := file("wm-client-stream-template.json", `{
  "request": {"urlPath": "/routeguide.RouteGuide/RecordRoute", "method": "POST"},
  "response": {
    "jsonBody": {"pointCount": "{{jsonPath request.body '$.lattitude'}}"},
    "transformers": ["response-template"]
  }
}
`)
	wmNoTransformer := file("wm-no-transformer.json", `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature", "method": "POST"},
  "response": {
    "jsonBody": {"name": "at {{jsonPath request.body '$.latitude'}}"}
  }
}
`)
	wmHolder := file("wm-holder.json", `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature",
    "bodyPatterns": [{"equalToJson": {"latitude": "${json-unit.matches:positive}"}}]},
  "response": {"jsonBody": {"name": "x"}}
}
`)
	wmHolderKind := file("wm-holder-kind.json", `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature",
    "bodyPatterns": [{"equalToJson": {"latitude": "${json-unit.any-string}"}}]},
  "response": {"jsonBody": {"name": "x"}}
}
`)
	wmListPath := file("wm-list-path.json", `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature",
    "bodyPatterns": [{"matchesJsonPath": "$.latitude[0]"}]},
  "response": {"jsonBody": {"name": "x"}}
}
`)
	gmOverallHealth := file("gm-overall-health.yaml", `- service: grpc.health.v1.Health
  method: Check
  input:
    equals: {service: ""}
  output:
    data: {status: NOT_SERVING}
`)
	gmEffectTemplate := file("gm-effect-template.yaml", `- service: routeguide.RouteGuide
  method: GetFeature
  output:
    data: {name: x}
  effects:
    - action: upsert
      stub:
        service: routeguide.RouteGuide
        method: GetFeature
        input: {equals: {latitude: "{{ .Request.latitude | shout }}"}}
        output: {data: {name: y}}
`)
	gmEffectID := file("gm-effect-id.yaml", `- service: routeguide.RouteGuide
  method: GetFeature
  output:
    data: {name: x}
  effects:
    - action: delete
      id: "{{ .Request.latitude"
`)
	gmEmptyInput := file("gm-empty-input.yaml", `- service: routeguide.RouteGuide
  method: RecordRoute
  inputs:
    - equals: {latitude: 1}
    - {}
  output:
    data: {point_count: 2}
`)
	return []badInputRow{
		{
			name:   "gripmock client stream with an empty input, which gripmock never matches",
			args:   serve("--stubs", gmEmptyInput),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmEmptyInput + `:5: inputs[1]: is an empty matcher, and this stub never matches: gripmock takes no client stream for a stub with an empty input`},
		},
		{
			name:   "gripmock health stub for the overall health (service \"\")",
			args:   serve("--stubs", gmOverallHealth),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmOverallHealth + `:4: request: it matches only service "", the double's own health, which stubs never answer`},
		},
		{
			name:   "native health stub for the overall health (service \"\")",
			args:   serve("--stubs", file("overall-health.yaml", "- method: grpc.health.v1.Health/Watch\n  request: {equal: {}}\n  responses: [{status: NOT_SERVING}]\n")),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{`overall-health.yaml:2: request: it matches only service "", the double's own health, which stubs never answer: probes (Kubernetes, grpc_health_probe) ask for "" and must learn whether the double is up; name the service, as a client's health check does`},
		},
		{
			name:   "gripmock effect stub with a template that does not parse",
			args:   serve("--stubs", gmEffectTemplate),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmEffectTemplate + `:10: effects[0].stub.input.equals.latitude: unknown gripmock template function "shout"`},
		},
		{
			name:   "gripmock effect with a templated id that does not parse",
			args:   serve("--stubs", gmEffectID),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmEffectID + `:7: effects[0].id: template: `, "unclosed action"},
		},
		{
			name: "native put stub given as a template, a template that does not parse",
			args: serve("--stubs", file("then-template.yaml", "- method: routeguide.RouteGuide/GetFeature\n  response: {name: x}\n  then:\n    - putStubs:\n"+
				"        - template: {method: routeguide.RouteGuide/GetFeature, response: {name: '{{ .Request.lattitude }}'}}\n")),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"then-template.yaml:5: then[0].putStubs[0].template.response.name: template: ", "lattitude", "did you mean latitude?"},
		},
		{
			name: "native put stub given as a template beside other keys",
			args: serve("--stubs", file("then-template-keys.yaml", "- method: routeguide.RouteGuide/GetFeature\n  response: {name: x}\n  then:\n    - putStubs:\n"+
				"        - template: {method: routeguide.RouteGuide/GetFeature, response: {}}\n          id: y\n")),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"then-template-keys.yaml:5: then[0].putStubs[0]: a put stub given as a template has the key template alone: {template: {method: ..., ...}}"},
		},
		{
			name:   "native template outside a put stub",
			args:   serve("--stubs", file("top-template.yaml", "- method: routeguide.RouteGuide/GetFeature\n  template: {response: {}}\n")),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"top-template.yaml:2: template: only a put stub is given as a template: then: [{putStubs: [{template: {method: ..., ...}}]}]"},
		},
		{
			name:   "native templated deleteStubs id that does not parse",
			args:   serve("--stubs", file("then-id.yaml", "- method: routeguide.RouteGuide/GetFeature\n  response: {name: x}\n  then:\n    - deleteStubs: ['{{ .Request.latitude']\n")),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"then-id.yaml:4: then[0].deleteStubs[0]: template: ", "unclosed action"},
		},
		{
			name:   "gripmock stub with an unknown key",
			args:   serve("--stubs", gmUnknownKey),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmUnknownKey + ":5: outptu: unknown key in a gripmock stub (want id, service, method, priority, input, inputs, headers, options, output, effects, session)"},
		},
		{
			name:   "gripmock stub with an invalid regex in matches",
			args:   serve("--stubs", gmBadRegex, "--stubs-format", "gripmock"),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmBadRegex + ":5: headers.matches.authorization: invalid regular expression \"^Bearer ([\": error parsing regexp: missing closing ]"},
		},
		{
			name:   "gripmock template with an unknown function",
			args:   serve("--stubs", gmTemplate),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmTemplate + `:7: output.data.name: unknown gripmock template function "shout"`},
		},
		{
			name:   "gripmock effect with an unknown action",
			args:   serve("--stubs", gmEffects),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmEffects + `:6: effects[0].action: want upsert or delete, got "replace"`},
		},
		{
			name:   "native then with both putStubs and deleteStubs",
			args:   serve("--stubs", file("then-both.yaml", "- method: routeguide.RouteGuide/GetFeature\n  response: {name: x}\n  then:\n    - {putStubs: [{method: routeguide.RouteGuide/GetFeature, response: {}}], deleteStubs: [a]}\n")),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"then-both.yaml:4: then[0]: want one of putStubs (a list of stubs) or deleteStubs (a list of stub IDs)"},
		},
		{
			name:   "gripmock round with places",
			args:   serve("--stubs", gmRoundPlaces),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmRoundPlaces + ":5: output.data.name: gripmock's round takes one number: round NUMBER or NUMBER | round"},
		},
		{
			name:   "gripmock template reading data gripmock does not have",
			args:   serve("--stubs", gmNoData),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmNoData + `:5: output.data.name: gripmock's templates have no data .Stub (they have Request, Requests, Headers, MessageIndex, RequestTime, Timestamp, State, AttemptNumber, AttemptIndex, MaxAttempts, TotalAttempts, StubID and RequestID)`},
		},
		{
			name:   "gripmock template run at load with an unknown function",
			args:   serve("--stubs", gmLoadUnknown),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmLoadUnknown + `:5: template {{ lat2int "north" }}: unknown gripmock template function "lat2int" (gripmock runs a template that reads no call once, at load)`},
		},
		{
			name:   "gripmock template run at load with a bad argument",
			args:   serve("--stubs", gmLoadBadArg, "--stubs-format", "gripmock"),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmLoadBadArg + `:5: template {{ uuid2base64 "not-a-uuid" }}: at <uuid2base64 "not-a-uuid">: error calling uuid2base64: not a UUID "not-a-uuid"`},
		},
		{
			name:   "gripmock template run at load whose result is not a value",
			args:   serve("--stubs", gmLoadBreaks),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmLoadBreaks + `:8: template {{ printf "{not: json" }}: its result "{not: json" starts as JSON does but is not a JSON or YAML object or list on one line, so it cannot stand for the value`},
		},
		{
			name:   "gripmock template run at load whose result breaks the YAML",
			args:   serve("--stubs", gmLoadBreaksPlain),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmLoadBreaksPlain + `:5: mapping values are not allowed in this context (the line holds what {{ printf "there: you" }} gave at load)`},
		},
		{
			name:   "admin: gripmock template run at load with an unknown function",
			admin:  &adminCall{nil, "POST", "/stubs", "- service: routeguide.RouteGuide\n  method: GetFeature\n  input:\n    equals:\n      latitude: {{ lat2int \"north\" }}\n  output: {data: {name: x}}\n"},
			status: http.StatusBadRequest,
			want:   []string{`stub: bad stub file: admin POST /stubs:5: template {{ lat2int "north" }}: unknown gripmock template function "lat2int"`},
		},
		{
			name:   "gripmock pattern on a message field",
			args:   serve("--stubs", gmPatternOnMessage),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmPatternOnMessage + ":4: input.matches.lo: a pattern on the message field lo never matches (gripmock tests patterns against text): name the fields inside, matches: {lo: {field: pattern}}"},
		},
		{
			name:   "gripmock ignoreArrayOrder on a field that is no list",
			args:   serve("--stubs", gmNestedUnordered),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmNestedUnordered + ":7: input.equals.hi: a list never matches the message field hi, which is not a list (gripmock compares a list only with a list)"},
		},
		{
			name:   "gripmock stub with a bad session name",
			args:   serve("--stubs", gmBadSession),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmBadSession + `:3: session: bad session name "team a": want 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`},
		},
		{
			name:   "gripmock stub with an unknown field in its output",
			args:   serve("--stubs", gmBadMessage),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{gmBadMessage + `:6: response: not a routeguide.Feature: unknown field "colour"`},
		},
		{
			name:   "WireMock mapping with an unsupported matcher",
			args:   serve("--stubs", wmMatcher),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{wmMatcher + ":5: request.bodyPatterns[0].matchesXPath: unsupported body matcher (want equalToJson, with ignoreExtraElements, or matchesJsonPath)"},
		},
		{
			name:   "WireMock mapping with an unknown grpc-status-name",
			args:   serve("--stubs", wmStatus, "--stubs-format", "wiremock"),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{wmStatus + `:3: response.headers.grpc-status-name: unknown gRPC status "MOSTLY_OK" (want a name like NOT_FOUND)`},
		},
		{
			name:   "WireMock template with an unsupported helper",
			args:   serve("--stubs", wmHelper),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{wmHelper + ":4: response.jsonBody.name: not supported yet: the WireMock template helper slugify"},
		},
		{
			name:   "WireMock template reading a field the request type has not",
			args:   serve("--stubs", wmTemplateField),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{wmTemplateField + `:4: response.name: template: .Request.lattitude: routeguide.Point has no field "lattitude" (did you mean latitude?)`},
		},
		{
			name:   "WireMock template on a client stream reading a field the message that matched has not",
			args:   serve("--stubs", wmClientStream),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{wmClientStream + `:4: response.pointCount: template: .Matched.lattitude: routeguide.Point has no field "lattitude" (did you mean latitude?)`},
		},
		{
			name:   "WireMock template without the response-template transformer",
			args:   serve("--stubs", wmNoTransformer),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{wmNoTransformer + `:4: response.jsonBody.name: holds {{...}} but the mapping has no "transformers": ["response-template"]: WireMock sends it as written unless started with --global-response-templating; add the transformer to have it rendered`},
		},
		{
			name:   "WireMock json-unit placeholder grpcdouble does not know",
			args:   serve("--stubs", wmHolder),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{wmHolder + `:3: request.bodyPatterns[0].equalToJson: not supported: the json-unit custom matcher "${json-unit.matches:positive}" is Java code WireMock is started with; a mapping names it and holds no definition to translate`},
		},
		{
			name:   "WireMock json-unit placeholder of a kind the field never has",
			args:   serve("--stubs", wmHolderKind),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{wmHolderKind + ":3: request.bodyPatterns[0].equalToJson: ${json-unit.any-string} never matches the field latitude: its JSON is a number"},
		},
		{
			name:   "WireMock JSON path indexing a field that is not a list",
			args:   serve("--stubs", wmListPath),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{wmListPath + `:3: request.bodyPatterns[0].matchesJsonPath: the JSON path "$.latitude[0]" never matches: latitude is not a list`},
		},
		{
			name: "unknown --stubs-format",
			args: serve("--stubs-format", "pact"),
			exit: 2,
			want: []string{`serve: --stubs-format: unknown stub format "pact" (want auto, native, gripmock or wiremock)`},
		},
	}
}

package expect_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The JSON Schema shipped for editors must accept every stub file the
// project ships and refuse what the loader refuses, or editors would flag
// good files and pass bad ones.
func TestSchemaAcceptsShippedStubFiles(t *testing.T) {
	schema := compileSchema(t)
	var files []string
	for _, dir := range []string{"../examples/stubs", "../examples/dynamic", "../testdata/stubs", "../testdata/standalone/stubs"} {
		for _, pat := range []string{"*.yaml", "*.yml", "*.json"} {
			m, err := filepath.Glob(filepath.Join(dir, pat))
			require.NoError(t, err)
			files = append(files, m...)
		}
	}
	require.GreaterOrEqual(t, len(files), 4, "stub files found: %v", files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.NoError(t, schema.Validate(stubDoc(t, f, data)), "%s", f)
	}
}

func TestSchemaRefusesBadStubs(t *testing.T) {
	schema := compileSchema(t)
	for _, tc := range []struct{ name, doc, want string }{
		{"unknown key", `{"method": "/routeguide.RouteGuide/GetFeature", "respons": {}}`, "respons"},
		{"no method", `{"response": {}}`, "method"},
		{"bad method", `{"method": "GetFeature", "response": {}}`, "pattern"},
		{"negative times", `{"method": "/routeguide.RouteGuide/GetFeature", "times": -1, "response": {}}`, "times"},
		{"bad headersAt", `{"method": "/routeguide.RouteGuide/GetFeature", "headersAt": "later", "response": {}}`, "headersAt"},
		{"stubs not a list", `{"stubs": {"method": "/a.B/C"}}`, "stubs"},
		{"template outside putStubs", `{"method": "/a.B/C", "template": {"method": "/a.B/C"}, "response": {}}`, "template"},
		{"template beside other keys", `{"method": "/a.B/C", "response": {}, "then": [{"putStubs": [{"template": {"method": "/a.B/C"}, "id": "x"}]}]}`, "then"},
		{"delay neither a duration nor a template", `{"method": "/routeguide.RouteGuide/GetFeature", "delay": "soon", "response": {}}`, "delay"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := schema.Validate(stubDoc(t, tc.name+".json", []byte(tc.doc)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// Effects built from the call: a put stub given as a template, a
// templated ID, a forEach rule's then.
func TestSchemaAcceptsTemplatedEffects(t *testing.T) {
	schema := compileSchema(t)
	doc := `[
  {"method": "/a.B/C", "response": {}, "then": [
    {"putStubs": [{"template": {"id": "u-{{ .Request.id }}", "method": "/a.B/C", "response": {"name": "{{ .Request.id }}"}}}, {"method": "/a.B/C", "response": {}}]},
    {"deleteStubs": ["u-{{ .Request.id }}"]}]},
  {"method": "/a.B/D", "steps": [{"forEach": [{"recv": {"any": true}, "send": {}, "then": [{"deleteStubs": ["x"]}]}]}]}
]`
	assert.NoError(t, schema.Validate(stubDoc(t, "effects.json", []byte(doc))))
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	schema, err := c.Compile("stub.schema.json")
	require.NoError(t, err)
	return schema
}

// stubDoc turns a YAML or JSON stub file into the value the validator
// wants: YAML goes through JSON so numbers and maps look the same.
func stubDoc(t *testing.T, name string, data []byte) any {
	t.Helper()
	if !strings.HasSuffix(name, ".json") {
		var v any
		require.NoError(t, yaml.Unmarshal(data, &v), "%s", name)
		var err error
		data, err = json.Marshal(v)
		require.NoError(t, err, "%s", name)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err, "%s", name)
	return doc
}

package expect

import (
	"reflect"
	"slices"
	"strings"
)

// StubFields lists the fields of each part of the stub format, by the name
// stub.schema.json gives the part under $defs.
func StubFields() map[string][]string {
	out := map[string][]string{}
	for name, v := range map[string]any{
		"stub": stubDoc{}, "match": matchDoc{}, "messages": listDoc{},
		"status": statusDoc{}, "step": stepDoc{}, "metadataMatch": mdMatchDoc{},
		"abort": abortDoc{}, "oversized": oversizeDoc{},
	} {
		t := reflect.TypeOf(v)
		var fields []string
		for i := range t.NumField() {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			fields = append(fields, tag)
		}
		slices.Sort(fields)
		out[name] = fields
	}
	return out
}

package expect

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// ParseStubNodes parses stubs given as YAML nodes in the stub file format,
// one mapping node per stub. It is how readers of other formats (gripmock's,
// WireMock's) build expectations: they translate a foreign file into native
// stub nodes and hand them here, so one engine answers every format. The
// nodes' line numbers are kept, so an error names filename and the line of
// the foreign file the node was built from. Unlike ParseStubs, fields the
// format does not know are ignored rather than rejected: the nodes are
// built by a program, not written by hand.
func ParseStubNodes(filename string, nodes []*yaml.Node, resolver mockserver.Methods) ([]Stub, error) {
	var errs []error
	out := make([]Stub, 0, len(nodes))
	for _, n := range nodes {
		if n == nil || n.Kind != yaml.MappingNode {
			line := 0
			if n != nil {
				line = n.Line
			}
			errs = append(errs, fmt.Errorf("%w: %s:%d: want one stub (a mapping)", ErrStubFile, filename, line))
			continue
		}
		var d stubDoc
		if err := n.Decode(&d); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s", ErrStubFile, yamlError(filename, err)))
			continue
		}
		s := Stub{ID: d.ID, File: filename, Line: n.Line, doc: d, node: n}
		full, err := mockserver.NormalizeMethod(d.Method)
		if d.Method == "" {
			err = errors.New("method is required")
		}
		if err != nil {
			errs = append(errs, s.errf(n, "method", "%v", err))
			continue
		}
		s.Method = full
		md, err := lookupWith(resolver, full)
		if err != nil {
			errs = append(errs, s.errf(n, "method", "%v", err))
			continue
		}
		if md != nil {
			e := &expectation{method: full, kind: mockserver.KindOf(md), md: md}
			if err := s.compile(e, md); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		out = append(out, s)
	}
	// As ParseStubs: the stubs that parsed come back beside the errors.
	return out, errors.Join(errs...)
}

package expect

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/internal/parallel"
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
	if len(nodes) < 2*itemsPerChunk {
		out, errs := parseStubNodes(filename, nodes, resolver)
		return out, errors.Join(errs...)
	}
	// A big foreign file's stubs are parsed on every core, as a big native
	// file's chunks are (parseChunked): one core left gripmock's 10,000
	// stubs loading 1.9 times as long as the same native ones.
	n := (len(nodes) + itemsPerChunk - 1) / itemsPerChunk
	stubs := make([][]Stub, n)
	errs := make([][]error, n)
	parallel.Do(n, func(c int) bool {
		stubs[c], errs[c] = parseStubNodes(filename, nodes[c*itemsPerChunk:min((c+1)*itemsPerChunk, len(nodes))], resolver)
		return true
	})
	out := make([]Stub, 0, len(nodes))
	var all []error
	for c := range stubs {
		out = append(out, stubs[c]...)
		all = append(all, errs[c]...)
	}
	return out, errors.Join(all...)
}

func parseStubNodes(filename string, nodes []*yaml.Node, resolver mockserver.Methods) ([]Stub, []error) {
	var errs []error
	out := make([]Stub, 0, len(nodes))
	names := map[string]string{}
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
		// The nodes are the reader's, built for this call: kept, as
		// there is no file to read them from again.
		s, err := parseStub(filename, 0, n, &d, resolver, true, false, names)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.index = -1
		out = append(out, s)
	}
	// As ParseStubs: the stubs that parsed come back beside the errors.
	return out, errs
}

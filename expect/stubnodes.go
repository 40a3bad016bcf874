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
//
// again, when not nil, gives the same nodes anew (the file translated
// again), should a Mock need a stub compiled otherwise (bound to another
// server): then ParseStubNodes takes nodes over, and a stub lets its nodes
// go once compiled, as a stub of a native file does. With again nil every
// stub keeps its nodes.
func ParseStubNodes(filename string, nodes []*yaml.Node, again func() ([]*yaml.Node, error), resolver mockserver.Methods) ([]Stub, error) {
	var file *stubData
	if again != nil {
		file = &stubData{name: filename, again: again}
	}
	if len(nodes) < 2*itemsPerChunk {
		out, errs := parseStubNodes(filename, nodes, 0, file, resolver)
		return out, errors.Join(errs...)
	}
	// A big foreign file's stubs are parsed on every core, as a big native
	// file's chunks are (parseChunked): one core left gripmock's 10,000
	// stubs loading 1.9 times as long as the same native ones.
	n := (len(nodes) + itemsPerChunk - 1) / itemsPerChunk
	stubs := make([][]Stub, n)
	errs := make([][]error, n)
	parallel.Do(n, func(c int) bool {
		first := c * itemsPerChunk
		stubs[c], errs[c] = parseStubNodes(filename, nodes[first:min(first+itemsPerChunk, len(nodes))], first, file, resolver)
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

// parseStubNodes parses nodes, the file's stubs from its first-th on.
func parseStubNodes(filename string, nodes []*yaml.Node, first int, file *stubData, resolver mockserver.Methods) ([]Stub, []error) {
	var errs []error
	out := make([]Stub, 0, len(nodes))
	names := map[string]string{}
	for i, n := range nodes {
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
		s, err := parseStub(filename, first+i, n, &d, resolver, true, false, names)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if file != nil {
			s.release(file)
			nodes[i] = nil
		}
		out = append(out, s)
	}
	// As ParseStubs: the stubs that parsed come back beside the errors.
	return out, errs
}

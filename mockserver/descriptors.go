package mockserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// ErrUnknownMessage is wrapped by NewMessage's error for a message type the
// descriptors do not declare.
var ErrUnknownMessage = errors.New("unknown message type")

// Descriptors are services loaded from sources once, before any server
// starts: for a test against a service known only from a .proto file (or a
// protoset, or a live server's reflection). They are a Source, so a server
// serves the same descriptors (WithSource), and Methods, so expectations
// are checked against them as they are declared (expect.WithResolver):
//
//	files, err := mockserver.Load(ctx, mockserver.ProtoFiles([]string{"protos"}, "routeguide.proto"))
//	m := expect.New(t, expect.WithResolver(files))
//	feature, err := files.NewMessage("routeguide.Feature")
//	srv := mockserver.Start(t, m, mockserver.WithSource(files))
type Descriptors struct {
	services []protoreflect.ServiceDescriptor
	methods  map[string]protoreflect.MethodDescriptor
	files    *protoregistry.Files
}

// Load reads the services of every source, in order; a service two
// sources offer is taken from the first.
func Load(ctx context.Context, sources ...Source) (*Descriptors, error) {
	d := &Descriptors{methods: map[string]protoreflect.MethodDescriptor{}}
	seen := map[protoreflect.FullName]bool{}
	for _, src := range sources {
		sds, err := src.Services(ctx)
		if err != nil {
			return nil, err
		}
		for _, sd := range sds {
			if seen[sd.FullName()] {
				continue
			}
			seen[sd.FullName()] = true
			d.services = append(d.services, sd)
			for i := 0; i < sd.Methods().Len(); i++ {
				md := sd.Methods().Get(i)
				d.methods["/"+string(sd.FullName())+"/"+string(md.Name())] = md
			}
		}
	}
	files, err := fileRegistry(d.services)
	if err != nil {
		return nil, err
	}
	d.files = files
	return d, nil
}

// Services returns the services loaded. With it Descriptors are a Source.
func (d *Descriptors) Services(context.Context) ([]protoreflect.ServiceDescriptor, error) {
	return slices.Clone(d.services), nil
}

// Method returns a loaded method's descriptor, by full name in either of
// the forms "/pkg.Service/Method" or "pkg.Service/Method". With it
// Descriptors are Methods, for expect.WithResolver.
func (d *Descriptors) Method(name string) (protoreflect.MethodDescriptor, error) {
	full, err := NormalizeMethod(name)
	if err != nil {
		return nil, err
	}
	if md, ok := d.methods[full]; ok {
		return md, nil
	}
	names := make([]string, 0, len(d.methods))
	for n := range d.methods {
		names = append(names, n)
	}
	slices.Sort(names)
	return nil, fmt.Errorf("%w %s; the descriptors have %s", ErrUnknownMethod, full, strings.Join(names, ", "))
}

// NewMessage returns an empty message of the named type ("routeguide.Feature"),
// declared in the loaded files or the files they import. It is the
// generated Go type when one is linked in, a dynamicpb message otherwise:
// the type the server decodes into. Fill it with protojson.Unmarshal or
// through ProtoReflect.
func (d *Descriptors) NewMessage(name string) (proto.Message, error) {
	return newMessage(d.files, name)
}

// NewMessage returns an empty message of the named type ("routeguide.Feature"),
// declared in the files of the served services or the files they import,
// as Descriptors.NewMessage does: for tests that know a service only from a
// .proto file and have no generated type to build requests and answers
// with.
func (s *Server) NewMessage(name string) (proto.Message, error) {
	files, err := fileRegistry(s.services)
	if err != nil {
		return nil, err
	}
	return newMessage(files, name)
}

func newMessage(files *protoregistry.Files, name string) (proto.Message, error) {
	desc, err := files.FindDescriptorByName(protoreflect.FullName(strings.TrimPrefix(name, ".")))
	if err != nil {
		var have []string
		files.RangeFiles(func(f protoreflect.FileDescriptor) bool {
			if !strings.HasPrefix(f.Path(), "google/protobuf/") {
				have = append(have, f.Path())
			}
			return true
		})
		slices.Sort(have)
		return nil, fmt.Errorf("%w %q: not declared in %s (give the full name, package included)", ErrUnknownMessage, name, strings.Join(have, ", "))
	}
	md, ok := desc.(protoreflect.MessageDescriptor)
	if !ok {
		return nil, fmt.Errorf("%w %q: it is %s", ErrUnknownMessage, name, descriptorKind(desc))
	}
	return messageType(md).New().Interface(), nil
}

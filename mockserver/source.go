package mockserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/reporter"
	"github.com/jhump/protoreflect/v2/grpcreflect"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	// google/api/annotations.proto and http.proto, for linkedImports: the
	// REST mapping of a service is declared with them.
	_ "google.golang.org/genproto/googleapis/api/annotations"

	"github.com/grpcdouble/grpcdouble/internal/boundedfile"
)

// ErrServiceNotFound is wrapped by errors for a service no source has.
var ErrServiceNotFound = errors.New("service not found")

// Source supplies service descriptors. The four built in are GoTypes,
// ProtoFiles, Protoset and Reflection; anything that can produce descriptors
// can be one.
type Source interface {
	// Services returns the services this source offers.
	Services(ctx context.Context) ([]protoreflect.ServiceDescriptor, error)
}

// GoTypes is the source of services compiled into the binary: generated code
// registers its descriptors in protoregistry.GlobalFiles when its package is
// imported. Name the services by full name ("routeguide.RouteGuide").
func GoTypes(services ...string) Source { return goTypes(services) }

type goTypes []string

func (g goTypes) Services(context.Context) ([]protoreflect.ServiceDescriptor, error) {
	out := make([]protoreflect.ServiceDescriptor, 0, len(g))
	for _, name := range g {
		sd, err := globalService(name)
		if err != nil {
			return nil, err
		}
		out = append(out, sd)
	}
	return out, nil
}

// AllGoTypes is the source of every service compiled into the binary,
// whatever its name, except reflection and health (which the server adds
// itself). A recording proxy uses it to serve whatever the client calls
// when the upstream offers no reflection.
func AllGoTypes() Source { return allGoTypes{} }

type allGoTypes struct{}

func (allGoTypes) Services(context.Context) ([]protoreflect.ServiceDescriptor, error) {
	var out []protoreflect.ServiceDescriptor
	protoregistry.GlobalFiles.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		for i := 0; i < f.Services().Len(); i++ {
			if sd := f.Services().Get(i); !isInfraService(string(sd.FullName())) {
				out = append(out, sd)
			}
		}
		return true
	})
	slices.SortFunc(out, func(a, b protoreflect.ServiceDescriptor) int {
		return strings.Compare(string(a.FullName()), string(b.FullName()))
	})
	return out, nil
}

func globalService(name string) (protoreflect.ServiceDescriptor, error) {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not among the compiled Go types (is its generated package imported?)", ErrServiceNotFound, name)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%w: %q is %s, not a service", ErrServiceNotFound, name, descriptorKind(d))
	}
	return sd, nil
}

// descriptorKind names what a descriptor describes, for error messages.
func descriptorKind(d protoreflect.Descriptor) string {
	switch d.(type) {
	case protoreflect.MessageDescriptor:
		return "a message"
	case protoreflect.EnumDescriptor:
		return "an enum"
	case protoreflect.EnumValueDescriptor:
		return "an enum value"
	case protoreflect.FieldDescriptor:
		return "a field"
	case protoreflect.MethodDescriptor:
		return "a method (name its service)"
	case protoreflect.ServiceDescriptor:
		return "a service"
	}
	return fmt.Sprintf("a %T", d)
}

// ProtoFiles parses .proto files at run time. Each file is found relative to
// the import paths (the current directory when none is given); the
// well-known types (google/protobuf/*.proto) are always available, and so is
// any other file linked into the binary, google/api/annotations.proto among
// them (a file on the import paths wins). Errors name file:line:column. An
// edition 2024 file is compiled as edition 2023, the same on the wire and
// in JSON, unless it uses 2024's own syntax (export, local, import option),
// which fails naming it.
func ProtoFiles(importPaths []string, files ...string) Source {
	return protoFiles{importPaths: importPaths, files: files}
}

type protoFiles struct {
	importPaths []string
	files       []string
}

func (p protoFiles) Services(ctx context.Context) ([]protoreflect.ServiceDescriptor, error) {
	if len(p.files) == 0 {
		return nil, errors.New("proto source: no .proto files given")
	}
	paths := p.importPaths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	files := make([]string, len(p.files))
	for i, f := range p.files {
		files[i] = relativeTo(paths, f)
	}
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(linkedImports{edition2024{&protocompile.SourceResolver{ImportPaths: paths}}}),
		// Errors come back as values, not log lines.
		Reporter: reporter.NewReporter(nil, nil),
	}
	compiled, err := c.Compile(ctx, files...)
	if err != nil {
		return nil, fmt.Errorf("parse .proto (import paths %s): %w", strings.Join(paths, ", "), err)
	}
	var out []protoreflect.ServiceDescriptor
	for _, f := range compiled {
		out = appendServices(out, f)
	}
	return out, nil
}

// linkedImports finds an import the import paths do not have among the
// files linked into the binary, as the well-known types are: so a .proto
// importing google/api/annotations.proto (for REST) or google/rpc/status.proto
// needs no googleapis checkout. A file on the import paths wins.
type linkedImports struct{ protocompile.Resolver }

func (l linkedImports) FindFileByPath(path string) (protocompile.SearchResult, error) {
	res, err := l.Resolver.FindFileByPath(path)
	if err == nil {
		return res, nil
	}
	if fd, ferr := protoregistry.GlobalFiles.FindFileByPath(path); ferr == nil {
		return protocompile.SearchResult{Desc: fd}, nil
	}
	return res, err
}

// relativeTo lets a user name a file by a path that includes an import path,
// as protoc does: "protos/a/b.proto" with import path "protos" is "a/b.proto".
func relativeTo(importPaths []string, file string) string {
	for _, ip := range importPaths {
		ip = strings.TrimSuffix(ip, "/") + "/"
		if ip != "./" && strings.HasPrefix(file, ip) {
			return strings.TrimPrefix(file, ip)
		}
	}
	return strings.TrimPrefix(file, "./")
}

func appendServices(out []protoreflect.ServiceDescriptor, f protoreflect.FileDescriptor) []protoreflect.ServiceDescriptor {
	for i := 0; i < f.Services().Len(); i++ {
		out = append(out, f.Services().Get(i))
	}
	return out
}

// Protoset reads a FileDescriptorSet, as written by
// `protoc --include_imports --descriptor_set_out=FILE`: a regular file of
// at most 1 GiB.
func Protoset(path string) Source { return protoset(path) }

type protoset string

func (p protoset) Services(context.Context) ([]protoreflect.ServiceDescriptor, error) {
	data, err := boundedfile.ReadFile(string(p), boundedfile.Limit)
	if err != nil {
		return nil, fmt.Errorf("protoset: %w", err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("protoset %s: not a FileDescriptorSet (write one with protoc --include_imports --descriptor_set_out): %w", p, err)
	}
	if len(set.File) == 0 {
		return nil, fmt.Errorf("protoset %s: holds no files (write one with protoc --include_imports --descriptor_set_out)", p)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, fmt.Errorf("protoset %s: %w (was it written with --include_imports?)", p, err)
	}
	var out []protoreflect.ServiceDescriptor
	for _, fd := range set.File {
		f, err := files.FindFileByPath(fd.GetName())
		if err != nil {
			return nil, fmt.Errorf("protoset %s: %w", p, err)
		}
		out = appendServices(out, f)
	}
	return out, nil
}

// Reflection asks a live server, through its server-reflection service, for
// every service it offers (except reflection and health themselves).
// The connection stays the caller's to close.
func Reflection(conn grpc.ClientConnInterface) Source { return reflectionSource{conn} }

type reflectionSource struct{ conn grpc.ClientConnInterface }

func (r reflectionSource) Services(ctx context.Context) ([]protoreflect.ServiceDescriptor, error) {
	client := grpcreflect.NewClientAuto(ctx, r.conn)
	defer client.Reset()
	names, err := client.ListServices()
	if err != nil {
		return nil, fmt.Errorf("reflection: list services: %w", err)
	}
	var out []protoreflect.ServiceDescriptor
	for _, name := range names {
		if isInfraService(string(name)) {
			continue
		}
		fd, err := client.FileContainingSymbol(name)
		if err != nil {
			return nil, fmt.Errorf("reflection: resolve %s: %w", name, err)
		}
		sd := fd.Services().ByName(name.Name())
		if sd == nil {
			return nil, fmt.Errorf("reflection: %s: the server's file %s does not declare it", name, fd.Path())
		}
		out = append(out, sd)
	}
	return out, nil
}

// isInfraService reports the services the server adds itself.
func isInfraService(name string) bool {
	return strings.HasPrefix(name, "grpc.reflection.") || strings.HasPrefix(name, "grpc.health.")
}

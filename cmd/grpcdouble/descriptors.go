package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// serviceSet is the services of some descriptor sources, looked up
// without serving them (mockserver.Methods), for the commands that only
// check: verify and lint.
type serviceSet struct {
	services map[protoreflect.FullName]protoreflect.ServiceDescriptor
}

// loadServices asks every source for its services.
func loadServices(ctx context.Context, sources []mockserver.Source) (*serviceSet, error) {
	set := &serviceSet{services: map[protoreflect.FullName]protoreflect.ServiceDescriptor{}}
	for _, src := range sources {
		sds, err := src.Services(ctx)
		if err != nil {
			return nil, fmt.Errorf("descriptors: %w", err)
		}
		for _, sd := range sds {
			if _, ok := set.services[sd.FullName()]; !ok {
				set.services[sd.FullName()] = sd
			}
		}
	}
	return set, nil
}

// names lists the services, sorted.
func (s *serviceSet) names() []string {
	out := make([]string, 0, len(s.services))
	for n := range s.services {
		out = append(out, string(n))
	}
	slices.Sort(out)
	return out
}

// Method finds a method by full name, saying what there is when it is not
// there.
func (s *serviceSet) Method(name string) (protoreflect.MethodDescriptor, error) {
	full, err := mockserver.NormalizeMethod(name)
	if err != nil {
		return nil, err
	}
	svc, m, _ := strings.Cut(strings.TrimPrefix(full, "/"), "/")
	sd, ok := s.services[protoreflect.FullName(svc)]
	if !ok {
		return nil, fmt.Errorf("%w: %s: no service %s among the descriptors (they have %s)", mockserver.ErrUnknownMethod, full, svc, orNone(s.names()))
	}
	md := sd.Methods().ByName(protoreflect.Name(m))
	if md == nil {
		var have []string
		for i := 0; i < sd.Methods().Len(); i++ {
			have = append(have, string(sd.Methods().Get(i).Name()))
		}
		return nil, fmt.Errorf("%w: %s: service %s has no method %s (it has %s)", mockserver.ErrUnknownMethod, full, svc, m, orNone(have))
	}
	return md, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

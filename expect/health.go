package expect

import (
	"errors"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The health methods whose request names a service. The server serves
// grpc.health.v1.Health itself and hands a call to the stubs only when
// some are for its method; Check and Watch of service "" it always answers
// itself (see mockserver.BuiltinOverrider).
var healthByService = map[string]bool{
	"/grpc.health.v1.Health/Check": true,
	"/grpc.health.v1.Health/Watch": true,
}

// errOverallHealth: an expectation that could only ever answer service "".
var errOverallHealth = errors.New(`it matches only service "", the double's own health, which stubs never answer: probes (Kubernetes, grpc_health_probe) ask for "" and must learn whether the double is up; name the service, as a client's health check does`)

// checkOverallHealth fails an expectation on Check or Watch whose request
// matcher takes service "" and no other name: it would never answer, and
// saying so at load beats a stub that silently does nothing. A stub that
// matches any request is fine: it answers every named service.
func (e *expectation) checkOverallHealth() error {
	if e.md == nil || !healthByService[e.method] || (e.req == nil && len(e.fields) == 0) {
		return nil
	}
	in := messageType(e.md.Input())
	field := e.md.Input().Fields().ByName("service")
	if field == nil || field.Kind() != protoreflect.StringKind {
		return nil
	}
	overall, named := in.New(), in.New()
	named.Set(field, protoreflect.ValueOfString("grpcdouble.probe.NotANameAnyStubMatches"))
	if e.reqMatch([]proto.Message{overall.Interface()}, nil) && !e.reqMatch([]proto.Message{named.Interface()}, nil) {
		return errOverallHealth
	}
	return nil
}

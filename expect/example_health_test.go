package expect_test

import (
	"context"
	"fmt"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Expectations on the standard health service, to test how a client takes
// a dependency going down: the call one matches gets its answer, every
// other the server's own health (service "" is always the server's).
func ExampleMock_health() {
	m := expect.NewMock()
	m.Unary("/grpc.health.v1.Health/Check").
		WithRequest(&healthpb.HealthCheckRequest{Service: "billing.Billing"}).
		Return(&healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_NOT_SERVING})
	srv, err := mockserver.New(m)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	health := healthpb.NewHealthClient(srv.ClientConn())
	for _, svc := range []string{"billing.Billing", "", "no.such.Service"} {
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		fmt.Printf("%q: %v %v\n", svc, resp.GetStatus(), status.Code(err))
	}
	fmt.Println(m.Verify())
	// Output:
	// "billing.Billing": NOT_SERVING OK
	// "": SERVING OK
	// "no.such.Service": UNKNOWN NotFound
	// <nil>
}

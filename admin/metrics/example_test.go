package metrics_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"time"

	"google.golang.org/grpc"

	"github.com/grpcdouble/grpcdouble/admin/metrics"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// A server counted by Metrics, scraped once.
func Example() {
	met := metrics.New()
	srv, err := mockserver.New(mockserver.HandlerFunc(func(c *mockserver.Call) error {
		if _, err := c.Recv(); err != nil {
			return err
		}
		c.SetAnswer("stub:hello")
		metrics.Answered(c.Context(), c.Answer())
		return c.Send(&pb.Feature{Name: "hello"})
	}), mockserver.WithServices("routeguide.RouteGuide"), mockserver.WithServerOptions(grpc.StatsHandler(met)))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{}); err != nil {
		log.Fatal(err)
	}
	web := httptest.NewServer(met.Handler())
	defer web.Close()
	resp, err := web.Client().Get(web.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "grpcdouble_calls_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// grpcdouble_calls_total{code="OK",method="/routeguide.RouteGuide/GetFeature",source="stub",stub=""} 1
}

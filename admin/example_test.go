package admin_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// An in-process server with the admin API beside it, as the grpcdouble
// command serves it: a stub added over HTTP answers the next call.
func Example() {
	m := expect.NewMock()
	srv, err := mockserver.New(m, mockserver.WithServices("routeguide.RouteGuide"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	web := httptest.NewServer(admin.New(srv, admin.WithMock(m)))
	defer web.Close()

	resp, err := http.Post(web.URL+"/stubs", "application/yaml", strings.NewReader(`
id: vale
method: /routeguide.RouteGuide/GetFeature
response: {name: Vale}
`))
	if err != nil {
		log.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	fmt.Println("POST /stubs:", resp.Status)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("GetFeature:", f.GetName())
	// Output:
	// POST /stubs: 201 Created
	// GetFeature: Vale
}

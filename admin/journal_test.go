package admin_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// GET /calls says what the journal's byte bound left out: each message kept
// truncated, with its real size, and how many calls were dropped.
func TestCallsSayWhatWasDropped(t *testing.T) {
	m := expect.NewMock()
	m.Unary("/routeguide.RouteGuide/GetFeature").AnyTimes().Return(&pb.Feature{Name: strings.Repeat("n", 100<<10)})
	srv := mockserver.Start(t, m, mockserver.WithJournalBytes(1<<20), mockserver.WithJournalLimit(10))
	api := admin.New(srv, admin.WithMock(m))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	client := pb.NewRouteGuideClient(srv.ClientConn())
	for range 30 {
		if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 1}); err != nil {
			t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest("GET", "/calls", nil))
	var calls []admin.Call
	if err := json.Unmarshal(rec.Body.Bytes(), &calls); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 10 {
		t.Fatalf("%d calls", len(calls))
	}
	ev := calls[0].Events[1]
	if ev.Type != "send" || !ev.Truncated || ev.Size != 100<<10+4 {
		t.Errorf("the response event is %+v, want it marked truncated with its size", ev)
	}
	if got := rec.Header().Get("Grpcdouble-Journal-Dropped-Calls"); got != "20" {
		t.Errorf("Grpcdouble-Journal-Dropped-Calls: %q, want 20", got)
	}
}

package main

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// adminRequest sends one admin request with the given Host ("" leaves the
// URL's) and headers, and returns the code and the error text, if any.
func adminRequest(t *testing.T, method, url, host string, header map[string]string, body string) (int, string) {
	t.Helper()
	header = maps.Clone(header)
	if host != "" {
		if header == nil {
			header = map[string]string{}
		}
		header["Host"] = host
	}
	code, _, data := adminHTTP(t, method, url, header, body)
	var e admin.ErrorBody
	_ = json.Unmarshal(data, &e) // a success answers something else
	return code, e.Error
}

// TestAdminHostContentTypeSecretsE2E: the real binary refuses admin
// requests for another host and bodies that are not JSON or YAML, shows
// credential metadata as [REDACTED], and --admin-allow-host and
// --admin-show-secrets say otherwise.
func TestAdminHostContentTypeSecretsE2E(t *testing.T) {
	t.Parallel()
	p := startProc(t, serveArgs("--admin", "127.0.0.1:0", "--stubs", "testdata/standalone/stubs")...)
	base := "http://" + p.AdminAddr
	port := p.AdminAddr[strings.LastIndex(p.AdminAddr, ":")+1:]

	if code, msg := adminRequest(t, "GET", base+"/calls", "rebind.example:"+port, nil, ""); code != http.StatusForbidden || !strings.Contains(msg, "--admin-allow-host NAME") {
		t.Fatalf("GET /calls for another host: %d %q, want 403 naming --admin-allow-host", code, msg)
	}
	for _, host := range []string{"localhost:" + port, "127.0.0.1:" + port} {
		if code, msg := adminRequest(t, "GET", base+"/calls", host, nil, ""); code != http.StatusOK {
			t.Fatalf("GET /calls for %s: %d %q", host, code, msg)
		}
	}
	stub := "{id: added, method: /routeguide.RouteGuide/GetFeature, request: {partial: {latitude: 5}}, response: {name: added}}"
	if code, msg := adminRequest(t, "POST", base+"/stubs", "", map[string]string{"Content-Type": "text/plain"}, stub); code != http.StatusUnsupportedMediaType || !strings.Contains(msg, "application/yaml") {
		t.Fatalf("POST /stubs as text/plain: %d %q, want 415", code, msg)
	}
	if code, msg := adminRequest(t, "POST", base+"/stubs", "", map[string]string{"Content-Type": "application/yaml"}, stub); code != http.StatusCreated {
		t.Fatalf("POST /stubs as YAML: %d %q", code, msg)
	}

	call := func(addr string) {
		conn := dial(t, addr, nil)
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer e2e-s3cret", "x-api-key", "k3y", "x-user", "ann")
		if _, err := pb.NewRouteGuideClient(conn).GetFeature(ctx, &pb.Point{Latitude: 5}); err != nil {
			t.Fatal(err)
		}
	}
	call(p.Addr)
	var calls []admin.Call
	if code := adminDo(t, "GET", base+"/calls", "", "", &calls); code != http.StatusOK || len(calls) != 1 {
		t.Fatalf("GET /calls: %d %+v", code, calls)
	}
	md := calls[0].Metadata
	if md["authorization"][0] != "[REDACTED]" || md["x-api-key"][0] != "[REDACTED]" || md["x-user"][0] != "ann" {
		t.Fatalf("GET /calls metadata %v: want authorization and x-api-key redacted, x-user as sent", md)
	}

	open := startProc(t, serveArgs("--admin", "127.0.0.1:0", "--stubs", "testdata/standalone/stubs", "--admin-show-secrets", "--admin-allow-host", "mock.internal")...)
	obase := "http://" + open.AdminAddr
	if code, msg := adminRequest(t, "GET", obase+"/calls", "mock.internal:1234", nil, ""); code != http.StatusOK {
		t.Fatalf("GET /calls for an allowed name: %d %q", code, msg)
	}
	if code, msg := adminRequest(t, "POST", obase+"/stubs", "", map[string]string{"Content-Type": "application/json"}, `{"method": "/routeguide.RouteGuide/GetFeature", "request": {"partial": {"latitude": 5}}, "response": {"name": "added"}}`); code != http.StatusCreated {
		t.Fatalf("POST /stubs as JSON: %d %q", code, msg)
	}
	call(open.Addr)
	calls = nil
	adminDo(t, "GET", obase+"/calls", "", "", &calls)
	if len(calls) != 1 || calls[0].Metadata["authorization"][0] != "Bearer e2e-s3cret" {
		t.Fatalf("GET /calls with --admin-show-secrets: %+v", calls)
	}
}

// TestRejectedAdminRequestsLogBoundedE2E: 10,000 requests with a wrong
// token log at most ten lines a second, then a line counting the rest, so
// every rejection is accounted for and the log stays small.
func TestRejectedAdminRequestsLogBoundedE2E(t *testing.T) {
	t.Parallel()
	p := startProc(t, serveArgs("--admin", "127.0.0.1:0", "--admin-token", "right")...)
	url := "http://" + p.AdminAddr + "/calls"
	const total, workers = 10000, 8
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += workers {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "Bearer wrong")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("status %d, want 401", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	seconds := int(time.Since(start)/time.Second) + 2 // the windows the requests spanned, at most
	suppressed := regexp.MustCompile(`suppressed=(\d+)`)
	// Every rejection is a line or counted in one; the last count comes
	// within a second of the last request.
	count := func() (lines, summaries, accounted int) {
		for _, l := range strings.Split(p.stderr.String(), "\n") {
			switch {
			case strings.Contains(l, "rejected request without the right token"):
				lines++
				accounted++
			case strings.Contains(l, "rejected requests not logged one by one"):
				summaries++
				if m := suppressed.FindStringSubmatch(l); m != nil {
					n, _ := strconv.Atoi(m[1])
					accounted += n
				}
			}
		}
		return
	}
	deadline := time.Now().Add(exitTimeout)
	for {
		lines, summaries, accounted := count()
		if accounted == total {
			t.Logf("%d rejected requests in about %d s: %d lines and %d summaries", total, seconds-1, lines, summaries)
			if lines > 10*seconds || summaries > seconds {
				t.Fatalf("%d lines and %d summaries for %d rejections over at most %d seconds: want at most 10 lines and 1 summary a second", lines, summaries, total, seconds)
			}
			return
		}
		if accounted > total || time.Now().After(deadline) {
			t.Fatalf("%d of %d rejections accounted for in the log (%d lines, %d summaries)", accounted, total, lines, summaries)
		}
		p.stderr.waitWrite(time.Until(deadline))
	}
}

// waitWrite waits, bounded, for the next write.
func (s *syncBuffer) waitWrite(timeout time.Duration) {
	s.mu.Lock()
	if s.written == nil {
		s.written = make(chan struct{})
	}
	ch := s.written
	s.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	}
}

// TestResetWithBadStubFileE2E: POST /reset while a --stubs file has a typo
// answers 422 naming file and line and resets nothing (the last good stubs
// and the admin's own keep answering); once fixed, the reset goes through.
func TestResetWithBadStubFileE2E(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "feature.yaml")
	writeFile(t, file, featureStub("v1"))
	p := startProc(t, serveArgs("--stubs", file, "--admin", "127.0.0.1:0")...)
	base := "http://" + p.AdminAddr
	client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
	if code := adminDo(t, "POST", base+"/stubs", "", "id: by-admin\nmethod: /routeguide.RouteGuide/RecordRoute\nresponse: {pointCount: 7}\n", nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs: %d", code)
	}
	replaceFile(t, file, "stubs:\n  - id: watched\n    method: /routeguide.RouteGuide/GetFeature\n    response: {name: v2, colour: red}\n")
	var e admin.ErrorBody
	if code := adminDo(t, "POST", base+"/reset", "", "", &e); code != http.StatusUnprocessableEntity {
		t.Fatalf("POST /reset with a bad file: %d %q, want 422", code, e.Error)
	}
	if want := file + `:4: response: not a routeguide.Feature: unknown field "colour"`; !strings.Contains(e.Error, want) || !strings.Contains(e.Error, "nothing was reset") {
		t.Fatalf("POST /reset: %q, want it to say %q and that nothing was reset", e.Error, want)
	}
	if got := featureName(t, client); got != "v1" {
		t.Fatalf("GetFeature after a failed reset: %q, want the last good v1", got)
	}
	var list []admin.Stub
	adminDo(t, "GET", base+"/stubs", "", "", &list)
	if len(list) != 2 {
		t.Fatalf("GET /stubs after a failed reset: %+v, want the file's stub and the admin's", list)
	}
	replaceFile(t, file, featureStub("v2"))
	if code := adminDo(t, "POST", base+"/reset", "", "", &e); code != http.StatusOK {
		t.Fatalf("POST /reset once fixed: %d %q", code, e.Error)
	}
	if got := featureName(t, client); got != "v2" {
		t.Fatalf("GetFeature after the reset: %q, want v2", got)
	}
	list = nil
	adminDo(t, "GET", base+"/stubs", "", "", &list)
	if len(list) != 1 || list[0].ID != "watched" {
		t.Fatalf("GET /stubs after the reset: %+v, want the file's stub only", list)
	}
}

// TestStubIDsByURLE2E: through the real binary, ids at the edges of the
// allowed set are fetched and deleted by their own URL, and an id outside
// it is refused naming it.
func TestStubIDsByURLE2E(t *testing.T) {
	t.Parallel()
	p := startProc(t, serveArgs("--admin", "127.0.0.1:0")...)
	base := "http://" + p.AdminAddr
	ids := []string{"a..", "b.", "0:0", "_", "Z-", strings.Repeat("q", 128)}
	var body strings.Builder
	for _, id := range ids {
		body.WriteString("- {id: '" + id + "', method: /routeguide.RouteGuide/GetFeature, response: {}}\n")
	}
	if code := adminDo(t, "POST", base+"/stubs", "", body.String(), nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs: %d", code)
	}
	for _, id := range ids {
		var s admin.Stub
		if code := adminDo(t, "GET", base+"/stubs/"+id, "", "", &s); code != http.StatusOK || s.ID != id {
			t.Fatalf("GET /stubs/%s: %d %+v", id, code, s)
		}
		if code := adminDo(t, "DELETE", base+"/stubs/"+id, "", "", nil); code != http.StatusNoContent {
			t.Fatalf("DELETE /stubs/%s: %d", id, code)
		}
		if code := adminDo(t, "GET", base+"/stubs/"+id, "", "", nil); code != http.StatusNotFound {
			t.Fatalf("GET /stubs/%s after DELETE: %d, want 404", id, code)
		}
	}
	var e admin.ErrorBody
	if code := adminDo(t, "POST", base+"/stubs", "", "- {id: 'a%2Fb', method: /routeguide.RouteGuide/GetFeature, response: {}}\n", &e); code != http.StatusBadRequest || !strings.Contains(e.Error, `id: "a%2Fb": want at most 128 letters`) {
		t.Fatalf("POST /stubs with id a%%2Fb: %d %q", code, e.Error)
	}
}

// TestVerifyExplainRefuseNonsenseE2E: through the real binary, counts no
// number of calls can meet and /explain bodies that say too much are 400s
// naming what was wrong.
func TestVerifyExplainRefuseNonsenseE2E(t *testing.T) {
	t.Parallel()
	p := startProc(t, serveArgs("--admin", "127.0.0.1:0", "--stubs", "testdata/standalone/stubs")...)
	base := "http://" + p.AdminAddr
	for _, tc := range []struct{ path, body, want string }{
		{"/verify", `{"id": "feature-1-2", "times": -1}`, `"times" is -1: want a count of 0 or more`},
		{"/verify", `{"id": "feature-1-2", "atLeast": 2, "atMost": 1}`, `"atLeast" (2) is above "atMost" (1)`},
		{"/explain", `{"method": "/routeguide.RouteGuide/GetFeature"}]`, `unexpected data after the JSON object, at byte 47`},
		{"/explain", `{"method": "/routeguide.RouteGuide/GetFeature", "request": [{}, {}]}`, `is a unary method and takes one routeguide.Point`},
	} {
		var e admin.ErrorBody
		if code := adminDo(t, "POST", base+tc.path, "", tc.body, &e); code != http.StatusBadRequest || !strings.Contains(e.Error, tc.want) {
			t.Errorf("POST %s %s: %d %q, want 400 saying %q", tc.path, tc.body, code, e.Error, tc.want)
		}
	}
}

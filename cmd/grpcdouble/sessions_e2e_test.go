package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
)

// sessionStub is a stub on GetFeature answering with the session's name;
// every session adds one, so they conflict on the method.
func sessionStub(name string, times int) string {
	return fmt.Sprintf("id: mine\nmethod: /routeguide.RouteGuide/GetFeature\nresponse: {name: %s}\ntimes: %d\n", name, times)
}

func sessionCtx(ctx context.Context, name string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, expect.SessionKey, name)
}

// TestSessionsE2E: two sessions in parallel, with conflicting stubs on one
// method, each get their own answers, journal and /verify, and see the
// global stubs from --stubs.
func TestSessionsE2E(t *testing.T) {
	t.Parallel()
	p := startProc(t, "serve", "--listen", "127.0.0.1:0", "--proto", "testdata/standalone/protos",
		"--stubs", "testdata/standalone/stubs", "--admin", "127.0.0.1:0")
	base := "http://" + p.AdminAddr
	client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	names := []string{"ci-job-1", "ci-job-2"}
	const calls = 5
	for _, name := range names {
		if code := adminDo(t, "POST", base+"/stubs?session="+name, "", sessionStub(name, calls), nil); code != http.StatusCreated {
			t.Fatalf("POST /stubs?session=%s: %d", name, code)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(names)*calls)
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				f, err := client.GetFeature(sessionCtx(ctx, name), &pb.Point{Latitude: int32(i)})
				if err != nil {
					errs <- fmt.Errorf("%s call %d: %v", name, i, err)
					return
				}
				if f.GetName() != name {
					errs <- fmt.Errorf("%s call %d answered %q", name, i, f.GetName())
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// A session sees the global stubs too: ListFeatures has only a global
	// one.
	stream, err := client.ListFeatures(sessionCtx(ctx, names[0]), &pb.Rectangle{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := stream.Recv(); err != nil {
			break
		}
		n++
	}
	if n != 3 {
		t.Fatalf("ListFeatures (a global stub) in session %s: %d messages, want 3", names[0], n)
	}
	// Without a session, the global stub answers GetFeature.
	f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
	if err != nil || f.GetName() != "Stub feature at 1,2" {
		t.Fatalf("GetFeature without a session: %v, %v", f, err)
	}

	for i, name := range names {
		var journal []admin.Call
		adminDo(t, "GET", base+"/calls?method=/routeguide.RouteGuide/GetFeature&session="+name, "", "", &journal)
		if len(journal) != calls {
			t.Fatalf("GET /calls?session=%s: %d GetFeature calls, want %d", name, len(journal), calls)
		}
		for _, c := range journal {
			if got := c.Metadata[expect.SessionKey]; len(got) != 1 || got[0] != name {
				t.Fatalf("session %s journal holds a call of session %v", name, got)
			}
		}
		// The header works as the query parameter does.
		var vr admin.VerifyResult
		code := adminDoHeader(t, "POST", base+"/verify", map[string]string{expect.SessionKey: name}, `{"id": "mine"}`, &vr)
		if code != http.StatusOK || !vr.OK || vr.Calls == nil || *vr.Calls != calls {
			t.Fatalf("POST /verify in session %s: %d %+v", name, code, vr)
		}
		var stubs []admin.Stub
		adminDo(t, "GET", base+"/stubs?session="+name, "", "", &stubs)
		for _, s := range stubs {
			want := 0
			switch s.ID {
			case "mine":
				want = calls
			case "list-features":
				if i == 0 {
					want = 1
				}
			}
			if s.Hits != want {
				t.Errorf("session %s: stub %s hit %d times, want %d", name, s.ID, s.Hits, want)
			}
		}
	}
	// One more call in session 1 breaks its "times: 5", not session 2's.
	if _, err := client.GetFeature(sessionCtx(ctx, names[0]), &pb.Point{}); err == nil {
		t.Fatal("a sixth call in session 1 was answered; its stub allows five")
	}
	var vr admin.VerifyResult
	if code := adminDo(t, "POST", base+"/verify?session="+names[0], "", "", &vr); code != http.StatusExpectationFailed {
		t.Fatalf("POST /verify in session 1 after a miss: %d %+v, want 417", code, vr)
	}
	if code := adminDo(t, "POST", base+"/verify?session="+names[1], "", `{"id": "mine", "times": 5}`, &vr); code != http.StatusOK {
		t.Fatalf("POST /verify in session 2: %d %+v", code, vr)
	}
	var misses admin.Misses
	adminDo(t, "GET", base+"/misses?session="+names[1], "", "", &misses)
	if len(misses.Stubs) != 0 {
		t.Fatalf("session 2 has session 1's miss: %v", misses.Stubs)
	}
	adminDo(t, "GET", base+"/misses?session="+names[0], "", "", &misses)
	if len(misses.Stubs) != 1 {
		t.Fatalf("session 1 misses: %v, want its one", misses.Stubs)
	}

	var list []admin.SessionInfo
	adminDo(t, "GET", base+"/sessions", "", "", &list)
	if len(list) != 2 || list[0].Name != names[0] || list[1].Name != names[1] || list[1].Hits != calls {
		t.Fatalf("GET /sessions: %+v", list)
	}
	// Reset one session: its stubs and journal start again; the other's stay.
	if code := adminDo(t, "POST", base+"/reset?session="+names[0], "", "", nil); code != http.StatusOK {
		t.Fatalf("POST /reset?session=: %d", code)
	}
	var journal []admin.Call
	adminDo(t, "GET", base+"/calls?session="+names[0], "", "", &journal)
	if len(journal) != 0 {
		t.Fatalf("session 1 journal after its reset: %d calls", len(journal))
	}
	adminDo(t, "GET", base+"/calls?session="+names[1], "", "", &journal)
	if len(journal) != calls {
		t.Fatalf("session 2 journal after session 1's reset: %d calls, want %d", len(journal), calls)
	}
	if code := adminDo(t, "DELETE", base+"/sessions/"+names[1], "", "", nil); code != http.StatusNoContent {
		t.Fatalf("DELETE /sessions/%s: %d", names[1], code)
	}
	if code := adminDo(t, "GET", base+"/stubs?session="+names[1], "", "", nil); code != http.StatusNotFound {
		t.Fatalf("GET /stubs of a dropped session: %d, want 404", code)
	}
}

// rssKB reads a process's resident set size from /proc.
func rssKB(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}

// TestSessionsLoad: 50 sessions at once, 200 calls each, against the real
// binary. Every answer is checked, each session's counts are exact, and
// once the sessions expire the memory returns to its baseline (within 20%).
func TestSessionsLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	t.Parallel()
	const (
		sessions = 50
		calls    = 200
		ttl      = 2 * time.Second
		// expireTimeout bounds waiting for the sessions to expire.
		expireTimeout = 30 * time.Second
	)
	p := startProc(t, "serve", "--listen", "127.0.0.1:0", "--proto", "testdata/standalone/protos",
		"--stubs", "testdata/standalone/stubs", "--admin", "127.0.0.1:0", "--session-ttl", ttl.String())
	base := "http://" + p.AdminAddr
	client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Warm up without sessions, as many callers at once as the load has,
	// until the journal holds its limit: the baseline is a server that has
	// served the same traffic, without sessions.
	var warm sync.WaitGroup
	for range sessions {
		warm.Add(1)
		go func() {
			defer warm.Done()
			for range 1100 / sessions {
				if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	warm.Wait()
	if t.Failed() {
		return
	}
	baseline := rssKB(t, p.cmd.Process.Pid)

	// Each session's stub answers with the session's name, so an answer
	// from another session shows.
	for i := range sessions {
		name := fmt.Sprintf("load-%02d", i)
		stub := fmt.Sprintf("id: echo\nmethod: /routeguide.RouteGuide/GetFeature\nresponse: {name: %s}\n", name)
		if code := adminDo(t, "POST", base+"/stubs?session="+name, "", stub, nil); code != http.StatusCreated {
			t.Fatalf("%s: POST /stubs: %d", name, code)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for i := range sessions {
		name := fmt.Sprintf("load-%02d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx := sessionCtx(ctx, name)
			for j := range calls {
				f, err := client.GetFeature(sctx, &pb.Point{Latitude: int32(j)})
				if err != nil {
					errs <- fmt.Errorf("%s call %d: %v", name, j, err)
					return
				}
				if f.GetName() != name {
					errs <- fmt.Errorf("%s call %d answered %q: crossed sessions", name, j, f.GetName())
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	// Nothing lost: each session counted exactly its own calls.
	for i := range sessions {
		name := fmt.Sprintf("load-%02d", i)
		var vr admin.VerifyResult
		if code := adminDo(t, "POST", base+"/verify?session="+name, "", fmt.Sprintf(`{"id": "echo", "times": %d}`, calls), &vr); code != http.StatusOK {
			t.Fatalf("POST /verify in %s: %d %+v", name, code, vr)
		}
	}
	loaded := rssKB(t, p.cmd.Process.Pid)

	// Wait, bounded, for every session to expire.
	if err := p.stderr.waitFor("sessions expired", 1, expireTimeout); err != nil {
		t.Fatalf("no session expired: %v", err)
	}
	deadline := time.Now().Add(expireTimeout)
	for {
		var list []admin.SessionInfo
		adminDo(t, "GET", base+"/sessions", "", "", &list)
		if len(list) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions left %v after the TTL", len(list), expireTimeout)
		}
		_ = p.stderr.waitFor(`left=0`, 1, ttl) // at most a TTL; then look again
	}
	after := rssKB(t, p.cmd.Process.Pid)
	t.Logf("RSS: baseline %d kB, with %d sessions after %d calls each %d kB, after they expired %d kB (%+.1f%% from baseline)",
		baseline, sessions, calls, loaded, after, 100*float64(after-baseline)/float64(baseline))
	// The server is this test binary run as the command, so under -race it
	// carries the race detector's memory, which is never handed back.
	if !raceBuild && float64(after) > 1.2*float64(baseline) {
		t.Errorf("RSS after the sessions expired is %d kB, more than 20%% above the baseline %d kB", after, baseline)
	}
}

package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/internal/browser"
)

// TestPageUnderLoad measures the event stream with the page open: 1,000
// calls a second for 10 seconds. It asserts only what must hold whatever
// the machine (every call answered, the page keeps up to the last call,
// the admin API answers meanwhile); the figures go to the log. It takes
// about 15 s, so it runs when GRPCDOUBLE_LOAD=1. A second reader of the
// event stream reads nothing all along.
//
//	GRPCDOUBLE_LOAD=1 go test ./cmd/grpcdouble -run TestPageUnderLoad -v
func TestPageUnderLoad(t *testing.T) {
	if os.Getenv("GRPCDOUBLE_LOAD") == "" {
		t.Skip("a 10 s load measurement: set GRPCDOUBLE_LOAD=1 to run it")
	}
	const (
		rate     = 1000 // calls a second
		duration = 10 * time.Second
	)
	b := browser.Start(t)
	p := startUIServer(t)
	client := dialUI(t, p)
	b.Do("open the page", chromedp.Navigate("http://"+p.AdminAddr+"/ui/"))
	b.WaitFor("live", `document.querySelector('#conn').textContent === 'live'`, uiWait)
	// A second reader of the event stream that never reads: the server
	// must neither buffer for it without bound nor slow down for it.
	stalled, err := net.Dial("tcp", p.AdminAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if _, err := fmt.Fprintf(stalled, "GET /events HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", p.AdminAddr); err != nil {
		t.Fatal(err)
	}
	before := procRSS(t, p.cmd.Process.Pid)

	ctx, cancel := context.WithTimeout(context.Background(), duration+30*time.Second)
	defer cancel()
	var sent, failed atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	work := make(chan struct{}, rate)
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				start := time.Now()
				_, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
				d := time.Since(start)
				if err != nil {
					failed.Add(1)
					continue
				}
				sent.Add(1)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	// The admin API answers while the load runs.
	var adminWorst time.Duration
	adminDone := make(chan struct{})
	go func() {
		defer close(adminDone)
		for i := 0; i < int(duration/(500*time.Millisecond)); i++ {
			start := time.Now()
			resp, err := http.Get("http://" + p.AdminAddr + "/stubs")
			if err == nil {
				resp.Body.Close()
			}
			adminWorst = max(adminWorst, time.Since(start))
			time.Sleep(500 * time.Millisecond) // pacing a probe, not synchronising
		}
	}()
	// Ten calls every 10 ms: a 1 ms ticker cannot keep time on a busy machine.
	tick := time.NewTicker(10 * time.Millisecond)
	end := time.Now().Add(duration)
	for time.Now().Before(end) {
		<-tick.C
		for i := 0; i < rate/100; i++ {
			select {
			case work <- struct{}{}:
			default: // the workers fell behind: not sent
			}
		}
	}
	tick.Stop()
	close(work)
	wg.Wait()
	<-adminDone
	peak := procRSS(t, p.cmd.Process.Pid)
	if failed.Load() > 0 {
		t.Errorf("%d calls failed under load", failed.Load())
	}
	last := sent.Load() + failed.Load()
	loadEnd := time.Now()
	b.WaitFor("the page shows the last call", fmt.Sprintf(`document.querySelector('#calls tbody tr[data-id="%d"]') !== null`, last), 30*time.Second)
	caughtUp := time.Since(loadEnd)
	note := browser.Eval[string](b, "read the page's note", `document.querySelector('#dropped').textContent`)

	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(q*float64(len(lat)-1))]
	}
	t.Logf("load: %d calls in %v (%.0f/s), p50 %v, p99 %v; admin GET /stubs worst %v; server RSS %d MiB before, %d MiB after; the page showed the last call %v after the load ended; page note: %q",
		sent.Load(), duration, float64(sent.Load())/duration.Seconds(), pct(.5), pct(.99), adminWorst, before>>20, peak>>20, caughtUp.Round(time.Millisecond), note)
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors on the page:\n%s", strings.Join(errs, "\n"))
	}
}

// procRSS reads a process's resident set size, in bytes, from /proc.
func procRSS(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

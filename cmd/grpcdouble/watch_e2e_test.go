package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// reloadTimeout bounds waiting for a reload to show in the log.
const reloadTimeout = 20 * time.Second

// replaceFile writes data to path the way editors save: a new file renamed
// over the old one.
func replaceFile(t *testing.T, path, data string) {
	t.Helper()
	tmp := path + ".tmp~"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func featureStub(name string) string {
	return "stubs:\n  - id: watched\n    method: /routeguide.RouteGuide/GetFeature\n    response: {name: " + name + "}\n"
}

func featureName(t *testing.T, c pb.RouteGuideClient) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	f, err := c.GetFeature(ctx, &pb.Point{})
	if err != nil {
		t.Fatalf("GetFeature: %v", err)
	}
	return f.GetName()
}

// TestWatchE2E: with --watch, an edit of a stub file is picked up without a
// restart; a bad edit is logged at its file, line and field while the old
// stubs keep answering; the fix is picked up; stubs added through the admin
// API survive every reload.
func TestWatchE2E(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "feature.yaml")
	writeFile(t, file, featureStub("v1"))
	p := startProc(t, serveArgs("--stubs", dir, "--watch", "--admin", "127.0.0.1:0")...)
	client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
	if got := featureName(t, client); got != "v1" {
		t.Fatalf("GetFeature before any edit: %q", got)
	}
	base := "http://" + p.AdminAddr
	if code := adminDo(t, "POST", base+"/stubs", "", "id: by-admin\nmethod: /routeguide.RouteGuide/RecordRoute\nresponse: {pointCount: 7}\n", nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs: %d", code)
	}

	replaceFile(t, file, featureStub("v2"))
	if err := p.stderr.waitFor(`msg="stubs reloaded" added=[] removed=[] changed=[watched]`, 1, reloadTimeout); err != nil {
		t.Fatalf("no reload logged: %v", err)
	}
	if got := featureName(t, client); got != "v2" {
		t.Fatalf("GetFeature after the edit: %q, want v2", got)
	}

	// A bad edit: an unknown field on line 4.
	replaceFile(t, file, "stubs:\n  - id: watched\n    method: /routeguide.RouteGuide/GetFeature\n    response: {name: v3, colour: red}\n")
	if err := p.stderr.waitFor(`stubs not reloaded: the last good set keeps answering`, 1, reloadTimeout); err != nil {
		t.Fatalf("no failed reload logged: %v", err)
	}
	if want := file + `:4: response: not a routeguide.Feature: unknown field \"colour\"`; !strings.Contains(p.stderr.String(), want) {
		t.Fatalf("the log does not name the file, line and field (%s):\n%s", want, p.stderr)
	}
	if got := featureName(t, client); got != "v2" {
		t.Fatalf("GetFeature after a bad edit: %q, want the last good v2", got)
	}

	// The fix.
	replaceFile(t, file, featureStub("v3"))
	// Counted by what changed: an editor's save can also bring a reload
	// that changed nothing (changed=[]), which must not pass for the fix.
	if err := p.stderr.waitFor(`msg="stubs reloaded" added=[] removed=[] changed=[watched]`, 2, reloadTimeout); err != nil {
		t.Fatalf("the fix was not reloaded: %v", err)
	}
	if got := featureName(t, client); got != "v3" {
		t.Fatalf("GetFeature after the fix: %q, want v3", got)
	}
	// A new file in the folder adds its stubs.
	writeFile(t, filepath.Join(dir, "more.yaml"), "- {id: listed, method: /routeguide.RouteGuide/ListFeatures, responses: [{name: x}]}\n")
	if err := p.stderr.waitFor(`msg="stubs reloaded" added=[listed]`, 1, reloadTimeout); err != nil {
		t.Fatalf("a new stub file was not reloaded: %v", err)
	}
	var stubs []admin.Stub
	adminDo(t, "GET", base+"/stubs", "", "", &stubs)
	var ids []string
	for _, s := range stubs {
		ids = append(ids, s.ID)
	}
	if strings.Join(ids, ",") != "watched,by-admin,listed" && strings.Join(ids, ",") != "by-admin,watched,listed" {
		t.Fatalf("stubs after the reloads: %v, want watched, listed and the admin's by-admin", ids)
	}
}

// TestSIGHUPReloads: without --watch, SIGHUP reloads the stub files.
func TestSIGHUPReloads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "feature.yaml")
	writeFile(t, file, featureStub("before"))
	p := startProc(t, serveArgs("--stubs", file)...)
	client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
	if got := featureName(t, client); got != "before" {
		t.Fatalf("GetFeature: %q", got)
	}
	writeFile(t, file, featureStub("after"))
	if got := featureName(t, client); got != "before" {
		t.Fatalf("GetFeature changed without --watch or SIGHUP: %q", got)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if err := p.stderr.waitFor(`msg="stubs reloaded" added=[] removed=[] changed=[watched]`, 1, reloadTimeout); err != nil {
		t.Fatalf("SIGHUP reloaded nothing: %v", err)
	}
	if got := featureName(t, client); got != "after" {
		t.Fatalf("GetFeature after SIGHUP: %q, want after", got)
	}
}

// TestSIGHUPAtOnce: a SIGHUP sent the moment the server says it is
// listening reloads the stubs; it must not find the process without its
// handler, whose default is to end it.
func TestSIGHUPAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "feature.yaml")
	writeFile(t, file, featureStub("before"))
	p := startProc(t, serveArgs("--stubs", file)...)
	writeFile(t, file, featureStub("after"))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if err := p.stderr.waitFor(`msg="stubs reloaded" added=[] removed=[] changed=[watched]`, 1, reloadTimeout); err != nil {
		t.Fatalf("SIGHUP reloaded nothing: %v", err)
	}
	if got := featureName(t, pb.NewRouteGuideClient(dial(t, p.Addr, nil))); got != "after" {
		t.Fatalf("GetFeature after SIGHUP: %q, want after", got)
	}
}

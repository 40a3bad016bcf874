package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/admin"
	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// runInProcess calls run in a goroutine and waits, bounded, for its
// "listening on" line. stop cancels run's context and returns its error.
func runInProcess(t *testing.T, args ...string) (addr, adminAddr string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw, &stderr)
		_ = pw.CloseWithError(io.EOF)
		done <- err
	}()
	lines := readLines(pr)
	var once bool
	var runErr error
	stop = func() error {
		if !once {
			once = true
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(exitTimeout):
				t.Fatalf("run did not return within %v of cancel", exitTimeout)
			}
			for range lines {
			}
		}
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	addr, adminAddr, _, err := awaitListening(lines, readyTimeout)
	switch {
	case errors.Is(err, errEndedBeforeListening):
		t.Fatalf("run ended before listening: %v\n%s", stop(), stderr.String())
	case err != nil:
		t.Fatalf("%v:\n%s", err, stderr.String())
	}
	return addr, adminAddr, stop
}

func TestRunServeInProcess(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	addr, adminAddr, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--proto", filepath.Join(root, "testdata/standalone/protos"), "--stubs", filepath.Join(root, "testdata/standalone/stubs"),
		"--log-level", "debug", "--log-format", "json")
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	checkStandaloneStubs(ctx, t, pb.NewRouteGuideClient(dial(t, addr, nil)))
	var calls []admin.Call
	if code := adminDo(t, "GET", "http://"+adminAddr+"/calls", "", "", &calls); code != http.StatusOK || len(calls) != 6 {
		t.Fatalf("GET /calls: %d, %d calls, want 6", code, len(calls))
	}
	if err := stop(); err != nil {
		t.Fatalf("run returned %v after cancel, want nil", err)
	}
}

func TestRunRecordInProcess(t *testing.T) {
	t.Parallel()
	upstream, _ := startUpstream(t, nil)
	file := filepath.Join(t.TempDir(), "c.cassette")
	addr, adminAddr, stop := runInProcess(t, "record", "--listen", "127.0.0.1:0", "--upstream", upstream, "--cassette", file,
		"--admin", "127.0.0.1:0", "--redact", "x-secret", "--without-timing")
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	c := pb.NewRouteGuideClient(dial(t, addr, nil))
	if _, err := c.GetFeature(ctx, &pb.Point{Latitude: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetFeature(ctx, &pb.Point{Latitude: -1}); status.Code(err) != codes.InvalidArgument {
		t.Fatal(err)
	}
	var calls []admin.Call
	if adminDo(t, "GET", "http://"+adminAddr+"/calls", "", "", &calls); len(calls) != 2 {
		t.Fatalf("GET /calls in record mode: %d calls", len(calls))
	}
	var e admin.ErrorBody
	if code := adminDo(t, "GET", "http://"+adminAddr+"/stubs", "", "", &e); code != http.StatusConflict {
		t.Fatalf("GET /stubs in record mode: %d %+v", code, e)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	cas, err := cassette.Load(file)
	if err != nil || len(cas.Interactions) != 2 {
		t.Fatalf("cassette: %v, %v", cas, err)
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	ctx := context.Background()
	if err := run(ctx, []string{"version"}, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "grpcdouble ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"help"}, &out, &errOut); err != nil || !strings.Contains(out.String(), "grpcdouble serve") {
		t.Fatalf("help: %v %q", err, out.String())
	}
	if err := run(ctx, []string{"serve", "-h"}, &out, &errOut); err != nil {
		t.Fatalf("serve -h: %v", err)
	}
	err := run(ctx, []string{"serve", "--protoset", "nope"}, &out, &errOut)
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "--protoset nope") {
		t.Fatalf("serve --protoset nope: %v (exit %d)", err, exitCode(err))
	}
	err = run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--proto", "broken.proto", "--import-path", t.TempDir()}, &out, &errOut)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "broken.proto") {
		t.Fatalf("serve with a missing .proto: %v", err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "broken.proto"), "syntax = \"proto3\";\nmessage X { int32 a = 1 }\n")
	err = run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--proto", filepath.Join(dir, "broken.proto"), "--import-path", dir}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "broken.proto:2") {
		t.Fatalf("serve with a broken .proto: %v", err)
	}
	cas := filepath.Join(dir, "bad.cassette")
	writeFile(t, cas, "not a cassette")
	err = run(ctx, append(serveArgsAbs(t), "--cassette", cas), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "bad.cassette") {
		t.Fatalf("serve with a bad cassette: %v", err)
	}
}

func serveArgsAbs(t *testing.T) []string {
	root := moduleRoot(t)
	return []string{"serve", "--listen", "127.0.0.1:0", "--proto", filepath.Join(root, "examples/routeguide/routeguide.proto"), "--import-path", filepath.Join(root, "examples/routeguide")}
}

func TestAdminTokenFromEnvironment(t *testing.T) {
	t.Setenv(adminTokenEnv, "from-env")
	cfg, err := parseServe(serveArgsAbs(t)[1:], io.Discard)
	if err != nil || cfg.adminToken != "from-env" {
		t.Fatalf("token %q, %v; want it from $%s", cfg.adminToken, err, adminTokenEnv)
	}
	cfg, err = parseServe(append(serveArgsAbs(t)[1:], "--admin-token", "flag"), io.Discard)
	if err != nil || cfg.adminToken != "flag" {
		t.Fatalf("token %q, %v; want the flag's", cfg.adminToken, err)
	}
}

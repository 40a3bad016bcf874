package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

const dockerTimeout = 3 * time.Minute

func docker(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
}

// TestDockerImage builds the "local" stage of the Dockerfile around the
// binary built here, runs it with a mounted folder of protos and stubs, and
// calls it from the host.
func TestDockerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Docker image; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the image packs the binary built here, which must be a linux one")
	}
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	if out, err := docker(ctx, "info"); err != nil {
		t.Skipf("no Docker engine here (docker info: %v: %.200s); skipping the image test", err, out)
	}
	t.Parallel()
	root := moduleRoot(t)
	bin := staticBinary(t)

	// A build context holding just what the "local" stage copies.
	bctx := t.TempDir()
	copyFile(t, bin, filepath.Join(bctx, "grpcdouble"), 0o755)
	copyFile(t, filepath.Join(root, "Dockerfile"), filepath.Join(bctx, "Dockerfile"), 0o644)
	for _, f := range []string{"passwd", "group"} {
		copyFile(t, filepath.Join(root, "cmd/grpcdouble/docker", f), filepath.Join(bctx, "cmd/grpcdouble/docker", f), 0o644)
	}

	// The mounted folder, readable by the image's non-root user.
	data := t.TempDir()
	if err := os.Chmod(data, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(root, "examples/routeguide/routeguide.proto"), filepath.Join(data, "protos/routeguide.proto"), 0o644)
	writeDockerStubs(t, filepath.Join(data, "stubs"))

	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "grpcdouble-e2e-" + hex.EncodeToString(suffix)
	image := name + ":test"
	if out, err := docker(ctx, "build", "--target", "local", "-t", image, bctx); err != nil {
		t.Fatalf("docker build --target local: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
		defer cancel()
		_, _ = docker(ctx, "rm", "-f", name)
		if out, err := docker(ctx, "rmi", "-f", image); err != nil {
			t.Logf("docker rmi %s: %v: %s", image, err, out)
		}
	})
	if out, err := docker(ctx, "run", "--rm", "--entrypoint", "/grpcdouble", image, "version"); err != nil || !strings.HasPrefix(out, "grpcdouble ") {
		t.Fatalf("docker run %s version: %v: %s", image, err, out)
	}
	user, err := docker(ctx, "image", "inspect", "--format", "{{.Config.User}}", image)
	if err != nil || !strings.HasPrefix(user, "nonroot") {
		t.Fatalf("image user %q (%v), want nonroot", user, err)
	}

	cmd := exec.CommandContext(ctx, "docker", "run", "--rm", "--name", name,
		"-p", "127.0.0.1::50051", "-p", "127.0.0.1::9090",
		"-v", data+":/data:ro", image)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
		defer cancel()
		_, _ = docker(ctx, "stop", "-t", "5", name)
		<-exited
	})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "listening on ") {
				close(ready)
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case <-ready:
	case err := <-exited:
		exited <- err
		t.Fatalf("container exited before listening: %v\n%s", err, stderr.String())
	case <-ctx.Done():
		t.Fatalf("container did not print \"listening on\": %v\n%s", ctx.Err(), stderr.String())
	}
	if err := stderr.waitFor("THE ADMIN API IS OPEN TO THE NETWORK WITHOUT A TOKEN", 1, readyTimeout); err != nil {
		t.Errorf("no warning about the open admin API: %v; in:\n%s", err, stderr.String())
	}
	grpcAddr, err := docker(ctx, "port", name, "50051/tcp")
	if err != nil {
		t.Fatalf("docker port: %v: %s", err, grpcAddr)
	}
	grpcAddr = strings.Split(grpcAddr, "\n")[0]

	conn := dial(t, grpcAddr, nil)
	checkTooling(t, conn)
	cctx, ccancel := context.WithTimeout(ctx, callTimeout)
	defer ccancel()
	checkStandaloneStubs(cctx, t, pb.NewRouteGuideClient(conn))

	// The admin behind a published port that is not the one it listens
	// on (9090): the loopback address is answered, another name is not.
	adminAddr, err := docker(ctx, "port", name, "9090/tcp")
	if err != nil {
		t.Fatalf("docker port: %v: %s", err, adminAddr)
	}
	adminAddr = strings.Split(adminAddr, "\n")[0]
	if code, msg := adminRequest(t, "GET", "http://"+adminAddr+"/stubs", "", nil, ""); code != http.StatusOK {
		t.Errorf("GET http://%s/stubs (published port): %d %q", adminAddr, code, msg)
	}
	if code, msg := adminRequest(t, "GET", "http://"+adminAddr+"/stubs", "rebind.example:9090", nil, ""); code != http.StatusForbidden {
		t.Errorf("GET /stubs for another host: %d %q, want 403", code, msg)
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// binDir holds the static grpcdouble binary the Docker image test builds.
var binDir string

// asMainEnv makes the test binary run as the grpcdouble command itself:
// main(), with the arguments it is given. The end-to-end tests start it so,
// as a process of its own (real flags, signals, stdout, stderr and exit
// codes), without building a second binary: built with -trimpath and
// CGO_ENABLED=0 as the image wants, it shared nothing with the test's own
// build and cost about 160 s of a cold `go test ./...` on 2 cores.
const asMainEnv = "GRPCDOUBLE_TEST_AS_MAIN"

// self is the test binary's path, for running it as the command.
var self string

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	self = exe
	dir, err := os.MkdirTemp("", "grpcdouble-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

const (
	buildTimeout = 5 * time.Minute
	// readyTimeout bounds waiting for "listening on".
	readyTimeout = 60 * time.Second
	exitTimeout  = 30 * time.Second
)

var (
	buildOnce sync.Once
	buildErr  error
)

// command is the grpcdouble command with args, as the end-to-end tests run
// it: this test binary, running main (see asMainEnv).
func command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = append(os.Environ(), asMainEnv+"=1")
	return cmd
}

// staticBinary builds the real grpcdouble binary, static as the scratch
// image needs, once per test run; only the image test needs it. It reuses
// the packages this test's own build compiled: when cgo is on (so it was
// for the test too), a static link of the same packages (external linker,
// -static), which cost a cold run 27 s against 147 s for a CGO_ENABLED=0
// build of them all again; when cgo is off, a plain build, static already.
// Should the static link fail (no static libc), CGO_ENABLED=0 it is.
func staticBinary(t testing.TB) string {
	t.Helper()
	out := filepath.Join(binDir, "grpcdouble")
	buildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		build := func(env []string, args ...string) error {
			cmd := exec.CommandContext(ctx, "go", append(append([]string{"build"}, args...), "-o", out, ".")...)
			cmd.Env = append(os.Environ(), env...)
			if b, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("go build %s: %v\n%s", strings.Join(args, " "), err, b)
			}
			return nil
		}
		cgo, err := exec.CommandContext(ctx, "go", "env", "CGO_ENABLED").Output()
		if err == nil && strings.TrimSpace(string(cgo)) == "1" {
			if err := build(nil, "-ldflags", "-linkmode external -extldflags -static"); err == nil {
				return
			}
		}
		buildErr = build([]string{"CGO_ENABLED=0"})
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return out
}

// proc is a running grpcdouble process.
type proc struct {
	cmd       *exec.Cmd
	Addr      string // from "listening on"
	AdminAddr string // from "admin listening on"
	HTTPAddr  string // from "http listening on" (--http)
	stderr    *syncBuffer
	exited    chan struct{}
	waitErr   error
}

type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed and replaced on every write

	// exited, when set, is closed once the process writing here has ended
	// and all it wrote is in; *waitErr is then how it ended.
	exited  <-chan struct{}
	waitErr *error
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written != nil {
		close(s.written)
		s.written = nil
	}
	return s.b.Write(p)
}

// waitFor waits, bounded, until the buffer holds substr n times. When the
// process writing it ends first, it says so at once instead of waiting out
// the timeout: the text can no longer come (startExec's cleanup logs the
// process's stderr when the test fails).
func (s *syncBuffer) waitFor(substr string, n int, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	exited := false
	for {
		s.mu.Lock()
		got := strings.Count(s.b.String(), substr)
		if got >= n {
			s.mu.Unlock()
			return nil
		}
		if exited {
			s.mu.Unlock()
			return fmt.Errorf("grpcdouble exited (%v) with %q %d time(s) in its log, not %d", *s.waitErr, substr, got, n)
		}
		if s.written == nil {
			s.written = make(chan struct{})
		}
		ch := s.written
		s.mu.Unlock()
		select {
		case <-ch:
		case <-s.exited: // a nil channel never is
			exited = true // look once more: all it wrote is in now
		case <-deadline.C:
			return fmt.Errorf("%q not %d time(s) in the log within %v (%d so far)", substr, n, timeout, got)
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startProc runs the binary and waits, bounded, until it prints
// "listening on ADDR". The process is killed at cleanup if still running.
func startProc(t testing.TB, args ...string) *proc {
	t.Helper()
	return startExec(t, command(context.Background(), args...))
}

// startExec starts cmd and waits, bounded, for its "listening on" line.
func startExec(t testing.TB, cmd *exec.Cmd) *proc {
	t.Helper()
	args := cmd.Args[1:]
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	p.stderr = &syncBuffer{exited: p.exited, waitErr: &p.waitErr}
	p.cmd.Dir = moduleRoot(t)
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(stdout)
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			// Stop gracefully, as a user would; kill if that hangs.
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.exited:
			case <-time.After(exitTimeout):
				_ = p.cmd.Process.Kill()
				<-p.exited
			}
		}
		for range lines { // drain so the reader ends
		}
		if t.Failed() {
			t.Logf("grpcdouble %s stderr:\n%s", strings.Join(args, " "), p.stderr.String())
		}
	})
	p.Addr, p.AdminAddr, p.HTTPAddr, err = awaitListening(lines, readyTimeout)
	switch {
	case errors.Is(err, errEndedBeforeListening):
		<-p.exited
		t.Fatalf("grpcdouble exited before listening (%v); stderr:\n%s", p.waitErr, p.stderr.String())
	case err != nil:
		t.Fatalf("grpcdouble did not print \"listening on\" within %v; stderr:\n%s", readyTimeout, p.stderr.String())
	}
	return p
}

// readLines sends the lines of r on the returned channel, which is closed
// once r ends. Read the channel to its end so the goroutine ends.
func readLines(r io.Reader) <-chan string {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, r) // a line too long for the scanner
	}()
	return lines
}

var errEndedBeforeListening = errors.New(`output ended before "listening on"`)

// awaitListening reads lines until "listening on ADDR", noting an earlier
// "admin listening on ADDR", and then reads the rest in the background so
// the writer never blocks. On errEndedBeforeListening or a timeout the
// caller must read lines to their end itself.
func awaitListening(lines <-chan string, timeout time.Duration) (addr, adminAddr, httpAddr string, err error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return "", adminAddr, httpAddr, errEndedBeforeListening
			}
			if a, ok := strings.CutPrefix(line, "admin listening on "); ok {
				adminAddr = a
			} else if a, ok := strings.CutPrefix(line, "http listening on "); ok {
				httpAddr = a
			} else if a, ok := strings.CutPrefix(line, "listening on "); ok {
				go func() {
					for range lines {
					}
				}()
				return a, adminAddr, httpAddr, nil
			}
		case <-timer.C:
			return "", adminAddr, httpAddr, fmt.Errorf("no \"listening on\" within %v", timeout)
		}
	}
}

// wait waits, bounded, for the process to exit.
func (p *proc) wait(t testing.TB) error {
	t.Helper()
	select {
	case <-p.exited:
		return p.waitErr
	case <-time.After(exitTimeout):
		t.Fatalf("grpcdouble did not exit within %v; stderr:\n%s", exitTimeout, p.stderr.String())
		return nil
	}
}

// stop sends sig and waits, bounded, for the process to exit.
func (p *proc) stop(t testing.TB, sig syscall.Signal) error {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		return p.waitErr
	case <-time.After(exitTimeout):
		t.Fatalf("grpcdouble did not exit within %v of %v; stderr:\n%s", exitTimeout, sig, p.stderr.String())
		return nil
	}
}

// runProc runs the binary to completion (bounded) and returns its output.
func runProc(t testing.TB, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), exitTimeout)
	defer cancel()
	cmd := command(ctx, args...)
	cmd.Dir = moduleRoot(t)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func insecureCreds() credentials.TransportCredentials { return insecure.NewCredentials() }

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWaitForEndsWithTheProcess: a wait for log text ends as soon as the
// process exits, naming its exit, rather than after its timeout; text the
// process wrote before it exited is still found.
func TestWaitForEndsWithTheProcess(t *testing.T) {
	t.Parallel()
	p := startProc(t, serveArgs()...)
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if err := p.stderr.waitFor("msg=stopped", 1, time.Hour); err != nil {
		t.Fatalf("what the process wrote before it exited: %v", err)
	}
	done := make(chan error, 1)
	// Bounded beyond the select's wait, so a broken waitFor fails the test
	// without leaving this goroutine behind it for an hour.
	go func() { done <- p.stderr.waitFor("never written", 1, 2*exitTimeout) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), `grpcdouble exited (<nil>) with "never written" 0 time(s) in its log, not 1`) {
			t.Fatalf("waitFor after the exit: %v", err)
		}
	case <-time.After(exitTimeout):
		t.Fatalf("waitFor still waiting %v after the process exited", exitTimeout)
	}
}

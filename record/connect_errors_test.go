package record_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/record"
)

// fakeTB records what Connect reports instead of failing the real test.
// Fatalf ends the goroutine it is called on, as testing.T's does. Only the
// methods Connect's error paths use are implemented: any other would panic
// on the nil embedded TB, which the test would see.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	fatals   []string
	errors   []string
	cleanups []func()
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatals = append(f.fatals, fmt.Sprintf(format, args...))
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

// connectFails runs record.Connect with a fake TB on its own goroutine
// and returns the one fatal message it reported.
func connectFails(t *testing.T, path string, opts ...record.Option) string {
	t.Helper()
	f := &fakeTB{}
	done := make(chan bool, 1)
	go func() {
		returned := false
		defer func() { done <- returned }()
		record.Connect(f, path, opts...)
		returned = true
	}()
	select {
	case returned := <-done:
		require.False(t, returned, "Connect returned a connection instead of failing")
	case <-time.After(callTimeout):
		t.Fatalf("Connect neither failed nor returned within %v", callTimeout)
	}
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	require.Empty(t, f.errors)
	require.Len(t, f.fatals, 1, "fatals: %q", f.fatals)
	return f.fatals[0]
}

func TestConnectErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.cassette")
	broken := filepath.Join(dir, "broken.cassette")
	require.NoError(t, os.WriteFile(broken, []byte("{\"format\":\"grpcdouble-cassette\",\"version\":1}\n{\"method\":\"/a.S/M\",\"events\":[],\"status\":{\"code\":\"SORT_OF_OK\"}}\n"), 0o644))

	for _, tc := range []struct {
		name string
		env  string
		path string
		opts []record.Option
		want string
	}{
		{"unknown mode in the environment", "sometimes", missing, nil,
			`record.Connect: GRPCDOUBLE_RECORD: record mode "sometimes": want one of once, none, all, new, off`},
		{"record mode without an upstream", "all", missing, nil,
			`record.Connect: mode "all" for ` + missing + ` needs a live server: pass record.Upstream or record.UpstreamConn`},
		{"record once, cassette missing, no upstream", "", missing, nil,
			`record.Connect: mode "all" for ` + missing + ` needs a live server: pass record.Upstream or record.UpstreamConn`},
		{"new mode without an upstream", "new", missing, nil,
			`record.Connect: mode "new" for ` + missing + ` needs a live server: pass record.Upstream or record.UpstreamConn`},
		{"passthrough without an upstream", "off", missing, nil,
			`record.Connect: mode "off" for ` + missing + ` needs a live server: pass record.Upstream or record.UpstreamConn`},
		{"replay mode, cassette missing", "none", missing, nil,
			`record.Connect: mode "none": replay: cassette not found: ` + missing + ` (record it with GRPCDOUBLE_RECORD=once or GRPCDOUBLE_RECORD=all)`},
		{"replay only set in code, cassette missing", "", missing, []record.Option{record.WithMode(record.ModeReplay)},
			`record.Connect: mode "none": replay: cassette not found: ` + missing + ` (record it with GRPCDOUBLE_RECORD=once or GRPCDOUBLE_RECORD=all)`},
		{"replay mode, malformed cassette", "none", broken, nil,
			`record.Connect: replay: malformed cassette: ` + broken + `:2: interaction #1: status.code: unknown status code "SORT_OF_OK" (want a name such as NOT_FOUND)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(record.EnvMode, tc.env)
			require.Equal(t, tc.want, connectFails(t, tc.path, tc.opts...))
			_, err := os.Stat(tc.path)
			if tc.path == missing {
				require.ErrorIs(t, err, os.ErrNotExist, "a failed Connect must not create the cassette")
			}
		})
	}
}

package main

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// Loading the --stubs files at start runs under a soft memory limit sized
// from the files, and the limit in force before (none, or the user's
// GOMEMLIMIT) is back once they are loaded.
func TestStubLoadRunsUnderASoftMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), make([]byte, 1000), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", "b.yaml"), make([]byte, 234), 0o644))
	require.Equal(t, int64(1234), stubBytes([]string{dir, filepath.Join(dir, "missing.yaml")}))

	require.Equal(t, int64(loadMemoryFloor), loadLimitFor(1234))
	require.Equal(t, int64(100<<20)*loadMemoryPerByte, loadLimitFor(100<<20))
	require.Equal(t, int64(math.MaxInt64), loadLimitFor(math.MaxInt64/2))

	orig := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(orig) })

	debug.SetMemoryLimit(math.MaxInt64) // no GOMEMLIMIT
	restore := loadMemoryLimit([]string{dir})
	require.Equal(t, int64(loadMemoryFloor), debug.SetMemoryLimit(-1), "while loading")
	restore()
	require.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1), "after loading")

	debug.SetMemoryLimit(1 << 30) // the user's GOMEMLIMIT stands
	restore = loadMemoryLimit([]string{dir})
	require.Equal(t, int64(1<<30), debug.SetMemoryLimit(-1), "while loading")
	restore()
	require.Equal(t, int64(1<<30), debug.SetMemoryLimit(-1), "after loading")
}

package main

import (
	"io/fs"
	"math"
	"path/filepath"
	"runtime/debug"
)

// loadMemoryFloor and loadMemoryPerByte set the soft memory limit that
// serve holds while it loads its --stubs files at start: the larger of the
// floor and this many times the files' bytes. Loading makes much
// short-lived garbage beside what it keeps (about 15 bytes of heap per byte
// of a stub file); without a limit the collector lets the heap grow to
// twice what is live, and the process keeps that peak. Under the limit it
// collects sooner and the peak stays near it: 100,000 stubs (20 MB of
// YAML) peaked at 620 MB of RSS and peak at about 445 MB, for a few tenths
// of a second more CPU. Reloads run without it: the server is answering
// by then and its own heap sets the pace.
const (
	loadMemoryFloor   = 420 << 20
	loadMemoryPerByte = 20
)

// loadMemoryLimit sets a soft memory limit for loading the stub files at
// paths, unless one is set already (GOMEMLIMIT), and returns what puts the
// previous limit back. It is a limit the collector works towards, not a
// cap: a load that needs more gets more.
func loadMemoryLimit(paths []string) (restore func()) {
	prev := debug.SetMemoryLimit(-1)
	if prev != math.MaxInt64 {
		return func() {}
	}
	debug.SetMemoryLimit(loadLimitFor(stubBytes(paths)))
	return func() { debug.SetMemoryLimit(prev) }
}

func loadLimitFor(n int64) int64 {
	if n > (math.MaxInt64-loadMemoryFloor)/loadMemoryPerByte {
		return math.MaxInt64
	}
	return max(loadMemoryFloor, n*loadMemoryPerByte)
}

// stubBytes is the size of the files at paths, folders walked; what cannot
// be read counts nothing (loading it reports the problem).
func stubBytes(paths []string) int64 {
	var n int64
	for _, p := range paths {
		_ = filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
			return nil
		})
	}
	return n
}

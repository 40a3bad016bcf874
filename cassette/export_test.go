package cassette

import (
	"io/fs"
	"os"
	"syscall"
)

// FailNextWrite makes w's next write store only n bytes and fail with
// ENOSPC, as a full disk does, naming a temporary file as os.File's errors
// do.
func FailNextWrite(w *Writer, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.write = func(f *os.File, b []byte) (int, error) {
		w.write = fileWrite
		k, _ := f.Write(b[:min(n, len(b))])
		return k, &fs.PathError{Op: "write", Path: "/tmp/.gone.cassette.123.tmp", Err: syscall.ENOSPC}
	}
}

package cassette

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// WriterOption configures a Writer.
type WriterOption interface{ apply(*writerConfig) }

type writerConfig struct {
	noSync bool
}

func newWriterConfig(opts []WriterOption) writerConfig {
	var cfg writerConfig
	for _, o := range opts {
		o.apply(&cfg)
	}
	return cfg
}

type writerOptionFunc func(*writerConfig)

func (f writerOptionFunc) apply(c *writerConfig) { f(c) }

// NoSync skips the fsync after each interaction. A killed process still
// loses nothing it wrote (the data is in the kernel); a power cut may.
// Recording gets faster.
func NoSync() WriterOption { return writerOptionFunc(func(c *writerConfig) { c.noSync = true }) }

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("cassette: writer closed")

// ErrLocked is wrapped by Create and Append when another Writer, in this
// process or another, is writing the cassette: two recorders on one file
// interleaved their bytes, or one wrote into a file the other had replaced.
var ErrLocked = errors.New("cassette is being written by another recorder")

// ErrTarget is wrapped by Create and Append when the path is not one a
// cassette may be written to: a symbolic link, a device or a folder, or a
// file that is not writable.
var ErrTarget = errors.New("not a cassette file to write")

// Writer appends interactions to a cassette file as they finish. It is safe
// for concurrent use: each interaction goes out whole, in one write, and a
// write that fails (a full disk) is rolled back, so the file always ends
// with a whole interaction. While it is open it holds an exclusive lock on
// the cassette (a "PATH.lock" file beside it, flock'ed), so a second Writer
// fails at once, naming the process that holds it.
type Writer struct {
	mu     sync.Mutex
	f      *os.File
	lock   *os.File
	path   string
	noSync bool
	count  int
	size   int64 // the file's length: it ends with a whole interaction
	buf    bytes.Buffer
	write  func(f *os.File, b []byte) (int, error) // f.Write; tests fail it
}

func fileWrite(f *os.File, b []byte) (int, error) { return f.Write(b) }

// checkTarget refuses a path a cassette must not be written to: record
// renamed over read-only files, symbolic links and, as root, devices. A
// missing path is fine.
func checkTarget(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cassette: %w", err)
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		dest, _ := os.Readlink(path)
		return fmt.Errorf("cassette: %s: %w: it is a symbolic link to %s; give the file itself", path, ErrTarget, dest)
	case fi.IsDir():
		return fmt.Errorf("cassette: %s: %w: it is a folder", path, ErrTarget)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("cassette: %s: %w: it is not a regular file (%v)", path, ErrTarget, fi.Mode().Type())
	}
	if fi.Mode().Perm()&0o222 == 0 { // root may write it anyway; it must not
		return fmt.Errorf("cassette: %s: %w: it is read-only", path, ErrTarget)
	}
	if err := syscall.Access(path, 2 /* W_OK */); err != nil {
		return fmt.Errorf("cassette: %s: %w: it is not writable (%v)", path, ErrTarget, err)
	}
	return nil
}

// lockPath is the lock file of a cassette.
func lockPath(path string) string { return path + ".lock" }

// acquire takes the cassette's lock: an flock on PATH.lock, which holds
// the holder's process ID. A lock file removed and made again between
// opening and locking is retried, so two recorders never both hold one.
func acquire(path string) (*os.File, error) {
	lp := lockPath(path)
	for range 10 {
		f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("cassette: lock %s: %w", path, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			holder, _ := os.ReadFile(lp)
			_ = f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				who := strings.TrimSpace(string(holder))
				if who == "" {
					who = "unknown"
				}
				return nil, fmt.Errorf("cassette: %s: %w (holder: %s; lock file %s)", path, ErrLocked, who, lp)
			}
			return nil, fmt.Errorf("cassette: lock %s: %w", path, err)
		}
		a, errA := f.Stat()
		b, errB := os.Stat(lp)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			_ = f.Truncate(0)
			_, _ = f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+"\n"), 0)
			return f, nil
		}
		_ = f.Close() // removed under us: take the new one
	}
	return nil, fmt.Errorf("cassette: %s: could not take the lock %s", path, lp)
}

// release drops the lock and its file.
func release(lock *os.File) {
	if lock == nil {
		return
	}
	_ = os.Remove(lock.Name())
	_ = lock.Close()
}

// Create starts a new cassette at path, replacing any file there, and
// creating its directory. The header is written to a temporary file renamed
// into place, so the path never holds a headerless file. A path that is a
// symbolic link, a device, a folder or a read-only file is refused
// (ErrTarget), and so is one another Writer holds (ErrLocked).
func Create(path string, opts ...WriterOption) (*Writer, error) {
	cfg := newWriterConfig(opts)
	var buf bytes.Buffer
	if err := encodeDoc(&buf, wireHeader{Format: FormatName, Version: Version}); err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cassette: %w", err)
	}
	if err := checkTarget(path); err != nil {
		return nil, err
	}
	lock, err := acquire(path)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		release(lock)
		return nil, fmt.Errorf("cassette: %w", err)
	}
	fail := func(err error) (*Writer, error) {
		_ = f.Close()
		_ = os.Remove(f.Name())
		release(lock)
		return nil, fmt.Errorf("cassette: create %s: %w", path, err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if !cfg.noSync {
		if err := f.Sync(); err != nil {
			return fail(err)
		}
	}
	// Every later write appends: reopen the file with O_APPEND once it has
	// its name.
	if err := os.Rename(f.Name(), path); err != nil {
		return fail(err)
	}
	_ = f.Close()
	af, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		release(lock)
		return nil, fmt.Errorf("cassette: %w", err)
	}
	return &Writer{f: af, lock: lock, path: path, noSync: cfg.noSync, size: int64(buf.Len()), write: fileWrite}, nil
}

// Append continues the cassette at path, creating it when missing. A torn
// last interaction (from a killed recorder) is cut off first; any other
// damage is an error. The path is checked and locked as by Create.
func Append(path string, opts ...WriterOption) (*Writer, error) {
	if err := checkTarget(path); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return Create(path, opts...)
	}
	lock, err := acquire(path)
	if err != nil {
		return nil, err
	}
	c, err := Load(path)
	if err != nil {
		release(lock)
		return nil, err
	}
	cfg := newWriterConfig(opts)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		release(lock)
		return nil, fmt.Errorf("cassette: %w", err)
	}
	if c.Torn != nil {
		if err := f.Truncate(c.Torn.offset); err != nil {
			_ = f.Close()
			release(lock)
			return nil, fmt.Errorf("cassette: %s: cut torn tail: %w", path, err)
		}
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		release(lock)
		return nil, fmt.Errorf("cassette: %w", err)
	}
	return &Writer{f: f, lock: lock, path: path, noSync: cfg.noSync, count: len(c.Interactions), size: fi.Size(), write: fileWrite}, nil
}

// Path is the file written.
func (w *Writer) Path() string { return w.path }

// Count is the number of interactions in the file so far.
func (w *Writer) Count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count
}

// Write appends one interaction with a single write, then fsyncs unless
// NoSync was given. A write that fails, whole or in part (a full disk),
// is rolled back: the file is cut back to its last whole interaction, and
// the error names the cassette. Later writes are tried as usual.
func (w *Writer) Write(in *Interaction) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return ErrClosed
	}
	w.buf.Reset()
	if err := encodeDoc(&w.buf, in.toWire()); err != nil {
		return fmt.Errorf("cassette: %s: interaction %s: %w", w.path, in.Method, err)
	}
	if n, err := w.write(w.f, w.buf.Bytes()); err != nil || n != w.buf.Len() {
		if err == nil {
			err = fmt.Errorf("short write: %d of %d bytes", n, w.buf.Len())
		}
		return w.rollback(in, unwrapPath(err))
	}
	if !w.noSync {
		if err := w.f.Sync(); err != nil {
			return w.rollback(in, unwrapPath(err))
		}
	}
	w.size += int64(w.buf.Len())
	w.count++
	return nil
}

// rollback cuts the file back to its last whole interaction after a failed
// write. The caller holds w.mu.
func (w *Writer) rollback(in *Interaction, err error) error {
	if terr := w.f.Truncate(w.size); terr != nil {
		return fmt.Errorf("cassette: write %s: interaction %s: %w; and cutting the file back to its last whole interaction failed too: %v", w.path, in.Method, err, unwrapPath(terr))
	}
	return fmt.Errorf("cassette: write %s: interaction %s not saved (the file was cut back to its last whole interaction): %w", w.path, in.Method, err)
}

// unwrapPath drops an *fs.PathError's path, which may name a temporary
// file that no longer exists.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Close closes the file and releases the lock. It is safe to call more
// than once.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	release(w.lock)
	w.lock = nil
	return err
}

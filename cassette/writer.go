package cassette

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
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

// Writer appends interactions to a cassette file as they finish. It is safe
// for concurrent use: each interaction goes out whole, in one write.
type Writer struct {
	mu     sync.Mutex
	f      *os.File
	path   string
	noSync bool
	count  int
	buf    bytes.Buffer
}

// Create starts a new cassette at path, replacing any file there, and
// creating its directory. The header is written to a temporary file renamed
// into place, so the path never holds a headerless file.
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
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("cassette: %w", err)
	}
	fail := func(err error) (*Writer, error) {
		_ = f.Close()
		_ = os.Remove(f.Name())
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
	if err := os.Rename(f.Name(), path); err != nil {
		return fail(err)
	}
	// The descriptor still refers to the renamed file; each write lands at
	// its end.
	return &Writer{f: f, path: path, noSync: cfg.noSync}, nil
}

// Append continues the cassette at path, creating it when missing. A torn
// last interaction (from a killed recorder) is cut off first; any other
// damage is an error.
func Append(path string, opts ...WriterOption) (*Writer, error) {
	c, err := Load(path)
	if errors.Is(err, ErrNotFound) {
		return Create(path, opts...)
	}
	if err != nil {
		return nil, err
	}
	cfg := newWriterConfig(opts)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("cassette: %w", err)
	}
	if c.Torn != nil {
		if err := f.Truncate(c.Torn.offset); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("cassette: %s: cut torn tail: %w", path, err)
		}
	}
	return &Writer{f: f, path: path, noSync: cfg.noSync, count: len(c.Interactions)}, nil
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
// NoSync was given.
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
	if _, err := w.f.Write(w.buf.Bytes()); err != nil {
		return fmt.Errorf("cassette: %w", err)
	}
	if !w.noSync {
		if err := w.f.Sync(); err != nil {
			return fmt.Errorf("cassette: %w", err)
		}
	}
	w.count++
	return nil
}

// Close closes the file. It is safe to call more than once.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

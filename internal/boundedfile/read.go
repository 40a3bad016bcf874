package boundedfile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Limit is the most a library reader (expect.LoadStubs, cassette.Load,
// mockserver.Protoset) reads of one file: 1 GiB. The grpcdouble command
// sets a lower limit of its own (--max-file-size).
const Limit = 1 << 30

// ErrNotRegular is wrapped when the path is a device, a FIFO, a socket or
// a folder where a file was wanted.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped when a file is over the limit.
var ErrTooLarge = errors.New("file too large")

// Check reports an error unless path is a regular file (symbolic links
// followed) of at most limit bytes.
func Check(path string, limit int64) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return check(path, fi, limit)
}

func check(path string, fi os.FileInfo, limit int64) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: %w (it is %s)", path, ErrNotRegular, kind(fi.Mode()))
	}
	if fi.Size() > limit {
		return fmt.Errorf("%s: %w: %d bytes, over the limit of %d", path, ErrTooLarge, fi.Size(), limit)
	}
	return nil
}

func kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a file"
}

// ReadFile reads a regular file of at most limit bytes. It checks the
// path before opening it (so opening a FIFO cannot block) and the file
// once open, and reads at most limit+1 bytes whatever happened between.
// Errors from the file system are returned as os.ReadFile's are, so
// errors.Is(err, fs.ErrNotExist) still holds.
func ReadFile(path string, limit int64) ([]byte, error) {
	if err := Check(path, limit); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := check(path, fi, limit); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w: over the limit of %d bytes", path, ErrTooLarge, limit)
	}
	return data, nil
}

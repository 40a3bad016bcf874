package boundedfile_test

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"

	"github.com/grpcdouble/grpcdouble/internal/boundedfile"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	link := filepath.Join(dir, "link")
	if err := os.Symlink(small, link); err != nil {
		t.Fatal(err)
	}

	if b, err := boundedfile.ReadFile(small, 5); err != nil || string(b) != "hello" {
		t.Errorf("ReadFile(small, 5) = %q, %v", b, err)
	}
	if b, err := boundedfile.ReadFile(link, 5); err != nil || string(b) != "hello" {
		t.Errorf("a symlink to a regular file is read: %q, %v", b, err)
	}
	cases := []struct {
		path  string
		limit int64
		is    error
		want  string
	}{
		{"/dev/zero", 1 << 20, boundedfile.ErrNotRegular, "/dev/zero: not a regular file (it is a character device)"},
		{fifo, 1 << 20, boundedfile.ErrNotRegular, "not a regular file (it is a named pipe)"},
		{sock, 1 << 20, boundedfile.ErrNotRegular, "(it is a socket)"},
		{dir, 1 << 20, boundedfile.ErrNotRegular, "(it is a folder)"},
		{small, 4, boundedfile.ErrTooLarge, "file too large: 5 bytes, over the limit of 4"},
		{filepath.Join(dir, "missing"), 4, fs.ErrNotExist, "no such file"},
	}
	for _, tc := range cases {
		_, err := boundedfile.ReadFile(tc.path, tc.limit)
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadFile(%s, %d) = %v, want %v saying %q", tc.path, tc.limit, err, tc.is, tc.want)
		}
	}
}

func ExampleReadFile() {
	_, err := boundedfile.ReadFile("/dev/zero", boundedfile.Limit)
	fmt.Println(err)
	// Output: /dev/zero: not a regular file (it is a character device)
}

package cassette_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

func interaction(name string) *cassette.Interaction {
	return &cassette.Interaction{
		Method: "/routeguide.RouteGuide/GetFeature",
		Events: []cassette.Event{
			{Type: cassette.ClientMessage, Message: cassette.NewMessage(&pb.Point{Latitude: 1})},
			{Type: cassette.ServerMessage, Message: cassette.NewMessage(&pb.Feature{Name: name})},
		},
	}
}

// A write that fails half way (a full disk) is rolled back: the file ends
// with its last whole interaction and still loads, the error names the
// cassette (not a temporary file), and later writes are saved. Half an
// interaction was left, later ones appended after it, and the file no
// longer loaded.
func TestWriteFailureRollsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.cassette")
	w, err := cassette.Create(path, cassette.NoSync())
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Write(interaction("a")))
	require.NoError(t, w.Write(interaction("b")))
	cassette.FailNextWrite(w, 40)
	err = w.Write(interaction("lost"))
	require.Error(t, err)
	require.True(t, errors.Is(err, syscall.ENOSPC), "%v", err)
	require.Contains(t, err.Error(), "cassette: write "+path+": interaction /routeguide.RouteGuide/GetFeature not saved (the file was cut back to its last whole interaction)")
	require.NotContains(t, err.Error(), ".tmp")
	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Nil(t, c.Torn)
	require.Len(t, c.Interactions, 2)

	require.NoError(t, w.Write(interaction("c")))
	require.Equal(t, 3, w.Count())
	c, err = cassette.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, 3)
	require.Nil(t, c.Torn)
}

// Two writers on one cassette: the second fails at once, naming the holder.
// Two recorders interleaved their bytes (--append) or one wrote into a file
// the other had replaced.
func TestSecondWriterLockedOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "one.cassette")
	w, err := cassette.Create(path, cassette.NoSync())
	require.NoError(t, err)
	for _, open := range []func(string, ...cassette.WriterOption) (*cassette.Writer, error){cassette.Create, cassette.Append} {
		_, err := open(path)
		require.Error(t, err)
		require.True(t, errors.Is(err, cassette.ErrLocked), "%v", err)
		require.Contains(t, err.Error(), "(holder: pid "+strconv.Itoa(os.Getpid())+"; lock file "+path+".lock)")
	}
	require.NoError(t, w.Write(interaction("a")))
	require.NoError(t, w.Close())
	_, err = os.Stat(path + ".lock")
	require.True(t, errors.Is(err, os.ErrNotExist), "Close removes the lock file")

	w2, err := cassette.Append(path, cassette.NoSync())
	require.NoError(t, err, "free again once closed")
	require.NoError(t, w2.Write(interaction("b")))
	require.NoError(t, w2.Close())
	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, 2)
}

// A target that is not a regular writable file is refused, and a symbolic
// link is not replaced by a file: record renamed over all of them.
func TestCreateRefusesWhatItMustNotReplace(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.cassette")
	require.NoError(t, os.WriteFile(real, []byte(`{"format": "grpcdouble-cassette", "version": 1}`+"\n"), 0o644))
	link := filepath.Join(dir, "link.cassette")
	require.NoError(t, os.Symlink(real, link))
	readOnly := filepath.Join(dir, "ro.cassette")
	require.NoError(t, os.WriteFile(readOnly, nil, 0o444))
	fifo := filepath.Join(dir, "fifo.cassette")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	cases := []struct{ path, want string }{
		{link, "it is a symbolic link to " + real + "; give the file itself"},
		{readOnly, "it is read-only"},
		{fifo, "it is not a regular file"},
		{dir, "it is a folder"},
	}
	for _, open := range []func(string, ...cassette.WriterOption) (*cassette.Writer, error){cassette.Create, cassette.Append} {
		for _, tc := range cases {
			_, err := open(tc.path)
			require.Error(t, err, tc.path)
			require.True(t, errors.Is(err, cassette.ErrTarget), "%v", err)
			require.True(t, strings.Contains(err.Error(), tc.want), "%v\nwant %q", err, tc.want)
		}
	}
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	require.NotZero(t, fi.Mode()&os.ModeSymlink, "the link is still a link")
}

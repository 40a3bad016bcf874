package cassette_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/grpcdouble/grpcdouble/cassette"
)

func TestRewriteReplacesOnlyTheNamedInteractions(t *testing.T) {
	// Hand-formatted: a rewrite must not reformat what it does not replace.
	orig := `{"format": "grpcdouble-cassette", "version": 1}
{"method": "/a.S/One",   "events": [], "status": {"code": "OK"}}
{"method": "/a.S/Two", "events": [], "status": {"code": "OK"}}
{"method": "/a.S/Three",   "events": [], "status": {"code": "OK"}}
{"method": "/a.S/Fo`
	path := filepath.Join(t.TempDir(), "c.cassette")
	require.NoError(t, os.WriteFile(path, []byte(orig), 0o600))
	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, 3)
	require.NotNil(t, c.Torn)

	two := c.Interactions[1].Clone()
	two.Status = cassette.Status{Code: codes.NotFound, Message: "gone"}
	require.NoError(t, cassette.Rewrite(path, map[int]*cassette.Interaction{1: two}))

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(orig, "\n")
	want := strings.Join(lines[:2], "\n") + "\n" + `{
  "method": "/a.S/Two",
  "events": [],
  "status": {
    "code": "NOT_FOUND",
    "message": "gone"
  }
}` + "\n" + strings.Join(lines[3:], "\n")
	assert.Equal(t, want, string(got))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "permissions kept")
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")

	c, err = cassette.Load(path)
	require.NoError(t, err)
	assert.Equal(t, codes.NotFound, c.Interactions[1].Status.Code)

	err = cassette.Rewrite(path, map[int]*cassette.Interaction{3: two})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no interaction #4 to replace (the file holds 3)")
}

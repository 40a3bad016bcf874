package dynamic_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
)

// stopT records how record.Connect stopped a test.
type stopT struct {
	testing.TB
	mu       sync.Mutex
	fatals   []string
	cleanups []func()
}

func (s *stopT) Helper() {}
func (s *stopT) Fatalf(format string, args ...any) {
	s.mu.Lock()
	s.fatals = append(s.fatals, fmt.Sprintf(format, args...))
	s.mu.Unlock()
	runtime.Goexit()
}
func (s *stopT) Cleanup(f func()) { s.cleanups = append(s.cleanups, f) }

// Recording from an upstream without reflection, in a test with no
// generated code: the error names the option that gives the descriptors,
// no cassette is left behind, and with the option the recording works.
func TestRecordWithoutReflectionOrGeneratedCode(t *testing.T) {
	t.Setenv(record.EnvMode, "")
	ctx := testContext(t)
	files, err := mockserver.Load(ctx, routeguideProto)
	require.NoError(t, err)
	live := expect.New(t, expect.WithResolver(files))
	live.Unary("/routeguide.RouteGuide/GetFeature").Return(message(t, files, "routeguide.Feature", `{"name": "live"}`))
	upstream := mockserver.Start(t, live, mockserver.WithSource(files), mockserver.WithoutReflection())
	path := filepath.Join(t.TempDir(), "routeguide.cassette")

	st := &stopT{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		record.Connect(st, path, record.UpstreamConn(upstream.ClientConn()))
	}()
	<-done
	for i := len(st.cleanups) - 1; i >= 0; i-- {
		st.cleanups[i]()
	}
	require.Len(t, st.fatals, 1)
	assert.Contains(t, st.fatals[0], "the upstream serves no reflection")
	assert.Contains(t, st.fatals[0], "no generated service code is linked into the test")
	assert.Contains(t, st.fatals[0], "record.WithServerOptions(mockserver.WithProtoFiles(...))")
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "an empty cassette was left behind")

	t.Run("with the descriptors named", func(t *testing.T) {
		conn := record.Connect(t, path, record.UpstreamConn(upstream.ClientConn()),
			record.WithServerOptions(mockserver.WithSource(files)))
		req := message(t, files, "routeguide.Point", `{"latitude": 1}`)
		resp, err := files.NewMessage("routeguide.Feature")
		require.NoError(t, err)
		require.NoError(t, conn.Invoke(testContext(t), "/routeguide.RouteGuide/GetFeature", req, resp))
		assert.True(t, proto.Equal(message(t, files, "routeguide.Feature", `{"name": "live"}`), resp))
	})
	c, err := cassette.Load(path)
	require.NoError(t, err)
	assert.Len(t, c.Interactions, 1)
}

package mdpack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc/metadata"

	"github.com/grpcdouble/grpcdouble/internal/mdpack"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRoundTrip(t *testing.T) {
	for _, md := range []metadata.MD{
		{},
		{"k": {"v"}},
		{"empty": {}, "blank": {""}, "many": {"a", "b", "c"}},
		{"x-bin": {"\x00\xff\x01"}, "unicode": {"grüße 👋"}, strings.Repeat("k", 300): {strings.Repeat("v", 70000)}},
	} {
		b, cut := mdpack.Append(nil, md, -1)
		require.False(t, cut)
		require.Equal(t, md, mdpack.Unpack(b))
		// Appending keeps what b held.
		b2, _ := mdpack.Append([]byte("prefix"), md, -1)
		require.Equal(t, "prefix", string(b2[:6]))
		require.Equal(t, md, mdpack.Unpack(b2[6:]))
	}
}

func TestLimitCutsValues(t *testing.T) {
	md := metadata.MD{"key": {"0123456789", "abcdef"}}
	b, cut := mdpack.Append(nil, md, 8)
	require.True(t, cut)
	require.Equal(t, metadata.MD{"key": {"01234", ""}}, mdpack.Unpack(b))
	b, cut = mdpack.Append(nil, md, 100)
	require.False(t, cut)
	require.Equal(t, md, mdpack.Unpack(b))
}

func ExampleAppend() {
	b, _ := mdpack.Append(nil, metadata.MD{"authorization": {"Bearer t"}}, -1)
	fmt.Println(len(b), mdpack.Unpack(b)["authorization"])
	// Output: 24 [Bearer t]
}

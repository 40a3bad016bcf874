package cassette_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	pointType   = (&pb.Point{}).ProtoReflect().Type()
	featureType = (&pb.Feature{}).ProtoReflect().Type()
)

func sample(t testing.TB) *cassette.Interaction {
	st, err := status.New(codes.NotFound, "нет ✗ 🚫").WithDetails(&errdetails.ErrorInfo{Reason: "R", Domain: "d"})
	require.NoError(t, err)
	return &cassette.Interaction{
		Method:   "/routeguide.RouteGuide/GetFeature",
		Kind:     "unary",
		Timeout:  2 * time.Second,
		Metadata: metadata.Pairs("x-user", "ann", "x-trace-bin", string([]byte{0, 255})),
		Events: []cassette.Event{
			{Type: cassette.ClientMessage, At: time.Microsecond, Message: cassette.NewMessage(&pb.Point{Latitude: 1, Longitude: -2})},
			{Type: cassette.HalfClose, At: 2 * time.Microsecond},
			{Type: cassette.Header, Metadata: metadata.Pairs("x-h", "1")},
			{Type: cassette.ServerMessage, Message: cassette.NewMessage(&pb.Feature{Name: "<b>&", Tags: []string{"x"}})},
		},
		Trailer:  metadata.Pairs("x-t", "2"),
		Status:   cassette.StatusOf(st),
		Duration: time.Millisecond,
	}
}

func TestWriteLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "x.cassette")
	w, err := cassette.Create(path)
	require.NoError(t, err)
	in := sample(t)
	require.NoError(t, w.Write(in))
	require.NoError(t, w.Write(in))
	require.NoError(t, w.Close())
	require.ErrorIs(t, w.Write(in), cassette.ErrClosed)

	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Equal(t, cassette.Version, c.Version)
	require.Len(t, c.Interactions, 2)
	got := c.Interactions[1]
	require.Equal(t, 2, got.Index+1)
	require.Greater(t, got.Line, 1)
	require.Equal(t, in.Method, got.Method)
	require.Equal(t, in.Timeout, got.Timeout)
	require.Equal(t, in.Metadata, got.Metadata)
	require.Equal(t, in.Trailer, got.Trailer)
	require.Len(t, got.Events, 4)
	p, err := got.Events[0].Message.Decode(pointType)
	require.NoError(t, err)
	require.True(t, proto.Equal(&pb.Point{Latitude: 1, Longitude: -2}, p))
	f, err := got.Events[3].Message.Decode(featureType)
	require.NoError(t, err)
	require.True(t, proto.Equal(&pb.Feature{Name: "<b>&", Tags: []string{"x"}}, f))
	st, err := got.Status.Proto()
	require.NoError(t, err)
	want, _ := in.Status.Proto()
	require.True(t, proto.Equal(want.Proto(), st.Proto()))

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(data), `"name": "<b>&"`, "readable: no HTML escaping")
	require.Contains(t, string(data), "нет ✗ 🚫", "Unicode kept as is")
	require.Contains(t, string(data), `"code": "NOT_FOUND"`)
}

func TestUnknownTypesKeptRaw(t *testing.T) {
	// A message whose type is unknown: recorded raw, decoded later.
	wire, err := proto.Marshal(&pb.Point{Latitude: 7})
	require.NoError(t, err)
	in := sample(t)
	in.Events[0].Message = cassette.NewRawMessage("routeguide.Point", wire)
	in.Status.Details = []*cassette.Message{cassette.NewRawMessage("type.example.com/acme.Unknown", []byte{8, 1})}
	var buf bytes.Buffer
	require.NoError(t, cassette.Encode(&buf, []*cassette.Interaction{in}))
	require.Contains(t, buf.String(), `"@raw"`)
	c, err := cassette.Parse(buf.Bytes(), "mem")
	require.NoError(t, err)
	p, err := c.Interactions[0].Events[0].Message.Decode(pointType)
	require.NoError(t, err)
	require.Equal(t, int32(7), p.(*pb.Point).Latitude)
	st, err := c.Interactions[0].Status.Proto()
	require.NoError(t, err)
	require.Equal(t, "type.example.com/acme.Unknown", st.Proto().Details[0].TypeUrl)
	require.Equal(t, []byte{8, 1}, st.Proto().Details[0].Value)
}

func TestTornTailIsToleratedAndCut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "torn.cassette")
	w, err := cassette.Create(path, cassette.NoSync())
	require.NoError(t, err)
	require.NoError(t, w.Write(sample(t)))
	require.NoError(t, w.Close())
	whole, err := os.ReadFile(path)
	require.NoError(t, err)
	var one bytes.Buffer
	require.NoError(t, cassette.Encode(&one, []*cassette.Interaction{sample(t)}))
	doc := one.Bytes()[bytes.IndexByte(one.Bytes(), '}')+2:] // the interaction, without the header
	for cut := 1; cut < len(doc)-1; cut += 37 {
		require.NoError(t, os.WriteFile(path, append(append([]byte(nil), whole...), doc[:cut]...), 0o644))
		c, err := cassette.Load(path)
		require.NoError(t, err, "cut at %d", cut)
		require.Len(t, c.Interactions, 1)
		require.NotNil(t, c.Torn, "cut at %d", cut)
	}
	w, err = cassette.Append(path)
	require.NoError(t, err)
	require.NoError(t, w.Write(sample(t)))
	require.NoError(t, w.Close())
	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Nil(t, c.Torn)
	require.Len(t, c.Interactions, 2)
}

func TestLoadErrorsNameFileLineAndField(t *testing.T) {
	head := `{"format": "grpcdouble-cassette", "version": 1}` + "\n"
	ok := `{"method": "/a.S/M", "events": [], "status": {"code": "OK"}}` + "\n"
	for name, tc := range map[string]struct {
		data string
		want string
	}{
		"empty":         {"", "x.cassette: empty file"},
		"not cassette":  {`{"format": "har"}`, `x.cassette:1: header: format "har"`},
		"future":        {`{"format": "grpcdouble-cassette", "version": 9}`, "version 9"},
		"bad event":     {head + ok + `{"method": "/a.S/M", "events": [{"type": "smoke"}], "status": {"code": "OK"}}`, `x.cassette:3: interaction #2: events[0].type: unknown event type "smoke"`},
		"bad code":      {head + `{"method": "/a.S/M", "events": [], "status": {"code": "NOPE"}}`, `x.cassette:2: interaction #1: status.code: unknown status code "NOPE"`},
		"bad method":    {head + `{"method": "M", "events": [], "status": {"code": "OK"}}`, "interaction #1: method"},
		"unknown field": {head + `{"method": "/a.S/M", "evnts": [], "status": {"code": "OK"}}` + "\n" + ok, `x.cassette:2: interaction #1`},
		"syntax":        {head + ok + "{\n\"method\": ]\n}\n" + ok, "x.cassette:4: interaction #2 (from line 3)"},
		"bad bin":       {head + `{"method": "/a.S/M", "metadata": {"k-bin": ["!!"]}, "events": [], "status": {"code": "OK"}}`, `metadata: key "k-bin" value 0`},
		"missing msg":   {head + `{"method": "/a.S/M", "events": [{"type": "client_message"}], "status": {"code": "OK"}}`, "events[0].message: missing"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := cassette.Parse([]byte(tc.data), "x.cassette")
			require.ErrorIs(t, err, cassette.ErrFormat)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := cassette.Load(filepath.Join(t.TempDir(), "missing.cassette"))
	require.ErrorIs(t, err, cassette.ErrNotFound)
}

func TestDecodeWrongType(t *testing.T) {
	m := cassette.NewRawMessage("routeguide.Point", nil)
	_, err := m.Decode(featureType)
	require.ErrorContains(t, err, "recorded as routeguide.Point")
	var in cassette.Interaction
	err = in.UnmarshalJSON([]byte(`{"method": "/a.S/M", "events": [{"type": "client_message", "message": {"latitude": "x"}}], "status": {"code": "OK"}}`))
	require.NoError(t, err, "messages are checked when decoded, against their type")
	_, err = in.Events[0].Message.Decode(pointType)
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "routeguide.Point"))
	require.False(t, errors.Is(err, cassette.ErrFormat))
}

// Load reads regular files only: /dev/zero was read until 2.9 GB.
func TestLoadRefusesSpecialFiles(t *testing.T) {
	_, err := cassette.Load("/dev/zero")
	require.Error(t, err)
	require.ErrorContains(t, err, "/dev/zero: not a regular file (it is a character device)")
}

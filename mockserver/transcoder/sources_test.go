package transcoder_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/mockserver/transcoder"
)

// echoHandler answers echo.v1.EchoService/Echo, whose Go types are not
// linked into this test: the messages are dynamicpb ones.
var echoHandler = mockserver.HandlerFunc(func(c *mockserver.Call) error {
	req, err := c.Recv()
	if err != nil {
		return err
	}
	if _, ok := req.(*dynamicpb.Message); !ok {
		return io.ErrUnexpectedEOF // the test checks the answer, which this is not
	}
	resp := c.NewResponse()
	in := req.ProtoReflect()
	msg := in.Get(in.Descriptor().Fields().ByName("message")).String()
	out := resp.ProtoReflect()
	out.Set(out.Descriptor().Fields().ByName("message"), protoreflect.ValueOfString("echo: "+msg))
	out.Set(out.Descriptor().Fields().ByName("index"), protoreflect.ValueOfInt32(7))
	return c.Send(resp)
})

// post makes a Connect unary call with JSON: a plain HTTP POST.
func post(t *testing.T, client *http.Client, url, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Connect-Protocol-Version", "1")
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), resp.Header
}

func jsonEq(t *testing.T, want, got string) {
	t.Helper()
	var w, g any
	require.NoError(t, json.Unmarshal([]byte(want), &w), want)
	require.NoError(t, json.Unmarshal([]byte(got), &g), got)
	assert.Equal(t, w, g)
}

// TestDescriptorSources: services known only at run time, from .proto
// files, a protoset and a live server's reflection, answer Connect with
// dynamicpb messages.
func TestDescriptorSources(t *testing.T) {
	sources := map[string]func(t *testing.T) mockserver.Source{
		"proto files": func(*testing.T) mockserver.Source {
			return mockserver.ProtoFiles([]string{"../../testdata/protos"}, "echo/v1/echo.proto")
		},
		"protoset": func(*testing.T) mockserver.Source {
			return mockserver.Protoset("../../testdata/protosets/echo.protoset")
		},
		"reflection": func(t *testing.T) mockserver.Source {
			live := mockserver.Start(t, echoHandler, mockserver.WithProtoset("../../testdata/protosets/echo.protoset"))
			return mockserver.Reflection(live.ClientConn())
		},
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			ms := mockserver.Start(t, echoHandler, mockserver.WithSource(src(t)))
			web := transcoder.Start(t, ms)
			code, body, _ := post(t, web.Client(), web.URL()+"/echo.v1.EchoService/Echo", `{"message":"hi"}`)
			require.Equal(t, http.StatusOK, code, body)
			jsonEq(t, `{"message":"echo: hi","index":7,"envelope":null,"seen":[]}`, body)
			calls := ms.CallsTo("/echo.v1.EchoService/Echo")
			require.Len(t, calls, 1)
			assert.Equal(t, mockserver.Protocol{Name: mockserver.ProtocolConnect, Codec: "json"}, calls[0].Protocol)
		})
	}
}

package stubformat_test

import (
	"testing"

	"github.com/grpcdouble/grpcdouble/stubformat"
)

// gripmock's .State renders as the empty map it is there: Go's text of an
// empty map, and <no value> for any key.
var gripmockStateCalls = []call{
	{name: "unary", do: unary(getItem, `{"id": "state"}`), want: ok(`{"name":"state map[], x <no value>, unset, 0, <no value>"}`)},
	{name: "bidi", do: pingPong(chat, `{"text": "state"}`), want: ok(`{"user":"bot","text":"no step in map[]"}`)},
}

func TestGripmockStateAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto, "testdata/gripmock/state.yaml"), gripmockStateCalls)
}

func TestGripmockStateConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/state.yaml"), gripmockStateCalls)
}

package cassette_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/cassette"
)

// manyMalformed is a cassette with six malformed interactions of every
// sort between well-formed ones (lines 2, 8 and 17).
const manyMalformed = `{"format": "grpcdouble-cassette", "version": 1}
{"method": "/a.S/M", "events": [], "status": {"code": "OK"}}
{"method": "/a.S/M",
 "events": [],
 "timeout": 7,
 "status": {"code": "OK"}}
{"method": "/a.S/M", "events": [}], "status": {"code": "OK"}}
{"method": "/a.S/Ok2", "events": [], "status": {"code": "OK"}}
{"method": "/a.S/M", "evnts": [], "status": {"code": "OK"}}
{"method": "/a.S/M", "events": [], "status": {"code": "NOPE"}}
{"method": "/a.S/M",
 "events": [],
 "status": {"code": "OK"}
{"method": "/a.S/M",
 "events": [{"type": "smoke"}],
 "status": {"code": "OK"}}
{"method": "/a.S/Ok3", "events": [], "status": {"code": "OK"}}
`

// Every malformed interaction is reported at its line, reading on at the
// next interaction after a syntax error too; nothing is returned to serve,
// and the error holds the well-formed rest for a check.
func TestParseReportsEveryMalformedInteraction(t *testing.T) {
	c, err := cassette.Parse([]byte(manyMalformed), "x.cassette")
	require.Nil(t, c)
	require.ErrorIs(t, err, cassette.ErrFormat)
	want := []string{
		`x.cassette:5: interaction #2 (from line 3): json: cannot unmarshal number into Go struct field wireInteraction.timeout of type string`,
		`x.cassette:7: interaction #3 (from line 7): invalid character '}' looking for beginning of value`,
		`x.cassette:9: interaction #5 (from line 9): json: unknown field "evnts"`,
		`x.cassette:10: interaction #6: status.code: unknown status code "NOPE"`,
		`x.cassette:14: interaction #7 (from line 11): invalid character '{' after object key:value pair`,
		`x.cassette:14: interaction #8: events[0].type: unknown event type "smoke"`,
	}
	got := strings.Split(err.Error(), "\n")
	require.Len(t, got, len(want), "%v", err)
	for i, w := range want {
		assert.True(t, strings.HasPrefix(got[i], "malformed cassette: "+w), "problem %d:\n got %s\nwant %s", i+1, got[i], w)
	}
	var fe *cassette.FormatErrors
	require.True(t, errors.As(err, &fe))
	require.Len(t, fe.Errs, len(want))
	var methods []string
	for _, in := range fe.Read.Interactions {
		methods = append(methods, in.Method)
	}
	assert.Equal(t, []string{"/a.S/M", "/a.S/Ok2", "/a.S/Ok3"}, methods)
	assert.Equal(t, []int{2, 8, 17}, []int{fe.Read.Interactions[0].Line, fe.Read.Interactions[1].Line, fe.Read.Interactions[2].Line})
	assert.Equal(t, 8, fe.Read.Interactions[2].Index, "its place in the file")
}

package stubformat_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grpcdouble/grpcdouble/stubformat"
)

const reserve = "/shop.v1.ShopService/Reserve"

// The request testdata/gripmock/loadtime.yaml's first stub wants, its keys
// written out: the halves of each UUID as gripmock's uuid2int64 splits
// them (little-endian), and the bytes of the others.
const reserveReq = `{
  "keys": [{"high": "-8480806700127220645", "low": "1813326999140859035"},
           {"high": "4055872357121498639", "low": "1958007344816222594"}],
  "rawKeys": ["obLD1OX2R4mKvN7wEjRWeA==", "/////////////////////w=="],
  "names": ["NORTH", "south"],
  "sentAt": "1700000005"}`

var loadTimeCalls = []call{
	{name: "uuid2int64, uuid2base64, upper and add run at load, inside equals", do: unary(reserve, reserveReq),
		want: ok(`{"reservationId":"7000000000000000123","code":"200","heldUntil":"1700000099"}`)},
	{name: "keys in another order", do: unary(reserve, `{
  "keys": [{"high": "4055872357121498639", "low": "1958007344816222594"},
           {"high": "-8480806700127220645", "low": "1813326999140859035"}],
  "rawKeys": ["obLD1OX2R4mKvN7wEjRWeA==", "/////////////////////w=="],
  "names": ["NORTH", "south"],
  "sentAt": "1700000005"}`), noMatch: true},
	{name: "another sent_at", do: unary(reserve, strings.Replace(reserveReq, "1700000005", "1700000006", 1)), noMatch: true},
	{name: "a name as written, not as computed", do: unary(reserve, strings.Replace(reserveReq, "NORTH", "north", 1)), noMatch: true},
	{name: "a quoted template on a static line runs at load too", do: unary(reserve, `{"names": ["west", "up", "east"], "sentAt": "9"}`),
		want: ok(`{"reservationId":"3","code":"9"}`)},
	{name: "its result, not its text", do: unary(reserve, `{"names": ["west", "UP", "east"]}`), noMatch: true},
}

func TestGripmockLoadTimeAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto, "testdata/gripmock/loadtime.yaml"), loadTimeCalls)
	runCalls(t, serve(t, stubformat.Gripmock, "testdata/gripmock/loadtime.yaml"), loadTimeCalls[:1])
}

// The converted file holds the computed values, each with a comment
// naming the template that computed it.
func TestGripmockLoadTimeConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/loadtime.yaml"), loadTimeCalls)
	data, err := os.ReadFile(filepath.Join(convertTo(t, stubformat.Gripmock, "testdata/gripmock/loadtime.yaml"), "loadtime.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`- high: -8480806700127220645 # computed at load, as gripmock does: {{ uuid2int64 "5b0c2a4e-3d1f-4e8a-9b7c-6a5d4c3b2a19" }}`,
		`raw_keys: [obLD1OX2R4mKvN7wEjRWeA==, /////////////////////w==] # computed at load, as gripmock does: {{ uuid2base64 "a1b2c3d4-e5f6-4789-8abc-def012345678" }}, {{ uuid2base64 "ffffffff-ffff-ffff-ffff-ffffffffffff" }}`,
		`names: [NORTH, south] # computed at load, as gripmock does: {{ upper "north" }}`,
		`code: "200" # computed at load, as gripmock does: {{ mul 20 10 }}`,
		`reservation_id: '{{len .Request.names}}'`,
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the converted file lacks %s:\n%s", want, data)
		}
	}
}

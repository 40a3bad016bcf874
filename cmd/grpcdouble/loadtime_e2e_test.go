package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// shopReserveReq is the request the first stub of
// stubformat/testdata/gripmock/loadtime.yaml wants: its keys as gripmock's
// uuid2int64 and uuid2base64 compute them at load.
const shopReserveReq = `{
  "keys": [{"high": "-8480806700127220645", "low": "1813326999140859035"},
           {"high": "4055872357121498639", "low": "1958007344816222594"}],
  "rawKeys": ["obLD1OX2R4mKvN7wEjRWeA==", "/////////////////////w=="],
  "names": ["NORTH", "south"],
  "sentAt": "1700000005"}`

// TestServeGripmockLoadTimeTemplates: the binary serves a gripmock YAML
// file with templates where values go (run at load, as gripmock does),
// takes the same through the admin API, and converts it into a native
// file that answers the same.
func TestServeGripmockLoadTimeTemplates(t *testing.T) {
	protos := filepath.Join(moduleRoot(t), "stubformat/testdata/protos")
	fixture := filepath.Join(moduleRoot(t), "stubformat/testdata/gripmock/loadtime.yaml")
	resolver, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{protos}, "shop/v1/shop.proto"))
	if err != nil {
		t.Fatal(err)
	}
	defer resolver.Close()
	md, err := resolver.Method("/shop.v1.ShopService/Reserve")
	if err != nil {
		t.Fatal(err)
	}
	call := func(conn *grpc.ClientConn, req string) (string, error) {
		t.Helper()
		in, out := dynamicpb.NewMessage(md.Input()), dynamicpb.NewMessage(md.Output())
		if err := protojson.Unmarshal([]byte(req), in); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		if err := conn.Invoke(ctx, "/shop.v1.ShopService/Reserve", in, out); err != nil {
			return "", err
		}
		want := dynamicpb.NewMessage(md.Output())
		if err := protojson.Unmarshal([]byte(`{"reservationId": "7000000000000000123", "code": "200", "heldUntil": "1700000099"}`), want); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(want, out) {
			return protojson.Format(out), nil
		}
		return "the first stub's answer", nil
	}
	serveAndCall := func(name string, stubs string, admin func(adminAddr string)) {
		t.Helper()
		addr, adminAddr, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
			"--proto", protos, "--stubs", stubs)
		defer func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
		}()
		conn := dial(t, addr, nil)
		if got, err := call(conn, shopReserveReq); err != nil || got != "the first stub's answer" {
			t.Errorf("%s: Reserve = %s, %v; want the first stub's answer", name, got, err)
		}
		if admin != nil {
			admin(adminAddr)
			if got, err := call(conn, `{"names": ["computed-at-load"]}`); err != nil || got != "the first stub's answer" {
				t.Errorf("%s: Reserve after POST /stubs = %s, %v; want the first stub's answer", name, got, err)
			}
		}
	}

	// As it is, and a gripmock body with a template where a value goes.
	serveAndCall("as is", fixture, func(adminAddr string) {
		code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `- service: ShopService
  method: Reserve
  input:
    equals:
      names: [{{ lower "COMPUTED-AT-LOAD" }}]
  output:
    data:
      reservation_id: 7000000000000000123
      code: {{ mul 20 10 }}
      held_until: {{ sub 1700000100 0.5 | floor }}
`, nil)
		if code != http.StatusCreated {
			t.Fatalf("POST /stubs with a gripmock body computed at load: %d", code)
		}
	})

	// Converted: the native file holds the computed values.
	out, data := convertGripmock(t, protos, fixture)
	if !bytes.Contains(data, []byte(`code: "200" # computed at load, as gripmock does: {{ mul 20 10 }}`)) {
		t.Errorf("the converted file lacks the computed code and its comment:\n%s", data)
	}
	serveAndCall("converted", out, nil)
}

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jhump/protoreflect/v2/grpcreflect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/internal/testcerts"
)

var protoArgs = []string{"--proto", "examples/routeguide/routeguide.proto", "--import-path", "examples/routeguide"}

func serveArgs(extra ...string) []string {
	return append(append([]string{"serve", "--listen", "127.0.0.1:0"}, protoArgs...), extra...)
}

// checkTooling does what grpcurl list and grpc_health_probe do.
func checkTooling(t *testing.T, conn *grpc.ClientConn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	rc := grpcreflect.NewClientAuto(ctx, conn)
	defer rc.Reset()
	names, err := rc.ListServices()
	if err != nil {
		t.Fatalf("reflection list: %v", err)
	}
	if !slices.Contains(names, protoreflect.FullName("routeguide.RouteGuide")) {
		t.Fatalf("reflection lists %v, want routeguide.RouteGuide", names)
	}
	fd, err := rc.FileContainingSymbol("routeguide.RouteGuide")
	if err != nil {
		t.Fatalf("reflection describe: %v", err)
	}
	if fd.Services().ByName("RouteGuide").Methods().Len() != 4 {
		t.Fatalf("reflection describes %v", fd.Services().ByName("RouteGuide"))
	}
	hr, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || hr.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v, %v", hr, err)
	}
}

func writeProtoset(t *testing.T) string {
	t.Helper()
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		for i := 0; i < fd.Imports().Len(); i++ {
			add(fd.Imports().Get(i).FileDescriptor)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(fd))
	}
	add(pb.File_routeguide_proto)
	data, err := proto.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "routeguide.protoset")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestServeDescriptorSources(t *testing.T) {
	t.Parallel()
	upstream, _ := startUpstream(t, nil)
	for name, args := range map[string][]string{
		"proto":    serveArgs(),
		"protoset": {"serve", "--listen", "127.0.0.1:0", "--protoset", writeProtoset(t)},
		"reflect":  {"serve", "--listen", "127.0.0.1:0", "--reflect", upstream},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := startProc(t, args...)
			conn := dial(t, p.Addr, nil)
			checkTooling(t, conn)
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			_, err := pb.NewRouteGuideClient(conn).GetFeature(ctx, &pb.Point{Latitude: 1})
			if status.Code(err) == codes.Unimplemented || err == nil {
				t.Fatalf("GetFeature with no stub: %v, want a miss that is not Unimplemented", err)
			}
		})
	}
}

// writeCerts makes a test CA with server and client certificates, and
// writes them as PEM files into dir.
func writeCerts(t *testing.T, dir string) (*testcerts.Set, testcerts.Files) {
	t.Helper()
	certs, err := testcerts.New()
	if err != nil {
		t.Fatal(err)
	}
	files, err := certs.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	return certs, files
}

func TestServeTLS(t *testing.T) {
	t.Parallel()
	certs, files := writeCerts(t, t.TempDir())
	t.Run("tls", func(t *testing.T) {
		t.Parallel()
		p := startProc(t, serveArgs("--tls-cert", files.ServerCert, "--tls-key", files.ServerKey)...)
		checkTooling(t, dial(t, p.Addr, certs.ClientTLS(false)))
		// A plaintext client gets nowhere.
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		_, err := healthpb.NewHealthClient(dial(t, p.Addr, nil)).Check(ctx, &healthpb.HealthCheckRequest{})
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("plaintext client against TLS: %v, want Unavailable", err)
		}
	})
	t.Run("mtls", func(t *testing.T) {
		t.Parallel()
		p := startProc(t, serveArgs("--tls-cert", files.ServerCert, "--tls-key", files.ServerKey, "--tls-client-ca", files.CA)...)
		checkTooling(t, dial(t, p.Addr, certs.ClientTLS(true)))
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		_, err := healthpb.NewHealthClient(dial(t, p.Addr, certs.ClientTLS(false))).Check(ctx, &healthpb.HealthCheckRequest{})
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("client without certificate against mTLS: %v, want Unavailable", err)
		}
	})
}

func TestFlagErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "no command"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"serve"}, "--proto"},
		{[]string{"serve", "--nope"}, "-nope"},
		{[]string{"serve", "--proto", "missing.proto"}, "missing.proto"},
		{[]string{"serve", "--protoset", "missing.protoset"}, "--protoset missing.protoset"},
		{[]string{"serve", "--protoset", "go.mod"}, "go.mod"},
		{serveArgs("--tls-cert", "go.mod"), "--tls-key"},
		{serveArgs("--tls-cert", "nope.pem", "--tls-key", "nope.pem"), "--tls-cert nope.pem"},
		{serveArgs("--tls-cert", "go.mod", "--tls-key", "go.mod"), "--tls-cert go.mod"},
		{serveArgs("--tls-client-ca", "go.mod"), "--tls-client-ca"},
		{serveArgs("--stubs", "no/such/dir"), "--stubs no/such/dir"},
		{serveArgs("--cassette", "no-such.cassette"), "--cassette no-such.cassette"},
		{serveArgs("--listen", "999.0.0.1:1"), "listen"},
		{serveArgs("--admin", "999.0.0.1:1"), "--admin"},
		{serveArgs("--log-level", "loud"), "--log-level"},
		{serveArgs("extra"), `"extra"`},
		{[]string{"record", "--cassette", "x.yaml"}, "--upstream"},
		{[]string{"record", "--upstream", "127.0.0.1:1"}, "--cassette"},
	} {
		_, stderr, code := runProc(t, tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("grpcdouble %s: exit %d, stderr:\n%s\nwant non-zero exit and a message containing %q", strings.Join(tc.args, " "), code, stderr, tc.want)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	out, _, code := runProc(t, "version")
	if code != 0 || !strings.HasPrefix(out, "grpcdouble ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
	for _, args := range [][]string{{"help"}, {"help", "serve"}, {"help", "record"}, {"serve", "-h"}} {
		out, _, code := runProc(t, args...)
		if code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		_ = out
	}
	out, _, _ = runProc(t, "help", "serve")
	for _, flag := range []string{"-proto", "-import-path", "-protoset", "-reflect", "-reflect-cert", "-reflect-key", "-stubs", "-cassette", "-listen", "-tls-cert", "-tls-key", "-tls-client-ca", "-admin", "-admin-token"} {
		if !strings.Contains(out, flag) {
			t.Errorf("help serve does not mention %s", flag)
		}
	}
	out, _, _ = runProc(t, "help", "record")
	for _, flag := range []string{"-upstream", "-upstream-ca", "-upstream-server-name", "-upstream-cert", "-upstream-key", "-reflect-cert", "-reflect-key"} {
		if !strings.Contains(out, flag+" ") {
			t.Errorf("help record does not mention %s", flag)
		}
	}
}

// adminHTTP sends one request to an admin API, bounded by callTimeout, and
// returns the answer's status, headers and body. A body goes as
// application/yaml (JSON is YAML too); header is set after that: "" removes
// a header, and "Host" sets the Host.
func adminHTTP(t *testing.T, method, url string, header map[string]string, body string) (int, http.Header, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/yaml")
	}
	for k, v := range header {
		switch {
		case k == "Host":
			req.Host = v
		case v == "":
			req.Header.Del(k)
		default:
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, data
}

// adminDoHeader sends an admin request with headers (as adminHTTP) and
// decodes a JSON answer into out (when not nil and the body is not empty).
func adminDoHeader(t *testing.T, method, url string, header map[string]string, body string, out any) int {
	t.Helper()
	code, _, data := adminHTTP(t, method, url, header, body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %q is not JSON: %v", method, url, code, data, err)
		}
	}
	return code
}

// adminDo is adminDoHeader with a bearer token ("" sends none).
func adminDo(t *testing.T, method, url, token, body string, out any) int {
	t.Helper()
	var header map[string]string
	if token != "" {
		header = map[string]string{"Authorization": "Bearer " + token}
	}
	return adminDoHeader(t, method, url, header, body, out)
}

func TestAdminAuthAndJournal(t *testing.T) {
	t.Parallel()
	const token = "s3cret"
	p := startProc(t, serveArgs("--admin", "127.0.0.1:0", "--admin-token", token)...)
	base := "http://" + p.AdminAddr
	var e admin.ErrorBody
	for _, bad := range []string{"", "wrong", token + "x"} {
		if code := adminDo(t, "GET", base+"/calls", bad, "", &e); code != http.StatusUnauthorized || e.Error == "" {
			t.Fatalf("GET /calls with token %q: %d %+v, want 401 with a JSON error", bad, code, e)
		}
	}
	conn := dial(t, p.Addr, nil)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_, _ = pb.NewRouteGuideClient(conn).GetFeature(ctx, &pb.Point{Latitude: 7, Longitude: 8})

	var calls []admin.Call
	if code := adminDo(t, "GET", base+"/calls?method=routeguide.RouteGuide/GetFeature", token, "", &calls); code != http.StatusOK {
		t.Fatalf("GET /calls: %d", code)
	}
	if len(calls) != 1 || calls[0].Method != "/routeguide.RouteGuide/GetFeature" || len(calls[0].Requests) != 1 || calls[0].Status == nil {
		t.Fatalf("GET /calls: %+v", calls)
	}
	var req map[string]any
	if err := json.Unmarshal(calls[0].Requests[0], &req); err != nil || req["latitude"] != float64(7) {
		t.Fatalf("request in journal: %s (%v)", calls[0].Requests[0], err)
	}
	if code := adminDo(t, "GET", base+"/nope", token, "", &e); code != http.StatusNotFound || !strings.Contains(e.Error, "/nope") {
		t.Fatalf("GET /nope: %d %+v", code, e)
	}
	if code := adminDo(t, "POST", base+"/reset", token, "", nil); code != http.StatusOK {
		t.Fatalf("POST /reset: %d", code)
	}
	calls = nil
	adminDo(t, "GET", base+"/calls", token, "", &calls)
	if len(calls) != 0 {
		t.Fatalf("after reset, /calls has %d", len(calls))
	}
}

func TestAdminBeyondLoopbackWarns(t *testing.T) {
	t.Parallel()
	const warning = "THE ADMIN API IS OPEN TO THE NETWORK WITHOUT A TOKEN"
	for _, tc := range []struct {
		args []string
		warn bool
	}{
		{[]string{"--admin", "0.0.0.0:0"}, true},
		{[]string{"--admin", "0.0.0.0:0", "--admin-token", "t"}, false},
		{[]string{"--admin", "127.0.0.1:0"}, false},
	} {
		p := startProc(t, serveArgs(tc.args...)...)
		// The warning comes before this line, when it comes.
		if err := p.stderr.waitFor(`msg="admin API"`, 1, exitTimeout); err != nil {
			t.Fatalf("%v: no admin log line: %v", tc.args, err)
		}
		if got := strings.Contains(p.stderr.String(), warning); got != tc.warn {
			t.Errorf("%v: warning %v, want %v; stderr:\n%s", tc.args, got, tc.warn, p.stderr.String())
		}
	}
}

package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// refusedForNoCertificate reports whether msg is how grpc-go words a
// connection closed by a server that wanted a client certificate and got
// none. Under TLS 1.3 the client's side of the handshake is done before the
// server checks for a certificate, so the refusal comes afterwards, and
// whether grpc-go first reads the server's alert or first fails writing its
// preface to the closed connection (broken pipe, or reset when the server
// had unread bytes) is a race between its reader and writer.
func refusedForNoCertificate(msg string) bool {
	return strings.Contains(msg, "remote error: tls: certificate required") ||
		strings.Contains(msg, "write: broken pipe") ||
		strings.Contains(msg, "connection reset by peer")
}

// TestRecordUpstreamMutualTLS records from an upstream that demands and
// verifies a client certificate, as one behind a service mesh does.
func TestRecordUpstreamMutualTLS(t *testing.T) {
	t.Parallel()
	certs, files := writeCerts(t, t.TempDir())
	upstream, _ := startUpstream(t, certs.ServerTLS(true))

	t.Run("with client certificate", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "mtls.cassette")
		// No descriptor flag: the services come from the upstream's
		// reflection, so that connection must present the certificate too.
		rec := startProc(t, "record", "--listen", "127.0.0.1:0", "--upstream", upstream, "--cassette", file,
			"--upstream-ca", files.CA, "--upstream-cert", files.ClientCert, "--upstream-key", files.ClientKey)
		c := pb.NewRouteGuideClient(dial(t, rec.Addr, nil))
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()

		var trailer metadata.MD
		f, err := c.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2}, grpc.Trailer(&trailer))
		if err != nil {
			t.Fatalf("GetFeature through the proxy: %v", err)
		}
		if f.GetName() != "feature at 1,2" || !slices.Equal(trailer.Get("x-served-by"), []string{"real"}) {
			t.Fatalf("GetFeature through the proxy: %v, trailer %v; want the live server's answer", f, trailer)
		}
		s, err := c.ListFeatures(ctx, &pb.Rectangle{Lo: &pb.Point{Latitude: 0}, Hi: &pb.Point{Latitude: 3}})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for {
			f, err := s.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("ListFeatures through the proxy: %v", err)
			}
			names = append(names, f.GetName())
		}
		if !slices.Equal(names, []string{"f0", "f1", "f2"}) {
			t.Fatalf("ListFeatures through the proxy: %q, want f0 f1 f2", names)
		}
		if err := rec.stop(t, syscall.SIGTERM); err != nil {
			t.Fatalf("record exited with %v", err)
		}

		cas, err := cassette.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		if len(cas.Interactions) != 2 || cas.Torn != nil {
			t.Fatalf("cassette holds %d interactions (torn %v), want 2", len(cas.Interactions), cas.Torn)
		}
		for i, want := range []struct {
			method   string
			messages int
		}{
			{"/routeguide.RouteGuide/GetFeature", 1},
			{"/routeguide.RouteGuide/ListFeatures", 3},
		} {
			in := cas.Interactions[i]
			if in.Method != want.method || in.Status.Code != codes.OK || serverMessages(in) != want.messages ||
				!slices.Equal(in.Trailer.Get("x-served-by"), []string{"real"}) {
				t.Errorf("interaction %d: %s %v with %d server messages, trailer %v; want %s OK with %d from the live server",
					i, in.Method, in.Status.Code, serverMessages(in), in.Trailer, want.method, want.messages)
			}
		}
	})

	t.Run("without client certificate", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "refused.cassette")
		// Descriptors from the .proto: the upstream's reflection would be
		// refused as well, and record would not start.
		rec := startProc(t, append([]string{"record", "--listen", "127.0.0.1:0", "--upstream", upstream, "--cassette", file,
			"--upstream-ca", files.CA}, protoArgs...)...)
		c := pb.NewRouteGuideClient(dial(t, rec.Addr, nil))
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()

		_, err := c.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
		if st := status.Convert(err); st.Code() != codes.Unavailable || !refusedForNoCertificate(st.Message()) {
			t.Errorf("GetFeature through the proxy: %v, want Unavailable from the refused TLS connection", err)
		}
		s, err := c.ListFeatures(ctx, &pb.Rectangle{Hi: &pb.Point{Latitude: 3}})
		if err == nil {
			_, err = s.Recv()
		}
		if st := status.Convert(err); st.Code() != codes.Unavailable || !refusedForNoCertificate(st.Message()) {
			t.Errorf("ListFeatures through the proxy: %v, want Unavailable from the refused TLS connection", err)
		}
		if err := rec.stop(t, syscall.SIGTERM); err != nil {
			t.Fatalf("record exited with %v", err)
		}

		// The recorder writes down what the client saw, refusals included:
		// replaying this cassette answers Unavailable as the upstream did.
		cas, err := cassette.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		if len(cas.Interactions) != 2 {
			t.Fatalf("cassette holds %d interactions, want the 2 refused calls", len(cas.Interactions))
		}
		for i, in := range cas.Interactions {
			if in.Status.Code != codes.Unavailable || !refusedForNoCertificate(in.Status.Message) || len(in.Events) != 0 {
				t.Errorf("interaction %d: %s %v %q with %d events, want Unavailable from the refused connection and no events",
					i, in.Method, in.Status.Code, in.Status.Message, len(in.Events))
			}
		}
	})

	t.Run("without client certificate, services by reflection", func(t *testing.T) {
		t.Parallel()
		_, stderr, code := runProc(t, "record", "--listen", "127.0.0.1:0", "--upstream", upstream,
			"--cassette", filepath.Join(t.TempDir(), "never.cassette"), "--upstream-ca", files.CA)
		prefix := "grpcdouble: --upstream " + upstream + ": reflection: list services: rpc error: code = Unavailable desc = "
		if code != 1 || !strings.Contains(stderr, prefix) || !refusedForNoCertificate(stderr) {
			t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 and %q with the refused connection", code, stderr, prefix)
		}
	})
}

// TestServeReflectTLS loads the services from the reflection of a TLS and of
// a mutual-TLS server, and answers from stubs for them.
func TestServeReflectTLS(t *testing.T) {
	t.Parallel()
	certs, files := writeCerts(t, t.TempDir())
	tlsUpstream, _ := startUpstream(t, certs.ServerTLS(false))
	mtlsUpstream, _ := startUpstream(t, certs.ServerTLS(true))
	stubs := filepath.Join(moduleRoot(t), "testdata/standalone/stubs")

	for _, tc := range []struct {
		name string
		args []string
	}{
		// The server certificate holds 127.0.0.1, so no name is needed.
		{"tls", []string{"--reflect", tlsUpstream, "--reflect-ca", files.CA}},
		{"mtls", []string{"--reflect", mtlsUpstream, "--reflect-ca", files.CA, "--reflect-server-name", certs.ServerName,
			"--reflect-cert", files.ClientCert, "--reflect-key", files.ClientKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startProc(t, append([]string{"serve", "--listen", "127.0.0.1:0", "--stubs", stubs}, tc.args...)...)
			conn := dial(t, p.Addr, nil)
			checkTooling(t, conn)
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			f, err := pb.NewRouteGuideClient(conn).GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
			if err != nil || f.GetName() != "Stub feature at 1,2" {
				t.Fatalf("GetFeature: %v, %v; want the stub feature-1-2's answer", f, err)
			}
		})
	}

	for _, tc := range []struct {
		name string
		args []string
		ok   func(stderr string) bool
		want string
	}{
		{
			name: "mtls without client certificate",
			args: []string{"--reflect", mtlsUpstream, "--reflect-ca", files.CA},
			ok: func(stderr string) bool {
				prefix := "grpcdouble: --reflect " + mtlsUpstream + ": reflection: list services: rpc error: code = Unavailable desc = "
				return strings.Contains(stderr, prefix) && refusedForNoCertificate(stderr)
			},
			want: "Unavailable: the upstream refused the connection for want of a client certificate",
		},
		{
			name: "tls without the CA",
			args: []string{"--reflect", tlsUpstream, "--reflect-tls"},
			ok: func(stderr string) bool {
				return strings.Contains(stderr, "grpcdouble: --reflect "+tlsUpstream+": reflection: list services: rpc error: code = Unavailable desc = ") &&
					strings.Contains(stderr, "tls: failed to verify certificate: x509: certificate signed by unknown authority")
			},
			want: "Unavailable: the upstream's certificate is not trusted",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := runProc(t, append([]string{"serve", "--listen", "127.0.0.1:0", "--stubs", stubs}, tc.args...)...)
			if code != 1 || !tc.ok(stderr) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 and %s", code, stderr, tc.want)
			}
		})
	}
}

func serverMessages(in *cassette.Interaction) int {
	n := 0
	for _, e := range in.Events {
		if e.Type == cassette.ServerMessage {
			n++
		}
	}
	return n
}

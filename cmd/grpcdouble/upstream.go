package main

import (
	"flag"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
)

// upstreamConfig is the live server record and verify call, and how to
// reach it.
type upstreamConfig struct {
	upstream           string
	upstreamTLS        bool
	upstreamCA         string
	upstreamServerName string
	upstreamCert       string
	upstreamKey        string
}

// registerUpstream registers --upstream (with usage) and its TLS flags.
func (c *upstreamConfig) registerUpstream(fs *flag.FlagSet, usage string) {
	fs.StringVar(&c.upstream, "upstream", "", usage)
	fs.BoolVar(&c.upstreamTLS, "upstream-tls", false, "use TLS to reach --upstream")
	fs.StringVar(&c.upstreamCA, "upstream-ca", "", "PEM `FILE` of CAs to trust for --upstream (implies --upstream-tls)")
	fs.StringVar(&c.upstreamServerName, "upstream-server-name", "", "TLS server `NAME` to verify for --upstream (implies --upstream-tls)")
	fs.StringVar(&c.upstreamCert, "upstream-cert", "", "PEM client certificate `FILE` to present to --upstream, for mutual TLS (needs --upstream-key; implies --upstream-tls)")
	fs.StringVar(&c.upstreamKey, "upstream-key", "", "PEM private key `FILE` for --upstream-cert")
}

func (c *upstreamConfig) upstreamPeer() peerTLS {
	return peerTLS{flag: "--upstream", tls: c.upstreamTLS, ca: c.upstreamCA, serverName: c.upstreamServerName, cert: c.upstreamCert, key: c.upstreamKey}
}

// dialUpstream opens the connection a proxy forwards on. It dials lazily:
// an upstream that is down fails the calls, not the start.
func (c *upstreamConfig) dialUpstream() (*grpc.ClientConn, error) {
	opts, err := dialOptions(c.upstreamPeer())
	if err != nil {
		return nil, err
	}
	// The proxy relays messages of any size the two ends agree on.
	opts = append(opts, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageBytes), grpc.MaxCallSendMsgSize(maxMessageBytes)), codecDialOption())
	conn, err := grpc.NewClient(c.upstream, opts...)
	if err != nil {
		return nil, fmt.Errorf("--upstream %s: %w", c.upstream, err)
	}
	return conn, nil
}

// upstreamFallback is serve's proxy fallback: the calls no stub and no
// cassette answers go to --upstream through the record package's proxy
// (recording them with --record). The journal says so: their answer is
// "upstream".
type upstreamFallback struct {
	addr  string
	proxy *record.Proxy
}

func (f *upstreamFallback) Serve(c *mockserver.Call, received []proto.Message, halfClosed bool) error {
	c.SetAnswer("upstream")
	err := f.proxy.Serve(c, received, halfClosed)
	if st, ok := status.FromError(err); ok && st.Code() == codes.Unavailable && c.Context().Err() == nil &&
		strings.HasPrefix(st.Message(), "connection error") {
		// The upstream could not be reached (not an answer of its own):
		// say whose unavailability it is, since the client asked us.
		p := st.Proto()
		p.Message = fmt.Sprintf("grpcdouble: no stub or cassette answers %s, and the upstream %s is unavailable: %s", c.FullMethod(), f.addr, p.Message)
		return status.FromProto(p).Err()
	}
	return err
}

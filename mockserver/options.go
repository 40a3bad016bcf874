package mockserver

import (
	"crypto/tls"
	"net"

	"google.golang.org/grpc"
)

// Option configures a Server.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	sources      []Source
	services     []string
	listener     net.Listener
	tcpAddr      string
	bufSize      int
	tlsConfig    *tls.Config
	clientTLS    *tls.Config
	reflection   bool
	health       bool
	journalLimit int
	journalBytes int64
	noJournal    bool
	serverOpts   []grpc.ServerOption
	dialOpts     []grpc.DialOption
	maxMsg       int
}

func newConfig(opts []Option) *config {
	c := &config{reflection: true, health: true, bufSize: defaultBufSize, journalBytes: DefaultJournalBytes}
	for _, o := range opts {
		o.apply(c)
	}
	return c
}

// WithSource adds a descriptor source; every service it offers is served.
func WithSource(s Source) Option {
	return optionFunc(func(c *config) { c.sources = append(c.sources, s) })
}

// WithServices serves services by full name, found in the sources or else
// among the compiled Go types.
func WithServices(names ...string) Option {
	return optionFunc(func(c *config) { c.services = append(c.services, names...) })
}

// WithProtoFiles is WithSource(ProtoFiles(importPaths, files...)).
func WithProtoFiles(importPaths []string, files ...string) Option {
	return WithSource(ProtoFiles(importPaths, files...))
}

// WithProtoset is WithSource(Protoset(path)).
func WithProtoset(path string) Option { return WithSource(Protoset(path)) }

// WithTCP serves on a TCP address ("127.0.0.1:0" picks a free port) instead
// of an in-memory bufconn listener.
func WithTCP(addr string) Option { return optionFunc(func(c *config) { c.tcpAddr = addr }) }

// WithListener serves on the caller's listener, which the server closes.
// ClientConn then dials the listener's address on its network (TCP or a
// Unix socket); a *bufconn.Listener is dialled in memory.
func WithListener(l net.Listener) Option { return optionFunc(func(c *config) { c.listener = l }) }

// WithBufferSize sets the size in bytes of each direction's bufconn buffer
// (default 64 KiB). Every connection allocates two, zeroed, when it is
// made: at 1 MiB that was most of what starting a server and its first call
// cost. Messages larger than the buffer still pass, in pieces.
func WithBufferSize(n int) Option { return optionFunc(func(c *config) { c.bufSize = n }) }

// WithTLS serves TLS with the given configuration; set ClientAuth and
// ClientCAs on it for mutual TLS.
func WithTLS(cfg *tls.Config) Option { return optionFunc(func(c *config) { c.tlsConfig = cfg }) }

// WithClientTLS is the TLS configuration ClientConn uses to reach a TLS
// server (its RootCAs, and Certificates for mTLS).
func WithClientTLS(cfg *tls.Config) Option { return optionFunc(func(c *config) { c.clientTLS = cfg }) }

// WithoutReflection turns off the server-reflection service.
func WithoutReflection() Option { return optionFunc(func(c *config) { c.reflection = false }) }

// WithoutHealth turns off the grpc.health.v1 service.
func WithoutHealth() Option { return optionFunc(func(c *config) { c.health = false }) }

// WithJournalLimit keeps only the newest n calls in the journal (0: all).
// Long-running servers should set one.
func WithJournalLimit(n int) Option { return optionFunc(func(c *config) { c.journalLimit = n }) }

// DefaultJournalBytes bounds what the journal holds, in bytes, unless
// WithJournalBytes says otherwise: 64 MiB.
const DefaultJournalBytes = 64 << 20

// WithJournalBytes bounds what the journal holds to about n bytes of
// messages, metadata and events (n <= 0: no bound). Over it, the oldest
// calls are dropped (JournalStats counts them). One call keeps at most half
// of n: past that its messages are counted (CallRecord.DroppedMessages),
// not kept. A message over n/16 bytes, or incoming metadata over that, is
// kept truncated: the message's leading whole fields, up to 4 KiB, marked
// Event.Truncated with its real Size; metadata values cut, marked
// CallRecord.MetadataTruncated. Without it, 60 calls of 50 MB each held
// 5 GB.
func WithJournalBytes(n int64) Option {
	return optionFunc(func(c *config) { c.journalBytes = max(n, 0) })
}

// WithoutJournal keeps no journal at all: Calls returns nothing.
func WithoutJournal() Option { return optionFunc(func(c *config) { c.noJournal = true }) }

// DefaultMaxSendSize is the largest message a server sends unless
// WithMaxMessageSize says otherwise (gRPC's own default is 2 GiB). Scripts
// that pad messages (expect's PadTo, stub "padTo" and "sendOversized") are
// refused at load above this plus one byte: nothing larger can be tested,
// and allocating it could take the process down.
const DefaultMaxSendSize = 64 << 20

// WithMaxMessageSize lets the server receive and send messages of up to n
// bytes (the defaults: 4 MiB received, DefaultMaxSendSize sent). Unlike the same
// limits given through WithServerOptions, it keeps the server's fast path,
// which any user server option turns off.
func WithMaxMessageSize(n int) Option { return optionFunc(func(c *config) { c.maxMsg = n }) }

// WithServerOptions passes options (interceptors, limits, keepalive) to the
// underlying grpc.Server.
func WithServerOptions(opts ...grpc.ServerOption) Option {
	return optionFunc(func(c *config) { c.serverOpts = append(c.serverOpts, opts...) })
}

// WithDialOptions adds options to the connection ClientConn makes.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return optionFunc(func(c *config) { c.dialOpts = append(c.dialOpts, opts...) })
}

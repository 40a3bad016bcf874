package record

import (
	"google.golang.org/grpc"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/replay"
)

// Option configures a Recorder, and Connect.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	redact       []string
	keep         []string
	afterCapture []func(*cassette.Interaction)
	beforeSave   []func(*cassette.Interaction)
	timing       bool
	writerOpts   []cassette.WriterOption
	onWriteError []func(*cassette.Interaction, error)

	// Connect only.
	mode       Mode
	upstream   func() (grpc.ClientConnInterface, func() error, error)
	replayOpts []replay.Option
	serverOpts []mockserver.Option
}

func newConfig(opts []Option) *config {
	c := &config{timing: true, mode: ModeRecordOnce}
	for _, o := range opts {
		o.apply(c)
	}
	return c
}

// Redact adds metadata keys whose values are replaced with
// cassette.Redacted, on top of the default: every key that names a
// credential (cassette.DefaultRedacts: keys containing token, api-key,
// apikey, secret, password, cookie, authorization, session or credential,
// grpcdouble-session excepted).
func Redact(keys ...string) Option {
	return optionFunc(func(c *config) { c.redact = append(c.redact, keys...) })
}

// Keep records these metadata keys as they are, even those redacted by
// default (for a test token a test asserts on).
func Keep(keys ...string) Option {
	return optionFunc(func(c *config) { c.keep = append(c.keep, keys...) })
}

// OnWriteError runs f at once for each interaction the Sink failed to
// write (a full disk: the cassette writer has cut the file back to its last
// whole interaction), so the failure is seen while recording goes on, not
// only at Close. Later interactions are still written.
func OnWriteError(f func(in *cassette.Interaction, err error)) Option {
	return optionFunc(func(c *config) { c.onWriteError = append(c.onWriteError, f) })
}

// AfterCapture runs f on each interaction as captured, before redaction.
func AfterCapture(f func(*cassette.Interaction)) Option {
	return optionFunc(func(c *config) { c.afterCapture = append(c.afterCapture, f) })
}

// BeforeSave runs f on each interaction after redaction, just before it is
// written: the last word on what reaches the file.
func BeforeSave(f func(*cassette.Interaction)) Option {
	return optionFunc(func(c *config) { c.beforeSave = append(c.beforeSave, f) })
}

// WithoutTiming records no offsets, durations or timeouts, so re-recording
// the same traffic gives the same file.
func WithoutTiming() Option { return optionFunc(func(c *config) { c.timing = false }) }

// WithWriterOptions passes options (such as cassette.NoSync) to the
// cassette writer Create, Append and Connect open.
func WithWriterOptions(opts ...cassette.WriterOption) Option {
	return optionFunc(func(c *config) { c.writerOpts = append(c.writerOpts, opts...) })
}

// WithMode sets Connect's mode; the GRPCDOUBLE_RECORD variable, when set,
// overrides it.
func WithMode(m Mode) Option { return optionFunc(func(c *config) { c.mode = m }) }

// Upstream is the live server Connect records from: dialed with
// grpc.NewClient(target, opts...) only in modes that need it, and closed
// at the test's cleanup.
func Upstream(target string, opts ...grpc.DialOption) Option {
	return optionFunc(func(c *config) {
		c.upstream = func() (grpc.ClientConnInterface, func() error, error) {
			cc, err := grpc.NewClient(target, opts...)
			if err != nil {
				return nil, nil, err
			}
			return cc, cc.Close, nil
		}
	})
}

// UpstreamConn is the live server Connect records from, as a connection
// the caller owns.
func UpstreamConn(cc grpc.ClientConnInterface) Option {
	return optionFunc(func(c *config) {
		c.upstream = func() (grpc.ClientConnInterface, func() error, error) { return cc, func() error { return nil }, nil }
	})
}

// WithReplayOptions passes options to the replay handler Connect builds.
func WithReplayOptions(opts ...replay.Option) Option {
	return optionFunc(func(c *config) { c.replayOpts = append(c.replayOpts, opts...) })
}

// WithServerOptions passes options to the mock server Connect starts, for
// example mockserver.WithServices or mockserver.WithProtoFiles so the
// recording proxy knows the services (without any, it asks the upstream by
// server reflection).
func WithServerOptions(opts ...mockserver.Option) Option {
	return optionFunc(func(c *config) { c.serverOpts = append(c.serverOpts, opts...) })
}

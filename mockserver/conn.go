package mockserver

import (
	"errors"
	"net"
	"sync"

	"google.golang.org/grpc/peer"
)

// ErrNoConnection is returned by Call.CloseConnection when the call did not
// come in on a connection this server accepted.
var ErrNoConnection = errors.New("mockserver: the call's connection is not one this server accepted")

// trackListener wraps every accepted connection so a call can find, and
// close, the transport connection it came in on. gRPC reports a
// connection's RemoteAddr as the call's peer address, for insecure and TLS
// connections alike, so the connection travels with the address: String
// and Network are the original address's.
type trackListener struct{ net.Listener }

func (l trackListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c}
	tc.addr = &connAddr{addr: c.RemoteAddr(), conn: tc}
	return tc, nil
}

type trackedConn struct {
	net.Conn
	addr      *connAddr
	closeOnce sync.Once
	closeErr  error
}

func (c *trackedConn) RemoteAddr() net.Addr { return c.addr }

func (c *trackedConn) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.Conn.Close() })
	return c.closeErr
}

// connAddr is the peer address of a served call: the client's address, and
// the connection it came on.
type connAddr struct {
	addr net.Addr
	conn *trackedConn
}

func (a *connAddr) Network() string {
	if a.addr == nil {
		return ""
	}
	return a.addr.Network()
}

func (a *connAddr) String() string {
	if a.addr == nil {
		return ""
	}
	return a.addr.String()
}

// Unwrap returns the address as the listener reported it.
func (a *connAddr) Unwrap() net.Addr { return a.addr }

// CloseConnection closes the transport connection the call came in on, at
// once and without a GOAWAY, as a dropped network would: every call on that
// connection ends, and their clients see codes.Unavailable. As on a real
// network, messages sent just before that may still be queued and never
// arrive; a message the client has read and answered certainly did. The call's
// context is cancelled soon after; a handler should then return. The
// client's ClientConn reconnects for later calls.
func (c *Call) CloseConnection() error {
	p, ok := peer.FromContext(c.ctx)
	if !ok {
		return ErrNoConnection
	}
	a, ok := p.Addr.(*connAddr)
	if !ok {
		return ErrNoConnection
	}
	return a.conn.Close()
}

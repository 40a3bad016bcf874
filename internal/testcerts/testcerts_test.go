package testcerts_test

import (
	"crypto/tls"
	"fmt"
	"testing"

	"go.uber.org/goleak"

	"github.com/grpcdouble/grpcdouble/internal/testcerts"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestHandshake(t *testing.T) {
	set, err := testcerts.New()
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", set.ServerTLS(true))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	errc := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		errc <- c.(*tls.Conn).Handshake()
	}()
	c, err := tls.Dial("tcp", l.Addr().String(), set.ClientTLS(true))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := <-errc; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
}

func Example() {
	set, err := testcerts.New()
	if err != nil {
		panic(err)
	}
	fmt.Println(set.ClientTLS(true).ServerName, len(set.ClientTLS(true).Certificates))
	// Output: localhost 1
}

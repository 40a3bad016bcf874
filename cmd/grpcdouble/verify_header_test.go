package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/grpcdouble/grpcdouble/internal/verifytest"
	vpb "github.com/grpcdouble/grpcdouble/internal/verifytest/verifypb"
)

// Headers recorded before the client's first request (its client waited
// for them) must come before it live too: headers that now wait for the
// request are an interleaving drift, and --update moves them.
func TestVerifyCommandHeaderMoved(t *testing.T) {
	t.Parallel()
	s := verifytest.New()
	s.SetGreetFirst(false)
	s.SetHeaderFirst(true)
	upstream := verifytest.Start(t, s)
	path := filepath.Join(t.TempDir(), "lookup.cassette")
	addr, _, stop := runInProcess(t, "record", "--listen", "127.0.0.1:0", "--upstream", upstream, "--cassette", path, "--without-timing")
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecureCreds()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), catalogTimeout)
	defer cancel()
	lk, err := vpb.NewInventoryClient(conn).Lookup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lk.Header(); err != nil {
		t.Fatal(err)
	}
	if err := lk.Send(&vpb.LookupRequest{Id: "a1"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := lk.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	if err := lk.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := lk.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("Lookup end: %v", err)
	}
	_ = conn.Close()
	if err := stop(); err != nil {
		t.Fatalf("record: %v", err)
	}

	verify := func(extra ...string) (string, string, int) {
		return runOnce(t, append([]string{"verify", "--cassette", path, "--upstream", upstream, "--step-timeout", "300ms"}, extra...)...)
	}
	if out, errOut, code := verify(); code != 0 {
		t.Fatalf("unchanged: exit %d\n%s%s", code, out, errOut)
	}
	s.SetHeaderFirst(false)
	out, errOut, code := verify()
	if code != 1 || !strings.Contains(out, "(interaction #1): drift /verifytest.v1.Inventory/Lookup\n  interleaving: recorded the response headers before client event #1; the live service sent none for 300ms, so the client carried on") {
		t.Fatalf("headers moved: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := verify("--update"); code != 1 || !strings.Contains(out, "updated 1 drifted interaction(s)") {
		t.Fatalf("--update: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := verify(); code != 0 {
		t.Fatalf("after --update: exit %d\n%s%s", code, out, errOut)
	}
}

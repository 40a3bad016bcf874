package record_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
)

// helperEnv makes TestHelperProcess record to the cassette it names.
const helperEnv = "GRPCDOUBLE_TEST_RECORD_HELPER"

// finishedBeforeKill is how many calls the helper finishes before the kill.
const finishedBeforeKill = 7

// killTimeout bounds the whole kill test.
const killTimeout = 60 * time.Second

// TestHelperProcess is not a test: TestSIGKILLKeepsFinishedCalls runs the
// test binary again with helperEnv set, and this records through the proxy,
// prints "done N" after each finished call, leaves two calls in flight,
// prints "ready" and waits to be killed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("run by TestSIGKILLKeepsFinishedCalls")
	}
	upstream, _ := startReal(t)
	rec, err := record.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := mockserver.Start(t, rec.Proxy(upstream), mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	ctx := context.Background()
	for i := range finishedBeforeKill {
		if _, err := client.GetFeature(ctx, &pb.Point{Latitude: int32(i)}); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("done %d\n", i)
	}
	// In flight when the kill comes: a unary call that hangs and a stream
	// half-way through.
	go func() { _, _ = client.GetFeature(ctx, &pb.Point{Latitude: latHang}) }()
	s, err := client.RouteChat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&pb.RouteNote{Message: "unfinished"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	<-make(chan struct{}) // until killed (the child's -test.timeout bounds it)
}

func TestSIGKILLKeepsFinishedCalls(t *testing.T) {
	path := filepath.Join(t.TempDir(), "killed.cassette")
	ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	done, ready := 0, false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "done ") {
			done++
		}
		if line == "ready" {
			ready = true
			break
		}
	}
	require.True(t, ready, "helper never got ready (stderr: %s)", stderr.String())
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no cleanup, no flush
	_ = cmd.Wait()
	require.Equal(t, finishedBeforeKill, done)

	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Nil(t, c.Torn)
	require.Len(t, c.Interactions, finishedBeforeKill, "every call finished before the kill, and none in flight")
	for i, in := range c.Interactions {
		msgs := in.ClientMessages()
		require.Len(t, msgs, 1)
		p, err := msgs[0].Decode((&pb.Point{}).ProtoReflect().Type())
		require.NoError(t, err)
		require.Equal(t, int32(i), p.(*pb.Point).Latitude)
		require.Len(t, in.ServerMessages(), 1)
	}

	// And recording can go on where it stopped.
	w, err := cassette.Append(path)
	require.NoError(t, err)
	require.Equal(t, finishedBeforeKill, w.Count())
	require.NoError(t, w.Close())
}

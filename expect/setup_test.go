package expect_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// lineT is a fake test that decides where a report points the way the
// testing package does: at the first caller that did not call Helper.
type lineT struct {
	mu       sync.Mutex
	helpers  map[string]bool
	reports  []string
	cleanups []func()
}

func newLineT() *lineT { return &lineT{helpers: map[string]bool{}} }

func (f *lineT) Helper() {
	pc, _, _, _ := runtime.Caller(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.helpers[runtime.FuncForPC(pc).Name()] = true
}

func (f *lineT) Errorf(format string, args ...any) {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	f.mu.Lock()
	defer f.mu.Unlock()
	where := "?"
	for {
		fr, more := frames.Next()
		if !f.helpers[fr.Function] {
			where = fmt.Sprintf("%s:%d", filepath.Base(fr.File), fr.Line)
			break
		}
		if !more {
			break
		}
	}
	f.reports = append(f.reports, where+": "+fmt.Sprintf(format, args...))
}

func (f *lineT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

func (f *lineT) finish() []string {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reports
}

func line() int {
	_, _, l, _ := runtime.Caller(1)
	return l
}

// inventoryItem is a message of a type the routeguide service does not
// use, built at run time: inventory.v1.Item.
func inventoryItem(t *testing.T) *dynamicpb.Message {
	t.Helper()
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:        new("inventory/v1/item.proto"),
		Package:     new("inventory.v1"),
		Syntax:      new("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: new("Item")}},
	}, nil)
	require.NoError(t, err)
	return dynamicpb.NewMessage(fd.Messages().Get(0))
}

// A wrong response type is reported once, at the line of the test that
// declared it, and neither the server's start nor the cleanup repeat it.
func TestSetupErrorReportedOnceAtTheCallersLine(t *testing.T) {
	for _, tc := range []struct {
		name    string
		declare func(m *expect.Mock) int
		want    string
	}{
		{"Return", func(m *expect.Mock) int {
			m.Unary(getFeature).Return(inventoryItem(t))
			return line() - 1
		}, "Return: /routeguide.RouteGuide/GetFeature returns: got an inventory.v1.Item, want a routeguide.Feature"},
		{"WithRequest", func(m *expect.Mock) int {
			m.ServerStream(listFeatures).WithRequest(&pb.Feature{}).Send(&pb.Feature{})
			return line() - 1
		}, "WithRequest: /routeguide.RouteGuide/ListFeatures takes: got a routeguide.Feature, want a routeguide.Rectangle"},
		{"Times", func(m *expect.Mock) int {
			m.Bidi(routeChat).Times(-1)
			return line() - 1
		}, "Times(-1): a call count cannot be negative"},
		{"WithMetadataRegexp", func(m *expect.Mock) int {
			m.ClientStream(recordRoute).WithMetadataRegexp("a", "(").Return(&pb.RouteSummary{})
			return line() - 1
		}, `WithMetadataRegexp("a")`},
		{"AbortAfter", func(m *expect.Mock) int {
			m.ServerStream(listFeatures).AbortAfter(-1, 14, "x")
			return line() - 1
		}, "AbortAfter: -1 messages: want 0 or more"},
		{"unknown method", func(m *expect.Mock) int {
			m.Unary("/routeguide.RouteGuide/Nope").Return(&pb.Feature{})
			return line() - 1
		}, "service routeguide.RouteGuide has no method Nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := newLineT()
			m := expect.New(ft)
			at := tc.declare(m)
			_, err := mockserver.New(m)
			require.Error(t, err)
			assert.ErrorIs(t, err, mockserver.ErrReported, "Start would fail the test without repeating it")
			reports := ft.finish()
			require.Len(t, reports, 1, "%q", reports)
			assert.True(t, strings.HasPrefix(reports[0], fmt.Sprintf("setup_test.go:%d: expect: bad expectation: setup_test.go:%d: ", at, at)), reports[0])
			assert.Contains(t, reports[0], tc.want)
		})
	}
}

// An error only the server's descriptors reveal is Bind's to return, once:
// Start reports it (at the test's line), the cleanup does not repeat it.
func TestSetupErrorFoundAtStartReportedOnce(t *testing.T) {
	ft := newLineT()
	m := expect.New(ft)
	m.Unary("/echo.v1.EchoService/Echo").Return(&pb.Feature{})
	_, err := mockserver.New(m, mockserver.WithProtoFiles([]string{"../testdata/protos"}, "echo/v1/echo.proto"))
	require.Error(t, err)
	assert.NotErrorIs(t, err, mockserver.ErrReported)
	assert.ErrorIs(t, err, expect.ErrSetup)
	assert.Contains(t, err.Error(), "Return: /echo.v1.EchoService/Echo returns: got a routeguide.Feature, want an echo.v1.EchoResponse")
	assert.Empty(t, ft.finish())
}

// With the real testing package and mockserver.Start: the test output has
// the error once, at the test's line.
func TestSetupErrorOnceInGoTestOutput(t *testing.T) {
	if os.Getenv("GRPCDOUBLE_SETUP_PROBE") != "" {
		t.Skip("the probe runs only in its own process")
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestSetupErrorProbe$", "-test.v")
	cmd.Env = append(os.Environ(), "GRPCDOUBLE_SETUP_PROBE=1")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the probe fails:\n%s", out)
	text := string(out)
	at := probeLine(t)
	assert.Equal(t, 1, strings.Count(text, "got an inventory.v1.Item"), "%s", text)
	assert.Contains(t, text, fmt.Sprintf("setup_test.go:%d: expect: bad expectation: setup_test.go:%d: Return: /routeguide.RouteGuide/GetFeature returns: got an inventory.v1.Item, want a routeguide.Feature", at, at))
	assert.NotContains(t, text, "expectation.go")
	assert.NotContains(t, text, "mockserver:")
	assert.NotContains(t, text, "unreachable")
}

// probeLine is the line of the Return in TestSetupErrorProbe.
func probeLine(t *testing.T) int {
	src, err := os.ReadFile("setup_test.go")
	require.NoError(t, err)
	for i, l := range strings.Split(string(src), "\n") {
		if strings.HasSuffix(l, "// the probe's bad line") {
			return i + 1
		}
	}
	t.Fatal("no probe line")
	return 0
}

func TestSetupErrorProbe(t *testing.T) {
	if os.Getenv("GRPCDOUBLE_SETUP_PROBE") == "" {
		t.Skip("run by TestSetupErrorOnceInGoTestOutput")
	}
	m := expect.New(t)
	m.Unary(getFeature).Return(inventoryItem(t)) // the probe's bad line
	mockserver.Start(t, m)
	t.Log("unreachable: Start stops the test")
}

package mockserver_test

import (
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// stopT is a test that records how Start stopped it.
type stopT struct {
	testing.TB
	fatals   []string
	failed   bool
	cleanups []func()
}

func (s *stopT) Helper()          {}
func (s *stopT) Cleanup(f func()) { s.cleanups = append(s.cleanups, f) }
func (s *stopT) Fatalf(format string, args ...any) {
	s.fatals = append(s.fatals, fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (s *stopT) FailNow() { s.failed = true; runtime.Goexit() }

type bindErr struct{ err error }

func (b bindErr) Handle(*mockserver.Call) error { return nil }
func (b bindErr) Methods() []string             { return []string{"/" + routeGuide + "/GetFeature"} }
func (b bindErr) Bind(mockserver.Methods) error { return b.err }
func (s *stopT) start(h mockserver.Handler) (stopped bool) {
	done := make(chan bool)
	go func() {
		stopped := true
		defer func() { done <- stopped }()
		mockserver.Start(s, h)
		stopped = false
	}()
	stopped = <-done
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
	return stopped
}

// Start fails the test on a handler's setup error, saying it once: an error
// the handler already reported (ErrReported) is not said again.
func TestStartSaysABindErrorOnce(t *testing.T) {
	reported := &stopT{}
	assert.True(t, reported.start(bindErr{fmt.Errorf("bad expectation: x_test.go:3: ... (%w)", mockserver.ErrReported)}))
	assert.True(t, reported.failed)
	assert.Empty(t, reported.fatals)

	fresh := &stopT{}
	assert.True(t, fresh.start(bindErr{errors.New("bad expectation: x_test.go:3: wrong type")}))
	assert.False(t, fresh.failed)
	assert.Equal(t, []string{"mockserver: bad expectation: x_test.go:3: wrong type"}, fresh.fatals)
}

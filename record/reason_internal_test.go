package record

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// lateCtx is a call's context whose deadline has passed while its timer
// has not yet run, as happens on a loaded machine: Err is still nil.
type lateCtx struct {
	context.Context
	deadline time.Time
}

func (c lateCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// TestProxyEndReason: how a proxied call that the upstream ended is
// recorded, decided by the clock and the upstream's status, not by
// whether the proxy's own deadline timer has fired yet.
func TestProxyEndReason(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name     string
		deadline time.Time // zero: none
		code     codes.Code
		want     string
	}{
		{"upstream Canceled after the deadline, the proxy's timer not yet run", now.Add(-10 * time.Millisecond), codes.Canceled, "deadline exceeded"},
		{"upstream DeadlineExceeded after the deadline", now.Add(-10 * time.Millisecond), codes.DeadlineExceeded, "deadline exceeded"},
		{"upstream DeadlineExceeded just before the deadline", now.Add(time.Hour), codes.DeadlineExceeded, ""},
		{"upstream Canceled long before the deadline", now.Add(time.Hour), codes.Canceled, ""},
		{"upstream Canceled, no deadline", time.Time{}, codes.Canceled, ""},
		{"another error after the deadline", now.Add(-10 * time.Millisecond), codes.Unavailable, ""},
	} {
		ctx := context.Background()
		if !tc.deadline.IsZero() {
			ctx = lateCtx{Context: ctx, deadline: tc.deadline}
		}
		if got := proxyEndReason(ctx, status.New(tc.code, "x")); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

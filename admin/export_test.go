package admin

import "time"

// SetRejectClock makes a's log of rejected requests read the time from now
// and never flush on its own: tests then say when a second has passed.
func SetRejectClock(a *API, now func() time.Time) {
	a.rejected.now = now
	a.rejected.manual = true
}

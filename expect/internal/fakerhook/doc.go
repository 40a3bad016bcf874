// Package fakerhook is where package expect/faker registers its generator,
// so that package expect links gofakeit only in programs that import it.
package fakerhook

import "time"

// New, when set, returns a faker generator seeded by seed; its past and
// future dates are relative to now (the call's start).
var New func(seed uint64, now time.Time) any

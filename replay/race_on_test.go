//go:build race

package replay_test

// raceBuild: in a -race build the allocation counts of one call vary by
// tens of kilobytes from run to run, so they say nothing there.
const raceBuild = true

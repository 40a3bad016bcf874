//go:build race

package expect_test

// raceBuild: a -race build allocates more for the same work, so allocation
// figures are held to their own bound there.
const raceBuild = true

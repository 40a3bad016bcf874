//go:build !race

package expect_test

const raceBuild = false

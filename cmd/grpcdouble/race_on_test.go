//go:build race

package main

// raceBuild: the race detector keeps shadow memory it never gives back,
// so memory figures of a -race build are measured but not held to a bound.
const raceBuild = true

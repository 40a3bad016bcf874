// Package parallel runs the chunks of a big stub file's work on every
// core: parsing a native file's chunks, a foreign file's YAML, its
// translation and the compile of its stubs all share this one loop.
package parallel

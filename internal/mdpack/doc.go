// Package mdpack flattens gRPC metadata into bytes and back.
//
// What a double keeps of a call (mockserver's journal, expect's Calls) may
// be kept for thousands of calls until the test ends. Kept as maps, the
// metadata is thousands of small pointer-holding objects the GC must trace
// on every cycle, which showed in the unary benchmarks as mark work a
// generated server never does; flattened, it is bytes the GC never scans.
package mdpack

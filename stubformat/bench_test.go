package stubformat_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

// manyStubs writes n stubs of GetItem, each for its own id, as a gripmock
// file and as the native file a person would write for the same stubs.
func manyStubs(b *testing.B, n int) (gripmockFile, nativeFile string) {
	b.Helper()
	dir := b.TempDir()
	var g, nat strings.Builder
	for i := range n {
		fmt.Fprintf(&g, "- service: shop.v1.ShopService\n  method: GetItem\n  input:\n    equals:\n      id: item-%d\n  output:\n    data:\n      name: item %d\n      price: %d\n", i, i, i)
		fmt.Fprintf(&nat, "- method: shop.v1.ShopService/GetItem\n  request:\n    fields:\n      id: item-%d\n  response:\n    name: item %d\n    price: %d\n", i, i, i)
	}
	gripmockFile, nativeFile = filepath.Join(dir, "gripmock.yaml"), filepath.Join(dir, "native.yaml")
	if err := os.WriteFile(gripmockFile, []byte(g.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(nativeFile, []byte(nat.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return gripmockFile, nativeFile
}

// load10k serves the shop descriptors, writes 10,000 stubs as a gripmock
// file and as a native one, and returns what loads one file of them as
// grpcdouble serve does (stubformat.Load, format Auto) and adds its stubs
// to a Mock: the work the benchmarks below time, the same for both.
func load10k(b *testing.B) (load func(file string), gripmockFile, nativeFile string) {
	const n = 10_000
	gripmockFile, nativeFile = manyStubs(b, n)
	srv, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return func(file string) {
		stubs, err := stubformat.Load(srv, stubformat.Auto, file)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := expect.NewMock().AddStubs(stubs...); err != nil {
			b.Fatal(err)
		}
		if len(stubs) != n {
			b.Fatalf("loaded %d stubs, want %d", len(stubs), n)
		}
	}, gripmockFile, nativeFile
}

// BenchmarkLoad10kPaired loads 10,000 gripmock stubs and the same 10,000
// as native stubs, alternating load by load against one server's
// descriptors, and reports the time ratio (gripmock/native): drift of a
// shared machine hits both sides alike. It reports the ratio of the CPU
// time the process spent on each side too (gripmock/native-cpu): the work,
// which other programs on a loaded machine change less than the time.
func BenchmarkLoad10kPaired(b *testing.B) {
	load, gripmockFile, nativeFile := load10k(b)
	var g, nat, gCPU, natCPU time.Duration
	timed := func(file string, wall, cpu *time.Duration) {
		start, startCPU := time.Now(), cpuTime(b)
		load(file)
		*wall += time.Since(start)
		*cpu += cpuTime(b) - startCPU
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			timed(gripmockFile, &g, &gCPU)
			timed(nativeFile, &nat, &natCPU)
		} else {
			timed(nativeFile, &nat, &natCPU)
			timed(gripmockFile, &g, &gCPU)
		}
	}
	b.ReportMetric(float64(g)/float64(nat), "gripmock/native")
	b.ReportMetric(float64(gCPU)/float64(natCPU), "gripmock/native-cpu")
	b.ReportMetric(float64(g.Milliseconds())/float64(b.N), "gripmock-ms/load")
	b.ReportMetric(float64(nat.Milliseconds())/float64(b.N), "native-ms/load")
}

// cpuTime is the CPU time the process has spent, in user and system mode.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLoad10k is BenchmarkLoad10kPaired's two sides apart, each with
// its own allocations: run one with -cpuprofile or -memprofile to see
// where its loading goes.
func BenchmarkLoad10k(b *testing.B) {
	load, gripmockFile, nativeFile := load10k(b)
	for _, f := range []struct{ name, file string }{{"gripmock", gripmockFile}, {"native", nativeFile}} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				load(f.file)
			}
		})
	}
}

// BenchmarkServeLoad100k does what grpcdouble serve does with --stubs: read
// a native file of 100,000 stubs in the Auto format and put them in a
// Sessions' global Mock. Run with -benchtime=1x and -memprofile/-cpuprofile
// to see where loading goes.
func BenchmarkServeLoad100k(b *testing.B) {
	const n = 100_000
	_, nativeFile := manyStubs(b, n)
	srv, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	b.ResetTimer()
	for b.Loop() {
		stubs, err := stubformat.Load(srv, stubformat.Auto, nativeFile)
		if err != nil {
			b.Fatal(err)
		}
		s := expect.NewSessions()
		if _, err := s.ReplaceFiles(stubs); err != nil {
			b.Fatal(err)
		}
		if len(s.Global().Mock().Stubs()) != n {
			b.Fatalf("loaded %d stubs, want %d", len(s.Global().Mock().Stubs()), n)
		}
	}
}

package javatext_test

import (
	"fmt"
	"math"
	"testing"

	"go.uber.org/goleak"

	"github.com/grpcdouble/grpcdouble/internal/javatext"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// What Java 21's Double.toString prints for each.
func TestDoubleIsJavas(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0.0", math.Copysign(0, -1): "-0.0", 1: "1.0", -1.5: "-1.5", 11: "11.0", 0.001: "0.001",
		0.0001: "1.0E-4", 1234567.25: "1234567.25", 1e7: "1.0E7", 1.5e10: "1.5E10", 123456789: "1.23456789E8",
		1.0 / 3: "0.3333333333333333", 2e-5: "2.0E-5", -3.25e-7: "-3.25E-7", math.MaxFloat64: "1.7976931348623157E308",
		55: "55.0", 5.5: "5.5", 1.2345e7: "1.2345E7", 9999999: "9999999.0", 0.002: "0.002", 123.456: "123.456", 1e21: "1.0E21",
		-0.0035: "-0.0035", 1e6: "1000000.0", 1.5e-10: "1.5E-10", 4.9e-324: "4.9E-324",
		math.NaN(): "NaN", math.Inf(1): "Infinity", math.Inf(-1): "-Infinity",
	} {
		if got := javatext.Double(f); got != want {
			t.Errorf("Double(%v) = %q, want %q", f, got, want)
		}
	}
}

func ExampleDouble() {
	fmt.Println(javatext.Double(11), javatext.Double(1e7), javatext.Double(0.5))
	// Output: 11.0 1.0E7 0.5
}

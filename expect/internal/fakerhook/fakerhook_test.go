package fakerhook_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/grpcdouble/grpcdouble/expect/faker"
	"github.com/grpcdouble/grpcdouble/expect/internal/fakerhook"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Importing expect/faker sets the hook to its generator.
func TestFakerSetsTheHook(t *testing.T) {
	if fakerhook.New == nil {
		t.Fatal("fakerhook.New is nil with expect/faker imported")
	}
	if _, ok := fakerhook.New(1, time.Now()).(*faker.Generator); !ok {
		t.Errorf("fakerhook.New gives %T, want *faker.Generator", fakerhook.New(1, time.Now()))
	}
}

package stubformat_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

// FuzzParse feeds the readers any bytes: they must answer with stubs or an
// error wrapping expect.ErrStubFile, never a panic. Seeds: the fixtures.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata/gripmock", "testdata/wiremock", "testdata/wiremock-templates", "testdata/mixed", "testdata/ranked"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []stubformat.Format{stubformat.Auto, stubformat.Gripmock, stubformat.WireMock} {
			_, err := stubformat.Parse("fuzz.yaml", data, format, nil)
			if err != nil && !errors.Is(err, expect.ErrStubFile) {
				t.Fatalf("%s: error does not wrap ErrStubFile: %v", format, err)
			}
		}
	})
}

package expect_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/expect"
)

// go doc lists every method of the types a user holds, including the ones
// every kind shares (run go generate ./expect after adding one).
func TestGoDocListsEveryMethod(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, parser.ParseComments)
		require.NoError(t, err)
		files = append(files, f)
	}
	pkg, err := doc.NewFromFiles(fset, files, "github.com/grpcdouble/grpcdouble/expect")
	require.NoError(t, err)
	listed := map[string][]string{}
	for _, typ := range pkg.Types {
		for _, m := range typ.Methods {
			listed[typ.Name] = append(listed[typ.Name], m.Name)
		}
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[*expect.UnaryExpectation](), reflect.TypeFor[*expect.ServerStreamExpectation](),
		reflect.TypeFor[*expect.ClientStreamExpectation](), reflect.TypeFor[*expect.BidiExpectation](),
		reflect.TypeFor[*expect.Mock](),
	} {
		name := typ.Elem().Name()
		var want []string
		for i := range typ.NumMethod() {
			want = append(want, typ.Method(i).Name)
		}
		got := slices.Sorted(slices.Values(listed[name]))
		assert.Equal(t, want, got, "go doc expect.%s does not list every method (run go generate ./expect)", name)
		if name != "Mock" {
			assert.Subset(t, got, []string{"WithMetadata", "ReturnTrailer", "Times", "Calls", "ID"}, name)
		}
	}
}

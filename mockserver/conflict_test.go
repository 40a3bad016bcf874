package mockserver_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Reflection's registry of the served files is made on the first request
// when every file is a linked one; files that are not are still checked at
// start: two that declare the same names stop the server from starting,
// and a server that did not start leaves no goroutine behind (goleak in
// TestMain: its handler goroutines are stopped).
func TestConflictingFilesFailTheStart(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "other.proto"), []byte(`syntax = "proto3";
package routeguide;
message Point { int32 latitude = 1; }
service Other { rpc Get(Point) returns (Point); }
`), 0o600))
	_, err := mockserver.New(kindHandler, mockserver.WithServices(routeGuide, "routeguide.Other"), mockserver.WithProtoFiles([]string{dir}, "other.proto"))
	require.ErrorContains(t, err, `name conflict over routeguide.Point`)
}

package mockserver_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// lister is a handler that names its methods (and may bind itself).
type lister struct {
	methods []string
	bindErr error
}

func (l lister) Handle(*mockserver.Call) error { return nil }
func (l lister) Methods() []string             { return l.methods }
func (l lister) Bind(mockserver.Methods) error { return l.bindErr }

var errBind = errors.New("expectation for /routeguide.RouteGuide/Nope: no such method")

// TestBadInput: every kind of bad input gets an error that says what and
// where, and never a panic.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name    string
		handler mockserver.Handler
		opts    []mockserver.Option
		wantIs  error
		want    []string // substrings of the error
	}{
		{
			name: "proto syntax error",
			opts: []mockserver.Option{mockserver.WithProtoFiles([]string{protoDir}, "bad/syntax_error.proto")},
			want: []string{"bad/syntax_error.proto:8:27", "syntax error"},
		},
		{
			name: "proto syntax error named with its import path",
			opts: []mockserver.Option{mockserver.WithProtoFiles([]string{protoDir}, protoDir+"/bad/syntax_error.proto")},
			want: []string{"bad/syntax_error.proto:8:27"},
		},
		{
			name: "proto missing import",
			opts: []mockserver.Option{mockserver.WithProtoFiles([]string{protoDir}, "bad/missing_import.proto")},
			want: []string{"bad/missing_import.proto:6:8", "nowhere/missing.proto"},
		},
		{
			name: "proto file that does not exist",
			opts: []mockserver.Option{mockserver.WithProtoFiles([]string{protoDir}, "echo/v1/nope.proto")},
			want: []string{"echo/v1/nope.proto", "import paths ../testdata/protos"},
		},
		{
			name: "proto source without files",
			opts: []mockserver.Option{mockserver.WithProtoFiles([]string{protoDir})},
			want: []string{"no .proto files given"},
		},
		{
			name: "protoset that is not one",
			opts: []mockserver.Option{mockserver.WithProtoset("../testdata/protosets/not-a-protoset.txt")},
			want: []string{"not-a-protoset.txt", "--descriptor_set_out"},
		},
		{
			name: "protoset that is a .proto file",
			opts: []mockserver.Option{mockserver.WithProtoset(protoDir + "/" + echoProto)},
			want: []string{"echo.proto", "--descriptor_set_out"},
		},
		{
			name: "protoset written without --include_imports",
			opts: []mockserver.Option{mockserver.WithProtoset("../testdata/protosets/echo-no-imports.protoset")},
			want: []string{"echo-no-imports.protoset", "--include_imports"},
		},
		{
			name: "protoset that does not exist",
			opts: []mockserver.Option{mockserver.WithProtoset("../testdata/protosets/nope.protoset")},
			want: []string{"nope.protoset", "no such file"},
		},
		{
			name:   "service no source has",
			opts:   []mockserver.Option{mockserver.WithProtoset(echoProtoset), mockserver.WithServices("echo.v1.EchoServce")},
			wantIs: mockserver.ErrServiceNotFound,
			want:   []string{`"echo.v1.EchoServce"`, "the sources offer: echo.v1.EchoService"},
		},
		{
			name:   "service no source has, no sources",
			opts:   []mockserver.Option{mockserver.WithServices("nope.v1.Nope")},
			wantIs: mockserver.ErrServiceNotFound,
			want:   []string{`"nope.v1.Nope"`, "the sources offer: (none)"},
		},
		{
			name:   "GoTypes service not linked in",
			opts:   []mockserver.Option{mockserver.WithSource(mockserver.GoTypes("nope.v1.Nope"))},
			wantIs: mockserver.ErrServiceNotFound,
			want:   []string{`"nope.v1.Nope"`, "compiled Go types"},
		},
		{
			name:   "GoTypes names a message, not a service",
			opts:   []mockserver.Option{mockserver.WithSource(mockserver.GoTypes("routeguide.Point"))},
			wantIs: mockserver.ErrServiceNotFound,
			want:   []string{`"routeguide.Point" is a message, not a service`},
		},
		{
			name:    "handler method of an unknown service",
			handler: lister{methods: []string{"/nope.v1.Nope/Do"}},
			opts:    []mockserver.Option{mockserver.WithProtoset(echoProtoset)},
			wantIs:  mockserver.ErrServiceNotFound,
			want:    []string{`"nope.v1.Nope"`, "echo.v1.EchoService"},
		},
		{
			name:    "malformed method name: no service",
			handler: lister{methods: []string{"GetFeature"}},
			want:    []string{`"GetFeature"`, "/package.Service/Method"},
		},
		{
			name:    "malformed method name: no method",
			handler: lister{methods: []string{"/routeguide.RouteGuide/"}},
			want:    []string{`"/routeguide.RouteGuide/"`, "/package.Service/Method"},
		},
		{
			name:    "malformed method name: empty",
			handler: lister{methods: []string{""}},
			want:    []string{`""`, "/package.Service/Method"},
		},
		{
			name:    "binder refuses",
			handler: lister{methods: []string{"/routeguide.RouteGuide/GetFeature"}, bindErr: errBind},
			wantIs:  errBind,
			want:    []string{"/routeguide.RouteGuide/Nope"},
		},
		{
			name: "bad TCP address",
			opts: []mockserver.Option{mockserver.WithServices(routeGuide), mockserver.WithTCP("256.0.0.1:0")},
			want: []string{"listen", "256.0.0.1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.handler
			if h == nil {
				h = kindHandler
			}
			var srv *mockserver.Server
			var err error
			require.NotPanics(t, func() { srv, err = mockserver.New(h, tc.opts...) })
			if srv != nil {
				_ = srv.Close()
			}
			require.Error(t, err)
			t.Logf("error: %v", err)
			if tc.wantIs != nil {
				require.ErrorIs(t, err, tc.wantIs)
			}
			for _, want := range tc.want {
				require.ErrorContains(t, err, want)
			}
		})
	}
}

func TestNilHandler(t *testing.T) {
	srv, err := mockserver.New(nil, mockserver.WithServices(routeGuide))
	require.Nil(t, srv)
	require.ErrorContains(t, err, "nil Handler")
}

func TestMalformedMethodNames(t *testing.T) {
	srv := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide))
	for _, name := range []string{"", "/", "//", "GetFeature", "/routeguide.RouteGuide/", "/GetFeature"} {
		_, err := mockserver.NormalizeMethod(name)
		require.ErrorContains(t, err, "/package.Service/Method", "%q", name)
		_, err = srv.Method(name)
		require.ErrorContains(t, err, "/package.Service/Method", "%q", name)
		require.Nil(t, srv.CallsTo(name))
	}
	for _, name := range []string{"/routeguide.RouteGuide/GetFeature", "routeguide.RouteGuide/GetFeature"} {
		got, err := mockserver.NormalizeMethod(name)
		require.NoError(t, err)
		require.Equal(t, "/routeguide.RouteGuide/GetFeature", got)
		md, err := srv.Method(name)
		require.NoError(t, err)
		require.Equal(t, "GetFeature", string(md.Name()))
	}
}

func TestMethodListerFindsServices(t *testing.T) {
	h := lister{methods: []string{"/routeguide.RouteGuide/GetFeature", "echo.v1.EchoService/Echo"}}
	srv := mockserver.Start(t, h, mockserver.WithProtoset(echoProtoset))
	var names []string
	for _, sd := range srv.Services() {
		names = append(names, string(sd.FullName()))
	}
	require.ElementsMatch(t, []string{echoService, routeGuide}, names)
}

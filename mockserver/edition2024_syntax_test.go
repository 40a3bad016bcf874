package mockserver_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Only the edition's digits change, and only in an edition 2024 file; what
// edition 2023 has no syntax for is named with its position.
func TestAs2023(t *testing.T) {
	const head = "edition = \"2024\";\npackage p;\n"
	for _, tc := range []struct {
		name, src, want, err string
	}{
		{name: "2024", src: head + "message M { string export = 1; }\n", want: strings.Replace(head, "2024", "2023", 1) + "message M { string export = 1; }\n"},
		{name: "single quotes", src: "edition = '2024';\n", want: "edition = '2023';\n"},
		{name: "2023 untouched", src: "edition = \"2023\";\nexport message M {}\n", want: "edition = \"2023\";\nexport message M {}\n"},
		{name: "proto3 untouched", src: "syntax = \"proto3\";\n// edition = \"2024\";\n", want: "syntax = \"proto3\";\n// edition = \"2024\";\n"},
		{name: "keywords in comments and strings", src: head + "// export message X\n/* import option \"a.proto\"; */\noption go_package = \"export message\";\n",
			want: strings.Replace(head, "2024", "2023", 1) + "// export message X\n/* import option \"a.proto\"; */\noption go_package = \"export message\";\n"},
		{name: "export", src: head + "export message M {}\n", err: `f.proto:3:1: "export message": edition 2024 symbol visibility is not supported`},
		{name: "local nested enum, after a tab", src: head + "message M {\n\tlocal enum E { E_UNSPECIFIED = 0; }\n}\n", err: `f.proto:4:9: "local enum": edition 2024 symbol visibility`},
		{name: "import option", src: head + "/* a\nb */ import option \"x.proto\";\n", err: `f.proto:4:6: "import option": edition 2024 option imports are not supported`},
		{name: "2024 feature", src: head + "option features.enforce_naming_style = STYLE_LEGACY;\n", err: "f.proto:3:17: feature enforce_naming_style: an edition 2024 feature is not supported"},
		{name: "2024 Go feature", src: head + "enum E {\n  option features.(pb.go).strip_enum_prefix = STRIP_ENUM_PREFIX_STRIP;\n  E_UNSPECIFIED = 0;\n}\n", err: "f.proto:4:27: feature strip_enum_prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mockserver.As2023("f.proto", []byte(tc.src))
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				assert.Contains(t, err.Error(), "grpcdouble compiles edition 2024 files as 2023")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
}

func FuzzAs2023(f *testing.F) {
	for _, s := range []string{"edition = \"2024\";\nexport message M {}\n", "edition = '2024'; /* x", "edition = \"2024\"; \"unterminated", "syntax = \"proto3\";"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		got, err := mockserver.As2023("f.proto", src)
		if err == nil && len(got) != len(src) {
			t.Fatalf("as2023 changed the length: %d bytes to %d", len(src), len(got))
		}
	})
}

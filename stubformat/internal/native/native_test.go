package native_test

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Plain writes a stub parsed from JSON as block YAML, lists of scalars in
// flow style.
func ExamplePlain() {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(`{"method": "a.S/M", "response": {"tags": ["x", "y"], "n": "1"}}`), &root); err != nil {
		panic(err)
	}
	native.Plain(&root)
	out, _ := yaml.Marshal(&root)
	fmt.Print(string(out))
	// Output:
	// method: a.S/M
	// response:
	//     tags: [x, y]
	//     n: "1"
}

func TestMethodWithoutResolver(t *testing.T) {
	full, md, err := native.Method(nil, "pkg.Svc", "Do")
	if err != nil || full != "/pkg.Svc/Do" || md != nil {
		t.Errorf("Method = %q, %v, %v; want /pkg.Svc/Do, nil, nil", full, md, err)
	}
	if _, _, err := native.Method(nil, "", "Do"); err == nil {
		t.Error("an empty service is not an error")
	}
}

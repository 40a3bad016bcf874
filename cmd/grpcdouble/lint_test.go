package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// The lint fixture: stubs and a cassette written for testdata/lint/v1;
// testdata/lint/v2 renamed Product.title to display_name and removed
// DeleteProduct.
func lintFixture(t *testing.T) (root, stubs, cas string) {
	root = moduleRoot(t)
	return root, filepath.Join(root, "testdata/lint/stubs.yaml"), filepath.Join(root, "testdata/lint/shop.cassette")
}

func TestLintRenamedFieldAndRemovedMethod(t *testing.T) {
	t.Parallel()
	root, stubs, cas := lintFixture(t)
	lint := func(version string, extra ...string) (string, string, int) {
		return runOnce(t, append([]string{"lint", "--proto", filepath.Join(root, "testdata/lint", version), "--stubs", stubs, "--cassette", cas}, extra...)...)
	}

	// Against the .proto they were written for, they are clean.
	out, errOut, code := lint("v1")
	if code != 0 || out != "" || !strings.Contains(errOut, "lint: no problems: 4 stub(s) and 4 interaction(s) in 1 cassette(s) checked against lintdemo.v1.Shop") {
		t.Fatalf("v1: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// Against the changed one, every affected stub and cassette line.
	out, errOut, code = lint("v2")
	if code != 1 {
		t.Fatalf("v2: exit %d, want 1\n%s%s", code, out, errOut)
	}
	want := strings.Join([]string{
		cas + `:12: events[3].message: as lintdemo.v1.Product: unknown field "title"`,
		cas + `:24: events[4].message: as lintdemo.v1.Product: unknown field "title"`,
		cas + `:28: method: unknown method /lintdemo.v1.Shop/DeleteProduct; closest served methods: /lintdemo.v1.Shop/GetProduct, /lintdemo.v1.Shop/ListProducts`,
		stubs + `:8: response: not a lintdemo.v1.Product: unknown field "title"`,
		stubs + `:17: responses[0]: not a lintdemo.v1.Product: unknown field "title"`,
		stubs + `:21: method: unknown method /lintdemo.v1.Shop/DeleteProduct; closest served methods: /lintdemo.v1.Shop/GetProduct, /lintdemo.v1.Shop/ListProducts`,
	}, "\n") + "\n"
	if out != want {
		t.Errorf("v2 report:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(errOut, "lint: 6 problem(s), checked against lintdemo.v1.Shop") {
		t.Errorf("stderr: %s", errOut)
	}

	out, _, code = lint("v2", "--format", "github")
	first := strings.SplitN(out, "\n", 2)[0]
	if code != 1 || first != "::error file="+strings.ReplaceAll(cas, ":", "%3A")+`,line=12,title=grpcdouble lint::events[3].message: as lintdemo.v1.Product: unknown field "title"` {
		t.Errorf("--format github: exit %d, first line %q", code, first)
	}
}

// serve loads stubs and cassettes through the checks lint runs: each
// problem lint reports, serve's refusal to start names too, and the files
// lint passes, serve serves.
func TestServeAgreesWithLint(t *testing.T) {
	t.Parallel()
	root, stubs, cas := lintFixture(t)
	v1, v2 := filepath.Join(root, "testdata/lint/v1"), filepath.Join(root, "testdata/lint/v2")
	for _, files := range [][]string{{"--stubs", stubs}, {"--cassette", cas}} {
		lintOut, _, code := runOnce(t, append([]string{"lint", "--proto", v2}, files...)...)
		if code != 1 {
			t.Fatalf("lint %q: exit %d", files, code)
		}
		ctx, cancel := context.WithTimeout(context.Background(), catalogTimeout)
		stderr, listened, err := runUntilReady(ctx, t, append([]string{"serve", "--listen", "127.0.0.1:0", "--proto", v2}, files...))
		cancel()
		if listened || err == nil {
			t.Fatalf("serve %q against v2 started; stderr:\n%s", files, stderr)
		}
		// serve names the file and the line its loaders know (for a
		// cassette, the interaction's first), and keeps protojson's
		// position in the message text; the problems are the same.
		serveErr := protoPosition.ReplaceAllString(err.Error(), "")
		for _, line := range strings.Split(strings.TrimSpace(lintOut), "\n") {
			file, rest, _ := strings.Cut(line, ": ")
			if !strings.Contains(serveErr, rest) {
				t.Errorf("serve's error lacks lint's %q (%s):\n%v", rest, file, err)
			}
		}
		addr, _, stop := runInProcess(t, append([]string{"serve", "--listen", "127.0.0.1:0", "--proto", v1}, files...)...)
		if addr == "" {
			t.Errorf("serve %q against v1 did not start", files)
		}
		_ = stop()
	}
}

func TestLintFindsEveryKindOfProblem(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	v2 := filepath.Join(root, "testdata/lint/v2")
	dir := t.TempDir()
	stubFile := filepath.Join(dir, "s.yaml")
	writeFile(t, stubFile, `- method: /lintdemo.v1.Shop/GetProduct
  responses:
    - {sku: A1}
- method: /lintdemo.v1.Shop/GetProduct
  response:
    sku: A1
    priceCents: lots
- method: /lintdemo.v1.Shop/ListProducts
  request:
    equal: {category: CATEGORY_FOOD}
- method: /lintdemo.v1.Cart/Add
  response: {}
- method: /lintdemo.v1.Shop/GetProduct
  request:
    fields:
      skew: {prefix: A}
  response: {sku: A1}
- method: /lintdemo.v1.Shop/GetProduct
  response:
    sku: '{{ .Request.skew }}'
`)
	casFile := filepath.Join(dir, "c.cassette")
	writeFile(t, casFile, `{"format": "grpcdouble-cassette", "version": 1}
{"method": "/lintdemo.v1.Shop/GetProduct", "kind": "server-stream",
 "events": [{"type": "client_message", "message": {"sku": "A1"}}],
 "status": {"code": "OK"}}
{"method": "/lintdemo.v1.Shop/ListProducts", "kind": "server-stream",
 "events": [
   {"type": "client_message", "message": {"category": "CATEGORY_FOOD"}},
   {"type": "server_message", "message": {"sku": 7}}],
 "status": {"code": "OK"}}
`)
	out, errOut, code := runOnce(t, "lint", "--proto", v2, "--stubs", stubFile, "--cassette", casFile)
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		casFile + ":2: kind: recorded as server-stream, but /lintdemo.v1.Shop/GetProduct is unary",
		casFile + `:7: events[0].message: as lintdemo.v1.ListProductsRequest: invalid value for enum field category: "CATEGORY_FOOD"`,
		// Every message of an interaction is checked, not only the first.
		casFile + `:8: events[1].message: as lintdemo.v1.Product: invalid value for string field sku: 7`,
		stubFile + ":3: responses: is for server-stream and bidi methods; /lintdemo.v1.Shop/GetProduct is unary",
		stubFile + `:7: response: not a lintdemo.v1.Product: invalid value for int64 field priceCents: "lots"`,
		stubFile + `:10: request.equal: not a lintdemo.v1.ListProductsRequest: invalid value for enum field category: "CATEGORY_FOOD"`,
		stubFile + ":11: method: unknown method /lintdemo.v1.Cart/Add",
		// Field paths and templates are checked at load time too.
		stubFile + `:16: request.fields.skew: field skew: lintdemo.v1.GetProductRequest has no field "skew" (did you mean sku?)`,
		stubFile + `:20: response.sku: template: .Request.skew: lintdemo.v1.GetProductRequest has no field "skew" (did you mean sku?)`,
	} {
		if !strings.Contains(out, want+"\n") && !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 9 {
		t.Errorf("%d problems, want 9:\n%s", n, out)
	}
}

// everyProblemStub is one stub with seven independent problems.
const everyProblemStub = `- method: /lintdemo.v1.Shop/GetProduct
  request:
    partial: {skew: A1}
    fields:
      skuu: {prefix: A}
  headers:
    x-sku: '{{ .Request.skuu }}'
  response:
    title: Old
    priceCents: lots
    category: CATEGORY_FOOD
  steps:
    - send: {}
`

// everyProblemWant is what lint says of everyProblemStub, after "file:".
var everyProblemWant = []string{
	`3: request.partial: not a lintdemo.v1.GetProductRequest: unknown field "skew"`,
	`5: request.fields.skuu: field skuu: lintdemo.v1.GetProductRequest has no field "skuu" (did you mean sku?)`,
	`7: headers.x-sku: template: .Request.skuu: lintdemo.v1.GetProductRequest has no field "skuu" (did you mean sku?)`,
	`9: response: not a lintdemo.v1.Product: unknown field "title"`,
	`10: response: not a lintdemo.v1.Product: invalid value for int64 field priceCents: "lots"`,
	`11: response: not a lintdemo.v1.Product: invalid value for enum field category: "CATEGORY_FOOD"`,
	`13: steps: is for server-stream and bidi methods; /lintdemo.v1.Shop/GetProduct is unary`,
}

// Within one stub, every independent problem, each at its line, in text
// and as GitHub annotations; serve's refusal names each too.
func TestLintReportsEveryProblemOfAStub(t *testing.T) {
	t.Parallel()
	v2 := filepath.Join(moduleRoot(t), "testdata/lint/v2")
	stubFile := filepath.Join(t.TempDir(), "s.yaml")
	writeFile(t, stubFile, everyProblemStub)

	out, errOut, code := runOnce(t, "lint", "--proto", v2, "--stubs", stubFile)
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	want := ""
	for _, w := range everyProblemWant {
		want += stubFile + ":" + w + "\n"
	}
	if out != want {
		t.Errorf("report:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(errOut, fmt.Sprintf("lint: %d problem(s)", len(everyProblemWant))) {
		t.Errorf("stderr: %s", errOut)
	}

	out, _, code = runOnce(t, "lint", "--proto", v2, "--stubs", stubFile, "--format", "github")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 1 || len(lines) != len(everyProblemWant) {
		t.Fatalf("--format github: exit %d, %d lines, want %d:\n%s", code, len(lines), len(everyProblemWant), out)
	}
	file := strings.ReplaceAll(stubFile, ":", "%3A")
	for i, w := range everyProblemWant {
		n, what, _ := strings.Cut(w, ": ")
		if want := "::error file=" + file + ",line=" + n + ",title=grpcdouble lint::" + what; lines[i] != want {
			t.Errorf("--format github line %d:\n got %s\nwant %s", i+1, lines[i], want)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), catalogTimeout)
	defer cancel()
	stderr, listened, err := runUntilReady(ctx, t, []string{"serve", "--listen", "127.0.0.1:0", "--proto", v2, "--stubs", stubFile})
	if listened || err == nil {
		t.Fatalf("serve started; stderr:\n%s", stderr)
	}
	for _, w := range everyProblemWant {
		if got := strings.Count(err.Error(), stubFile+":"+w+"\n"); got != 1 && !strings.HasSuffix(err.Error(), stubFile+":"+w) {
			t.Errorf("serve's error has %q %d times:\n%v", w, got, err)
		}
	}
}

// A cassette with several malformed interactions: lint lists each at its
// line, reading on past a syntax error, and checks the well-formed rest
// against the descriptors too; serve refuses the file, naming each.
func TestLintReportsEveryMalformedInteraction(t *testing.T) {
	t.Parallel()
	v2 := filepath.Join(moduleRoot(t), "testdata/lint/v2")
	cas := filepath.Join(t.TempDir(), "c.cassette")
	writeFile(t, cas, `{"format": "grpcdouble-cassette", "version": 1}
{
  "method": "/lintdemo.v1.Shop/GetProduct",
  "kind": "unary",
  "events": [
    {"type": "client_message", "message": {"sku": "A1"}},
    {"type": "server_message", "message": {"sku": "A1", "title": "anvil"}}
  ],
  "status": {"code": "OK"
}
{
  "method": "/lintdemo.v1.Shop/GetProduct",
  "kind": "unary",
  "events": [
    {"type": "client_message", "message": {"sku": "A1"}},
    {"type": "server_message", "message": {"sku": "A1", "title": "anvil"}}
  ],
  "status": {"code": "OK"}
}
{
  "method": "/lintdemo.v1.Shop/GetProduct",
  "kind": "unary",
  "timeout": 5,
  "events": [],
  "status": {"code": "OK"}
}
`)
	want := strings.Join([]string{
		cas + `:11: interaction #1 (from line 2): invalid character '{' after object key:value pair`,
		cas + `:16: events[1].message: as lintdemo.v1.Product: unknown field "title"`,
		cas + `:23: interaction #3 (from line 20): json: cannot unmarshal number into Go struct field wireInteraction.timeout of type string`,
	}, "\n") + "\n"
	out, errOut, code := runOnce(t, "lint", "--proto", v2, "--cassette", cas)
	if code != 1 || out != want {
		t.Errorf("exit %d, report:\n%s\nwant:\n%s\n%s", code, out, want, errOut)
	}

	ctx, cancel := context.WithTimeout(context.Background(), catalogTimeout)
	defer cancel()
	stderr, listened, err := runUntilReady(ctx, t, []string{"serve", "--listen", "127.0.0.1:0", "--proto", v2, "--cassette", cas})
	if listened || err == nil {
		t.Fatalf("serve started with a malformed cassette; stderr:\n%s", stderr)
	}
	for _, w := range []string{
		cas + `:11: interaction #1 (from line 2): invalid character '{' after object key:value pair`,
		cas + `:23: interaction #3 (from line 20): json: cannot unmarshal number`,
	} {
		if strings.Count(err.Error(), w) != 1 {
			t.Errorf("serve's error does not name %q once:\n%v", w, err)
		}
	}
}

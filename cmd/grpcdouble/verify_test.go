package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/grpcdouble/grpcdouble/internal/verifytest"
	vpb "github.com/grpcdouble/grpcdouble/internal/verifytest/verifypb"
)

// runOnce runs a command that ends by itself (verify, lint) and returns
// its output, error and exit status.
func runOnce(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), exitTimeout)
	defer cancel()
	var out, errOut bytes.Buffer
	err := run(ctx, args, &out, &errOut)
	if err != nil {
		code = exitCode(err)
		errOut.WriteString("grpcdouble: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), code
}

// recordWithCommand records verifytest.Exercise's calls through
// "grpcdouble record" into a new cassette and returns its path.
func recordWithCommand(t *testing.T, upstream string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "inventory.cassette")
	addr, _, stop := runInProcess(t, "record", "--listen", "127.0.0.1:0", "--upstream", upstream, "--cassette", path, "--without-timing")
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecureCreds()))
	if err != nil {
		t.Fatal(err)
	}
	verifytest.Exercise(t, conn)
	_ = conn.Close()
	if err := stop(); err != nil {
		t.Fatalf("record: %v", err)
	}
	return path
}

func TestVerifyCommand(t *testing.T) { // not parallel: it sets an environment variable
	s := verifytest.New()
	upstream := verifytest.Start(t, s)
	path := recordWithCommand(t, upstream)
	verify := func(extra ...string) (string, string, int) {
		return runOnce(t, append([]string{"verify", "--cassette", path, "--upstream", upstream}, extra...)...)
	}

	out, errOut, code := verify()
	if code != 0 {
		t.Fatalf("unchanged service: exit %d, want 0\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"(interaction #1): match /verifytest.v1.Inventory/GetItem",
		"(interaction #4): match /verifytest.v1.Inventory/ListItems",
		"(interaction #5): match /verifytest.v1.Inventory/PriceTotal",
		"(interaction #6): match /verifytest.v1.Inventory/Lookup",
		"(interaction #7): skipped /verifytest.v1.Inventory/Reserve: not marked idempotency_level NO_SIDE_EFFECTS or IDEMPOTENT, so it may have side effects; allow it by name to verify it (--method)",
		`note: request metadata "authorization" was recorded as [REDACTED] and no value was given for it (--header): sent without it`,
		"7 interaction(s): 6 match, 0 drift, 1 skipped, 0 error",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if s.Reservations() != 1 {
		t.Errorf("Reserve called %d times, want 1 (the recording only)", s.Reservations())
	}

	// One field of one response and one trailer change: exactly those two.
	s.SetName("b1", "pail")
	s.SetStock("b1", 3)
	out, errOut, code = verify("--format", "json")
	if code != 1 {
		t.Fatalf("drifted service: exit %d, want 1\n%s%s", code, out, errOut)
	}
	var rep verifyJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--format json: %v\n%s", err, out)
	}
	var parts []string
	for _, r := range rep.Cassettes[0].Results {
		for _, d := range r.Diffs {
			parts = append(parts, r.Where[strings.LastIndex(r.Where, "("):]+" "+d.Part)
		}
	}
	if want := []string{"(interaction #2) server message #1", "(interaction #2) trailer x-stock"}; strings.Join(parts, "; ") != strings.Join(want, "; ") {
		t.Errorf("differences %q, want %q", parts, want)
	}
	if rep.OK || !strings.Contains(errOut, "verify: 1 interaction(s) drifted from the live service") {
		t.Errorf("ok %v, stderr %q", rep.OK, errOut)
	}
	out, _, _ = verify()
	for _, want := range []string{
		"(interaction #2): drift /verifytest.v1.Inventory/GetItem\n  server message #1 (-recorded +live):\n",
		"- \t\"name\":        \"bucket\",",
		"+ \t\"name\":        \"pail\",",
		`  trailer x-stock: recorded ["7"], live ["3"]`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}

	// Ignored, they pass, and the report says which ignores applied.
	out, errOut, code = verify("--ignore-field", "verifytest.v1.Item.name", "--ignore-header", "x-stock")
	if code != 0 {
		t.Fatalf("with the ignores: exit %d, want 0\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"ignoring field verifytest.v1.Item.name, header x-stock\n",
		"(interaction #2): match /verifytest.v1.Inventory/GetItem\n  ignored: field verifytest.v1.Item.name, header x-stock\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}

	// --update rewrites that interaction only; then verify passes, and a
	// replay serves the new answer.
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code = verify("--update")
	if code != 1 || !strings.Contains(out, "updated 1 drifted interaction(s) with the live answers") {
		t.Fatalf("--update: exit %d, want 1\n%s%s", code, out, errOut)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := changedLines(string(before), string(after)); d != `-        "name": "bucket",|+        "name": "pail",|-      "7"|+      "3"` {
		t.Errorf("the update changed %q", d)
	}
	if out, errOut, code := verify(); code != 0 {
		t.Fatalf("after --update: exit %d, want 0\n%s%s", code, out, errOut)
	}
	addr, _, _ := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--proto", filepath.Join(moduleRoot(t), "testdata/protos/verify/v1/inventory.proto"),
		"--import-path", filepath.Join(moduleRoot(t), "testdata/protos"), "--cassette", path)
	conn := dial(t, addr, nil)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer any", "x-user", "ann")
	var trailer metadata.MD
	got, err := vpb.NewInventoryClient(conn).GetItem(ctx, &vpb.GetItemRequest{Id: "b1"}, grpc.Trailer(&trailer))
	if err != nil || got.GetName() != "pail" || strings.Join(trailer.Get("x-stock"), ",") != "3" {
		t.Errorf("replayed GetItem b1: %v, %v, trailer %v; want pail with x-stock 3", got, err, trailer)
	}

	// Named, the method with side effects is verified.
	out, errOut, code = verify("--method", "verifytest.v1.Inventory/Reserve")
	if code != 0 || !strings.Contains(out, "(interaction #7): match /verifytest.v1.Inventory/Reserve") || s.Reservations() != 2 {
		t.Errorf("--method Reserve: exit %d, %d reservations\n%s%s", code, s.Reservations(), out, errOut)
	}

	// The greeting moves after the first request: the interleaving drifts.
	s.SetGreetFirst(false)
	out, errOut, code = verify("--step-timeout", "300ms")
	if code != 1 || !strings.Contains(out, "(interaction #6): drift /verifytest.v1.Inventory/Lookup\n  interleaving: recorded server message #1 before client event #1; the live service sent nothing for 300ms, so the client carried on") {
		t.Errorf("interleaving: exit %d\n%s%s", code, out, errOut)
	}
	s.SetGreetFirst(true)

	// Credentials: the service wants a token the cassette holds redacted.
	s.RequireToken("secret")
	if _, _, code := verify(); code != 1 {
		t.Errorf("without the token: exit %d, want 1", code)
	}
	t.Setenv("INVENTORY_TOKEN", "Bearer secret")
	for _, flags := range [][]string{{"--header", "authorization=Bearer secret"}, {"--header-env", "authorization=INVENTORY_TOKEN"}} {
		if out, errOut, code := verify(flags...); code != 0 {
			t.Errorf("%q: exit %d, want 0\n%s%s", flags, code, out, errOut)
		}
	}
	for _, a := range s.Authorizations() {
		if a != "Bearer secret" {
			t.Errorf("the service was sent authorization %q", a)
		}
	}
}

// changedLines lists the lines a rewrite removed (-) and added (+), in
// order, joined by |: a cheap view of what a review diff shows.
func changedLines(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	i := 0
	for i < len(x) && i < len(y) && x[i] == y[i] {
		i++
	}
	var out []string
	for i < len(x) && i < len(y) {
		if x[i] != y[i] {
			out = append(out, "-"+x[i], "+"+y[i])
		}
		i++
	}
	if len(x) != len(y) {
		out = append(out, "(line counts differ)")
	}
	return strings.Join(out, "|")
}

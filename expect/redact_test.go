package expect_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
)

// TestFailureReportRedactsCredentials: a double that got `authorization:
// Bearer x` and failed its test reports [REDACTED], not the token, in the
// test's failure messages and in the GRPCDOUBLE_REPORT_DIR report, as
// cassettes and the admin API do; other metadata reads as sent, and
// expect.WithSecretsShown shows the credentials.
func TestFailureReportRedactsCredentials(t *testing.T) {
	for _, shown := range []bool{false, true} {
		dir := t.TempDir()
		t.Setenv(expect.ReportDirEnv, dir)
		ft := &fakeT{}
		var opts []expect.Option
		if shown {
			opts = append(opts, expect.WithSecretsShown())
		}
		m := expect.New(ft, opts...)
		m.Unary(getFeature).WithMetadata("authorization", "Bearer y").WithMetadata("x-api-key", "k2").Return(&pb.Feature{Name: "x"})
		client, finish := serve(t, m, ft)
		c := metadata.AppendToOutgoingContext(ctx(t), "authorization", "Bearer x", "x-api-key", "k1", "x-user", "ann")
		_, err := client.GetFeature(c, &pb.Point{Latitude: 1})
		require.Error(t, err, "the call matches nothing")
		reported := finish()
		body, err := os.ReadFile(filepath.Join(dir, "grpcdouble.html"))
		require.NoError(t, err, "the report; the test reported:\n%s", reported)
		report := string(body)

		require.Contains(t, reported, "unexpected call "+getFeature)
		require.Contains(t, reported, "was called 0 time(s)")
		require.Contains(t, report, "ann", "metadata that is no credential is shown")
		for _, secret := range []string{"Bearer x", "k1"} {
			if shown {
				require.Contains(t, reported, secret, "WithSecretsShown")
				require.Contains(t, report, secret, "WithSecretsShown")
				continue
			}
			require.NotContains(t, reported, secret, "the test's failure messages")
			require.NotContains(t, report, secret, "the report")
		}
		if !shown {
			require.Contains(t, reported, `metadata "authorization": [REDACTED] (expect.WithSecretsShown shows it)`, "the reason still names the key")
			require.Contains(t, reported, `metadata "x-api-key": [REDACTED]`)
			require.Contains(t, report, `"authorization":["[REDACTED]"]`, "the call's metadata in the report")
			require.Contains(t, report, `"x-user":["ann"]`, "the call's metadata in the report")
			// The call's status message, and the miss.
			require.Equal(t, 2, strings.Count(report, `metadata \"authorization\": [REDACTED] (expect.WithSecretsShown shows it)`), "the miss in the report")
		}
	}
}

package cassette

import (
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/grpc/metadata"
)

// DefaultRedacted are metadata keys whose values recorders write as
// Redacted unless told to keep them. Every key DefaultRedacts reports is
// redacted too; these are the common ones, named.
var DefaultRedacted = []string{"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization"}

// RedactedPatterns are the words that make a metadata key a credential:
// a key containing any of them (case-insensitive) is redacted by default,
// so x-goog-api-key, x-auth-token, x-amz-security-token, x-csrf-token,
// api-key, token, authorization-bin and grpc-metadata-cookie are all
// written as Redacted.
var RedactedPatterns = []string{"token", "api-key", "apikey", "secret", "password", "cookie", "authorization", "session", "credential"}

// NeverRedacted are keys that match a pattern but are not secrets:
// grpcdouble-session names a test session, and replay must see it to
// route a call to its session's stubs.
var NeverRedacted = []string{"grpcdouble-session"}

// DefaultRedacts reports whether recorders redact the metadata key by
// default (a rewrite of a recorded answer, grpcdouble verify --update,
// redacts the same keys again).
func DefaultRedacts(key string) bool {
	key = strings.ToLower(key)
	for _, k := range NeverRedacted {
		if key == k {
			return false
		}
	}
	for _, k := range DefaultRedacted {
		if key == k {
			return true
		}
	}
	for _, p := range RedactedPatterns {
		if strings.Contains(key, p) {
			return true
		}
	}
	return false
}

// RedactMD replaces, in place, every value of each key of md that redacts
// reports (DefaultRedacts when nil) with Redacted. Recorders redact what
// they write with it, and the admin API what it shows of the journal.
func RedactMD(md metadata.MD, redacts func(key string) bool) {
	if redacts == nil {
		redacts = DefaultRedacts
	}
	for k, vs := range md {
		if redacts(k) {
			red := make([]string, len(vs))
			for i := range red {
				red[i] = Redacted
			}
			md[k] = red
		}
	}
}

// mdReason finds a miss's reason about one metadata key, as expect and
// replay word it: metadata "KEY": what was wanted, and what the call sent.
var mdReason = regexp.MustCompile(`metadata ("(?:[^"\\\n]|\\.)*"): [^\n]*`)

// RedactReasons hides, in the text of a miss (expect's and replay's
// reasons, a miss's status message), what a call sent for each metadata key
// DefaultRedacts reports: the reason `metadata "KEY": want ..., got ...`
// becomes `metadata "KEY": [REDACTED]` followed by note (which says how to
// see it), so the text still says which key differed. The admin API
// and the failure report of an expect Mock show misses through it.
func RedactReasons(text, note string) string {
	return mdReason.ReplaceAllStringFunc(text, func(reason string) string {
		m := mdReason.FindStringSubmatch(reason)
		key, err := strconv.Unquote(m[1])
		if err != nil || !DefaultRedacts(key) {
			return reason
		}
		return "metadata " + m[1] + ": " + Redacted + note
	})
}

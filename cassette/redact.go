package cassette

// DefaultRedacted are the metadata keys whose values recorders write as
// Redacted unless told to keep them, and that a rewrite of a recorded
// answer (grpcdouble verify --update) redacts again.
var DefaultRedacted = []string{"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization"}

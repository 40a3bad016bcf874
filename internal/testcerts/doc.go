// Package testcerts makes throwaway certificates for tests: a CA, a server
// certificate for localhost, 127.0.0.1, ::1 and "bufconn", and a client
// certificate for mutual TLS. Nothing is written to disk unless asked.
package testcerts

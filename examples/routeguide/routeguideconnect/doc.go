// Package routeguideconnect is the connect-go code generated for the
// routeguide example service by protoc-gen-connect-go v1.21.1; see package
// routeguide for the command that regenerates it.
package routeguideconnect

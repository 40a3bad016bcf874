// Package javatext writes values as Java writes them, for the doubles
// WireMock's templates and JSON path functions print and compare as text:
// one implementation for both.
package javatext

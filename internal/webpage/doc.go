// Package webpage holds the admin web page: plain HTML, CSS and JavaScript
// embedded in the binary, with no build step and nothing loaded from the
// network. The admin package serves it over the admin API; Report writes
// the same page, with a snapshot of the data inside, as one file that
// opens offline (the failing-test report).
package webpage

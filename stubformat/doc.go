// Package stubformat reads stub files in the formats teams bring with them,
// gripmock's (v3) and WireMock's gRPC extension's, beside grpcdouble's own,
// and hands them to expect as native stubs: the formats are readers, and one
// engine answers them all. Each file's format is told by its shape (Detect),
// or chosen (Native, Gripmock, WireMock), so one folder may mix them.
//
// Every error names the file, the line and the construct. A construct that
// grpcdouble cannot honour (gripmock plugins, WireMock
// scenarios or templates, ...) fails the load with its file:line and name;
// nothing is skipped silently.
//
// Convert writes the native stub files the foreign ones stand for, with a
// comment naming each stub's source file:line, for a migration finished
// once; docs/MIGRATING.md lists each construct beside its native form.
package stubformat

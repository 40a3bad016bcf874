// Package wiremock reads the stub mappings of WireMock's gRPC extension and
// translates them into grpcdouble's own stubs, which expect serves: a
// reader, not a second engine. A mapping matches a gRPC call by
// request.urlPath "/pkg.Service/Method" and answers with response.jsonBody;
// the grpc-status-name and grpc-status-reason response headers make it an
// error. Response templates ("transformers": ["response-template"]) are
// Handlebars; their common helpers (jsonPath over request.body,
// request.headers, now, randomValue, #if and the comparison helpers) are
// rewritten into expect's Go templates as the file is read, and any other
// helper is refused by name. Errors and constructs that cannot be honoured name the mapping
// file's line and the construct.
package wiremock

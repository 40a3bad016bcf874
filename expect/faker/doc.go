// Package faker gives stub templates gripmock's faker object: import it
// (the grpcdouble binary does, and so does stubformat/gripmock) and a
// template may read {{ faker.Person.FirstName }}, {{ faker.Contact.Email }},
// {{ faker.Number.IntRange 1 10 }} and the rest of gripmock's groups
// (Person, Contact, Geo, Network, Company, Commerce, Text, DateTime, Number,
// Identity).
//
// The values come from gofakeit, seeded by the stub, the call's number and
// how many times the template has read faker before, so a test sees the
// same values on every run. Nothing reads the environment, files or the
// network; PastDate and FutureDate are relative to the call's start.
//
// It is its own package because gofakeit's data tables add some 5 MB to a
// program: package expect links it only in programs that import this one.
package faker

package faker

import (
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/grpcdouble/grpcdouble/expect/internal/fakerhook"
)

func init() {
	fakerhook.New = func(seed uint64, now time.Time) any { return New(seed, now) }
}

// New is a generator seeded by seed: the same seed gives the same values.
// PastDate and FutureDate are relative to now.
func New(seed uint64, now time.Time) *Generator {
	f := gofakeit.New(seed)
	return &Generator{f: f, now: now}
}

// Generator is gripmock's faker object: its groups, each a set of
// generators, read in a template as faker.Person.FirstName.
type Generator struct {
	f   *gofakeit.Faker
	now time.Time
}

func (g *Generator) Person() Person     { return Person{g.f} }
func (g *Generator) Contact() Contact   { return Contact{g.f} }
func (g *Generator) Geo() Geo           { return Geo{g.f} }
func (g *Generator) Network() Network   { return Network{g.f} }
func (g *Generator) Company() Company   { return Company{g.f} }
func (g *Generator) Commerce() Commerce { return Commerce{g.f} }
func (g *Generator) Text() Text         { return Text{g.f} }
func (g *Generator) DateTime() DateTime { return DateTime{g.f, g.now} }
func (g *Generator) Number() Number     { return Number{g.f} }
func (g *Generator) Identity() Identity { return Identity{g.f} }

// Person: names, gender and age.
type Person struct{ f *gofakeit.Faker }

func (g Person) FirstName() string { return g.f.FirstName() }
func (g Person) LastName() string  { return g.f.LastName() }
func (g Person) Name() string      { return g.f.Name() }
func (g Person) Prefix() string    { return g.f.NamePrefix() }
func (g Person) Suffix() string    { return g.f.NameSuffix() }
func (g Person) Gender() string    { return g.f.Gender() }
func (g Person) Age() int          { return g.f.Age() }

// Contact: email, phone, user name and URL.
type Contact struct{ f *gofakeit.Faker }

func (g Contact) Email() string    { return g.f.Email() }
func (g Contact) Phone() string    { return g.f.Phone() }
func (g Contact) Username() string { return g.f.Username() }
func (g Contact) URL() string      { return g.f.URL() }

// Geo: places and coordinates.
type Geo struct{ f *gofakeit.Faker }

func (g Geo) Country() string     { return g.f.Country() }
func (g Geo) CountryCode() string { return g.f.CountryAbr() }
func (g Geo) City() string        { return g.f.City() }
func (g Geo) State() string       { return g.f.State() }
func (g Geo) StateCode() string   { return g.f.StateAbr() }
func (g Geo) Zip() string         { return g.f.Zip() }
func (g Geo) Street() string      { return g.f.Street() }
func (g Geo) Latitude() float64   { return g.f.Latitude() }
func (g Geo) Longitude() float64  { return g.f.Longitude() }
func (g Geo) TimeZone() string    { return g.f.TimeZone() }

// Network: domains, addresses, user agents, HTTP.
type Network struct{ f *gofakeit.Faker }

func (g Network) DomainName() string   { return g.f.DomainName() }
func (g Network) DomainSuffix() string { return g.f.DomainSuffix() }
func (g Network) IPv4() string         { return g.f.IPv4Address() }
func (g Network) IPv6() string         { return g.f.IPv6Address() }
func (g Network) MAC() string          { return g.f.MacAddress() }
func (g Network) UserAgent() string    { return g.f.UserAgent() }
func (g Network) HTTPMethod() string   { return g.f.HTTPMethod() }
func (g Network) HTTPStatusCode() int  { return g.f.HTTPStatusCode() }

// Company: companies and jobs.
type Company struct{ f *gofakeit.Faker }

func (g Company) Company() string       { return g.f.Company() }
func (g Company) CompanySuffix() string { return g.f.CompanySuffix() }
func (g Company) JobTitle() string      { return g.f.JobTitle() }
func (g Company) JobLevel() string      { return g.f.JobLevel() }
func (g Company) JobDescriptor() string { return g.f.JobDescriptor() }

// Commerce: products, currencies and prices.
type Commerce struct{ f *gofakeit.Faker }

func (g Commerce) ProductName() string              { return g.f.ProductName() }
func (g Commerce) ProductCategory() string          { return g.f.ProductCategory() }
func (g Commerce) ProductDescription() string       { return g.f.ProductDescription() }
func (g Commerce) CurrencyLong() string             { return g.f.CurrencyLong() }
func (g Commerce) CurrencyShort() string            { return g.f.CurrencyShort() }
func (g Commerce) Price(pMin, pMax float64) float64 { return g.f.Price(pMin, pMax) }

// Text: words, sentences and paragraphs.
type Text struct{ f *gofakeit.Faker }

func (g Text) Word() string                        { return g.f.Word() }
func (g Text) Sentence(wordCount int) string       { return g.f.Sentence(wordCount) }
func (g Text) Paragraph(paragraphCount int) string { return g.f.Paragraph(paragraphCount) }
func (g Text) Phrase() string                      { return g.f.Phrase() }
func (g Text) Quote() string                       { return g.f.Quote() }
func (g Text) Question() string                    { return g.f.Question() }

// DateTime: dates (RFC 3339) and their parts. PastDate and FutureDate are
// 1 to 12 hours before or after the call's start, as gofakeit's are from
// the clock.
type DateTime struct {
	f   *gofakeit.Faker
	now time.Time
}

func (g DateTime) Date() string { return g.f.Date().Format(time.RFC3339Nano) }
func (g DateTime) PastDate() string {
	return g.now.Add(-time.Hour * time.Duration(g.f.Number(1, 12))).Format(time.RFC3339Nano)
}
func (g DateTime) FutureDate() string {
	return g.now.Add(time.Hour * time.Duration(g.f.Number(1, 12))).Format(time.RFC3339Nano)
}
func (g DateTime) Year() int       { return g.f.Year() }
func (g DateTime) Month() int      { return g.f.Month() }
func (g DateTime) Day() int        { return g.f.Day() }
func (g DateTime) Hour() int       { return g.f.Hour() }
func (g DateTime) Minute() int     { return g.f.Minute() }
func (g DateTime) Second() int     { return g.f.Second() }
func (g DateTime) WeekDay() string { return g.f.WeekDay() }

// Number: integers and floats, in ranges.
type Number struct{ f *gofakeit.Faker }

func (g Number) Int() int                                { return g.f.Int() }
func (g Number) IntN(n int) int                          { return g.f.IntN(n) }
func (g Number) IntRange(pMin, pMax int) int             { return g.f.IntRange(pMin, pMax) }
func (g Number) Int32() int32                            { return g.f.Int32() }
func (g Number) Int64() int64                            { return g.f.Int64() }
func (g Number) Float32() float32                        { return g.f.Float32() }
func (g Number) Float32Range(pMin, pMax float32) float32 { return g.f.Float32Range(pMin, pMax) }
func (g Number) Float64() float64                        { return g.f.Float64() }
func (g Number) Float64Range(pMin, pMax float64) float64 { return g.f.Float64Range(pMin, pMax) }

// Identity: UUIDs and tax numbers.
type Identity struct{ f *gofakeit.Faker }

func (g Identity) UUID() string { return g.f.UUID() }
func (g Identity) SSN() string  { return g.f.SSN() }
func (g Identity) EIN() string  { return g.f.EIN() }

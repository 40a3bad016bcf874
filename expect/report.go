package expect

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/grpcdouble/grpcdouble/internal/webpage"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// ReportDirEnv names the environment variable that turns on failing-test
// reports: when it names a folder, a test (New) whose double saw a call
// nothing matched writes there one self-contained HTML file of the calls
// the server received, with the stubs and the misses, and its failure
// message names the file. The file is the admin page, offline.
const ReportDirEnv = "GRPCDOUBLE_REPORT_DIR"

// journal is what a report needs of the server the Mock is bound to.
type journal interface {
	Calls() []mockserver.CallRecord
}

// reportStub is a stub as GET /stubs shows it.
type reportStub struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	Kind   string `json:"kind"`
	Source string `json:"source"`
	Hits   int    `json:"hits"`
	Min    int    `json:"min"`
	Max    *int   `json:"max"` // null: no limit
	Met    bool   `json:"met"`
}

type reportData struct {
	Title     string         `json:"title"`
	Generated string         `json:"generated"`
	Failure   string         `json:"failure,omitempty"`
	Calls     []webpage.Call `json:"calls"`
	Stubs     []reportStub   `json:"stubs"`
	Misses    map[string]any `json:"misses"`
	Scenarios []Scenario     `json:"scenarios"`
	Sessions  []string       `json:"sessions"`
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// report writes the failing-test report when ReportDirEnv asks for one
// and a problem is a call nothing matched. It returns the file written,
// or "" for none.
func (m *Mock) report(t TB, problems []error) (string, error) {
	dir := os.Getenv(ReportDirEnv)
	if dir == "" {
		return "", nil
	}
	var first error
	for _, p := range problems {
		if errors.Is(p, ErrNoMatch) {
			first = p
			break
		}
	}
	if first == nil {
		return "", nil
	}
	name := "grpcdouble"
	if n, ok := t.(interface{ Name() string }); ok {
		name = n.Name()
	}
	m.mu.RLock()
	j, _ := m.bound.(journal)
	m.mu.RUnlock()
	data := reportData{
		Title:     name,
		Generated: time.Now().Format(time.RFC3339),
		Failure:   m.scrub(firstLine(first.Error())),
		Calls:     []webpage.Call{},
		Stubs:     []reportStub{},
		Sessions:  []string{},
	}
	if j != nil {
		for _, c := range j.Calls() {
			cj := webpage.CallJSON(c)
			if !m.cfg.showSecrets {
				webpage.RedactCall(&cj, secretsNote)
			}
			data.Calls = append(data.Calls, cj)
		}
	}
	for _, s := range m.Stubs() {
		rs := reportStub{ID: s.ID, Method: s.Method, Kind: s.Kind, Source: s.Source, Hits: s.Hits, Min: s.Min, Met: s.Met}
		if !s.Unlimited {
			maxCalls := s.Max
			rs.Max = &maxCalls
		}
		data.Stubs = append(data.Stubs, rs)
	}
	misses := []string{}
	for _, ms := range m.Unexpected() {
		misses = append(misses, m.scrub(ms.String()))
	}
	data.Misses = map[string]any{"stubs": misses}
	data.Scenarios = m.Scenarios()
	if data.Scenarios == nil {
		data.Scenarios = []Scenario{}
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%s: %w", ReportDirEnv, err)
	}
	path := filepath.Join(dir, unsafeName.ReplaceAllString(name, "_")+".html")
	f, err := os.CreateTemp(dir, ".report-*.html")
	if err != nil {
		return "", fmt.Errorf("%s: %w", ReportDirEnv, err)
	}
	werr := webpage.Report(f, data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("%s: writing the report: %w", ReportDirEnv, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("%s: %w", ReportDirEnv, err)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return path, nil
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

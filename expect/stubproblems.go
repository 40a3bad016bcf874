package expect

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// stubError is one problem of a stub file, at its line: what Error says
// is "bad stub file: file:line: field: what". It wraps ErrStubFile.
type stubError struct {
	file  string
	line  int
	field string
	what  string
}

func (e *stubError) Error() string {
	if e.field == "" {
		return fmt.Sprintf("%v: %s:%d: %s", ErrStubFile, e.file, e.line, e.what)
	}
	return fmt.Sprintf("%v: %s:%d: %s: %s", ErrStubFile, e.file, e.line, e.field, e.what)
}

func (e *stubError) Unwrap() error { return ErrStubFile }

// problems collects the problems of a stub that do not depend on each
// other, so that a check reports them all at once rather than the first.
// A check that depends on an earlier one (nothing can be said of a
// message whose method is unknown) is left out by its caller when the
// earlier one failed.
type problems struct {
	errs []error
}

// add keeps err, if there is one, and says whether there was.
func (p *problems) add(err error) bool {
	if err == nil {
		return false
	}
	p.errs = append(p.errs, err)
	return true
}

// ok says whether no problem was found.
func (p *problems) ok() bool { return len(p.errs) == 0 }

// err is every problem found, each once, in the order of their lines
// (those without a line where they were found), joined; nil for none.
func (p *problems) err() error {
	if len(p.errs) == 0 { // the common case: nothing to sort
		return nil
	}
	return JoinStubErrors(p.errs...)
}

// JoinStubErrors joins the errors of stub files (ParseStubs', LoadStubs',
// AddStubs', CheckStubs'): every problem in them once, in the order of
// their files and lines (one without a line stays after the one before
// it), one a line; nil when there is none. It is how a loader that checks
// in more than one pass reports what they found as one list.
func JoinStubErrors(errs ...error) error {
	var flat []error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		flat = append(flat, err)
	}
	for _, e := range errs {
		walk(e)
	}
	switch len(flat) {
	case 0:
		return nil
	case 1:
		return flat[0]
	}
	type at struct {
		file string
		line int
		err  error
	}
	list := make([]at, 0, len(flat))
	seen := make(map[string]bool, len(flat))
	var pos at
	for _, e := range flat {
		text := e.Error()
		if seen[text] {
			continue
		}
		seen[text] = true
		var se *stubError
		if errors.As(e, &se) {
			pos.file, pos.line = se.file, se.line
		} else if m := stubErrorPos.FindStringSubmatch(text); m != nil {
			pos.file = m[1]
			pos.line, _ = strconv.Atoi(m[2])
		}
		list = append(list, at{pos.file, pos.line, e})
	}
	slices.SortStableFunc(list, func(a, b at) int {
		return cmp.Or(strings.Compare(a.file, b.file), cmp.Compare(a.line, b.line))
	})
	out := make([]error, len(list))
	for i, a := range list {
		out[i] = a.err
	}
	if len(out) == 1 {
		return out[0]
	}
	return errors.Join(out...)
}

// stubErrorPos finds the file and line an error of a stub file names.
var stubErrorPos = regexp.MustCompile(`^` + regexp.QuoteMeta(ErrStubFile.Error()) + `: (.+?):(\d+): `)

package gripmock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

// gripmock runs the templates of a YAML stub file that read nothing of the
// call once, at load, line by line before it parses the YAML, so a template
// may stand where YAML wants a number or an object:
//
//	uuids:
//	  - {{ uuid2int64 "0b6666ba-cfdf-41c0-89a8-42474787feec" }}
//
// A line with a template that reads the call keeps its templates for the
// call. Here the same is done with grpcdouble's template functions, and
// every line keeps its number, so errors still name the file's lines.

// Computed is what LoadTime did to a file: on which lines templates ran,
// for the comment beside each computed value.
type Computed struct {
	lines map[int][]string // line → the templates that ran there
}

// LoadTime runs the templates of a gripmock YAML file that read nothing of
// the call, and quotes the others where a YAML value starts, as gripmock
// does before parsing. On a line whose templates read the call (.Request,
// .Headers, faker.Person.Name, ...) or hold a control structure (if,
// range, end ...), every template is kept for the call, quoted when it
// starts a value. On any other line each template runs now and its result
// takes its place: where a value starts, quoted unless it is a number with
// a point or a sign, or a JSON object or list (gripmock's rule); inside a
// quoted string, escaped for it. A template that fails to run is a problem
// naming its line and its function. Every line keeps its number.
func LoadTime(file string, data []byte) ([]byte, Computed, []native.Problem) {
	c := Computed{lines: map[int][]string{}}
	if !strings.Contains(string(data), "{{") {
		return data, c, nil
	}
	var problems []native.Problem
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		acts := uncommented(line, actions(line))
		if len(acts) == 0 {
			continue
		}
		var results []string
		if !keptForCall(line, acts) {
			results = make([]string, len(acts))
			failed := false
			for j, a := range acts {
				text := line[a[0]:a[1]]
				if q, _ := lineState(line, acts, a[0]); q == '"' {
					text = yamlUnescape(text)
				}
				out, err := runAtLoad(text)
				if err != nil {
					problems = append(problems, native.Problem{File: file, Line: i + 1, Construct: "template " + text,
						Reason: err.Error() + " (gripmock runs a template that reads no call once, at load)"})
					failed = true
					break
				}
				results[j] = out
			}
			if failed {
				continue
			}
			c.lines[i+1] = textsOf(line, acts)
		}
		out, err := rewriteLine(line, acts, results)
		if err != nil {
			problems = append(problems, native.Problem{File: file, Line: i + 1, Construct: "template " + strings.Join(textsOf(line, acts), " "), Reason: err.Error()})
			continue
		}
		lines[i] = out
	}
	return []byte(strings.Join(lines, "\n")), c, problems
}

// Blanked is data with every template replaced by 0: enough to parse
// the file and tell its format.
func Blanked(data []byte) []byte {
	if !strings.Contains(string(data), "{{") {
		return data
	}
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		acts := actions(line)
		for j := len(acts) - 1; j >= 0; j-- {
			line = line[:acts[j][0]] + "0" + line[acts[j][1]:]
		}
		lines[i] = line
	}
	return []byte(strings.Join(lines, "\n"))
}

// Annotate puts a comment beside each value a template computed, naming
// the template, so a converted file says where its values came from: on
// a scalar value itself, else on the key whose value holds it (a comment
// inside a list or an object would split it in the converted file).
func (c Computed) Annotate(root *yaml.Node) {
	if len(c.lines) == 0 {
		return
	}
	notes := map[*yaml.Node][]string{}
	var order []*yaml.Node
	note := func(n *yaml.Node, ts []string) {
		if _, ok := notes[n]; !ok {
			order = append(order, n)
		}
		notes[n] = append(notes[n], ts...)
	}
	done := map[int]bool{}
	// key is the key of the entry n is (or is inside) the value of, and
	// list the list of scalars n is an item of (the converted file
	// writes it [a, b], with the comment after it).
	var walk func(n, key, list *yaml.Node, value bool)
	walk = func(n, key, list *yaml.Node, value bool) {
		// The innermost value on the line takes the note.
		inner := slices.ContainsFunc(n.Content, func(x *yaml.Node) bool { return x.Line == n.Line })
		if ts, ok := c.lines[n.Line]; ok && value && !inner && !done[n.Line] {
			done[n.Line] = true
			switch {
			case n.Kind == yaml.ScalarNode && list != nil:
				note(list, ts)
			case n.Kind == yaml.ScalarNode && key != nil && n.Line == key.Line:
				note(n, ts)
			case key != nil:
				note(key, ts)
			}
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i], key, nil, false)
				walk(n.Content[i+1], n.Content[i], nil, true)
			}
		case yaml.SequenceNode:
			var scalars *yaml.Node
			if !slices.ContainsFunc(n.Content, func(x *yaml.Node) bool { return x.Kind != yaml.ScalarNode }) {
				scalars = n
			}
			for _, x := range n.Content {
				walk(x, key, scalars, true)
			}
		default:
			for _, x := range n.Content {
				walk(x, key, nil, true)
			}
		}
	}
	walk(root, nil, nil, false)
	for _, n := range order {
		n.LineComment = "computed at load, as gripmock does: " + strings.Join(notes[n], ", ")
	}
}

func textsOf(line string, acts [][2]int) []string {
	out := make([]string, len(acts))
	for i, a := range acts {
		out[i] = line[a[0]:a[1]]
	}
	return out
}

// actions are the {{ ... }} of a line, as [start, end) offsets: each
// ends at the first "}}", as gripmock's do.
func actions(line string) [][2]int {
	var out [][2]int
	for i := 0; i < len(line); {
		s := strings.Index(line[i:], "{{")
		if s < 0 {
			break
		}
		s += i
		e := strings.Index(line[s+2:], "}}")
		if e < 0 {
			break
		}
		e += s + 4
		out = append(out, [2]int{s, e})
		i = e
	}
	return out
}

// uncommented is acts less those inside the line's YAML comment.
func uncommented(line string, acts [][2]int) [][2]int {
	for k, a := range acts {
		if _, comment := lineState(line, acts, a[0]); comment {
			return acts[:k]
		}
	}
	return acts
}

// controlWords begin the actions of a control structure, which spans
// actions and often lines: gripmock leaves those for the call.
var controlWords = []string{"if", "else", "end", "range", "with", "define", "block", "template", "break", "continue"}

// keptForCall reports a line whose templates wait for the call: one of
// them reads it (a field, as in .Request.name, or a chain, as in
// faker.Person.Name; $ too), or is part of a control structure.
func keptForCall(line string, acts [][2]int) bool {
	for _, a := range acts {
		body := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line[a[0]+2:a[1]-2], "-"), "-"))
		if strings.HasPrefix(body, "/*") {
			continue
		}
		body = strings.ReplaceAll(body, `\"`, `"`)
		word, _, _ := strings.Cut(body, " ")
		if slices.Contains(controlWords, word) {
			return true
		}
		quote := byte(0)
		for j := 0; j < len(body); j++ {
			ch := body[j]
			switch {
			case quote != 0:
				if ch == '\\' && quote == '"' {
					j++
				} else if ch == quote {
					quote = 0
				}
			case ch == '"' || ch == '`':
				quote = ch
			case ch == '$':
				return true
			case ch == '.':
				// A point before a digit is a number's (1.5, .5).
				if j+1 >= len(body) || body[j+1] < '0' || body[j+1] > '9' {
					return true
				}
			}
		}
	}
	return false
}

// runAtLoad runs one gripmock template that reads no call, through the
// gripmock names' mapping onto grpcdouble's functions.
func runAtLoad(text string) (string, error) {
	// No stub data: a template reading any (.MaxAttempts too) is kept for the call.
	ours, err := translateTemplate(text, nil, false, false, 0)
	if err != nil {
		return "", err
	}
	return expect.RenderTemplate(ours)
}

// rewriteLine puts results (nil: the templates themselves, kept for the
// call) in place of the actions of line. Where a value starts the value is
// quoted: from the action to the end of the value (the line's end, or a
// comment), in block context; the action alone in a flow list or mapping.
// A result that is a number or JSON, standing alone for a value, goes in
// as it is.
func rewriteLine(line string, acts [][2]int, results []string) (string, error) {
	var b strings.Builder
	last := 0
	for i := 0; i < len(acts); i++ {
		a := acts[i]
		quote, _ := lineState(line, acts, a[0])
		b.WriteString(line[last:a[0]])
		res := line[a[0]:a[1]]
		if results != nil {
			res = results[i]
		}
		switch {
		case quote == '"':
			if results != nil {
				q := strconv.Quote(res)
				res = q[1 : len(q)-1]
			} else {
				res = escapeQuotes(res)
			}
			b.WriteString(res)
			last = a[1]
		case quote == '\'':
			if strings.ContainsAny(res, "\r\n") {
				return "", fmt.Errorf("its result %q has a line break, which a single-quoted YAML string cannot hold on one line (use double quotes)", res)
			}
			b.WriteString(strings.ReplaceAll(res, "'", "''"))
			last = a[1]
		default:
			flow, ok := valueStart(line[:a[0]])
			if !ok {
				// Within a plain scalar, or a block scalar's text.
				if strings.ContainsAny(res, "\r\n") {
					return "", fmt.Errorf("its result %q has a line break, and it does not stand for a whole value here: quote the value", res)
				}
				b.WriteString(res)
				last = a[1]
				continue
			}
			end, j := a[1], i
			if !flow {
				end = valueEnd(line, a[1])
				for j+1 < len(acts) && acts[j+1][0] < end {
					j++
				}
			}
			if j == i && strings.TrimSpace(line[a[1]:end]) == "" && results != nil {
				if raw, ok, err := rawValue(res); err != nil {
					return "", err
				} else if ok {
					b.WriteString(raw)
					last = a[1]
					continue
				}
			}
			// The value, from this action to its end, as one string.
			var v strings.Builder
			at := a[0]
			for k := i; k <= j; k++ {
				v.WriteString(line[at:acts[k][0]])
				if results != nil {
					v.WriteString(results[k])
				} else {
					v.WriteString(line[acts[k][0]:acts[k][1]])
				}
				at = acts[k][1]
			}
			v.WriteString(strings.TrimRight(line[at:end], " \t"))
			b.WriteString(strconv.Quote(v.String()))
			b.WriteString(line[len(strings.TrimRight(line[:end], " \t")):end])
			last, i = end, j
		}
	}
	b.WriteString(line[last:])
	return b.String(), nil
}

// lineState is the YAML state of line at upto: the quote it is inside (0
// for none), and whether a comment started before; the actions acts are
// skipped, not read as YAML.
func lineState(line string, acts [][2]int, upto int) (quote byte, comment bool) {
	for j := 0; j < upto && j < len(line); j++ {
		if len(acts) > 0 && j == acts[0][0] {
			j, acts = acts[0][1]-1, acts[1:]
			continue
		}
		ch := line[j]
		switch {
		case quote == '"':
			if ch == '\\' {
				j++
			} else if ch == '"' {
				quote = 0
			}
		case quote == '\'':
			if ch == '\'' {
				if j+1 < len(line) && line[j+1] == '\'' {
					j++
				} else {
					quote = 0
				}
			}
		case ch == '#' && (j == 0 || line[j-1] == ' ' || line[j-1] == '\t'):
			return 0, true
		case ch == '"' || ch == '\'':
			// A quote opens a string only where a scalar starts.
			if j == 0 || strings.ContainsRune(" \t[{,:-", rune(line[j-1])) {
				quote = ch
			}
		}
	}
	return quote, false
}

// valueStart reports whether a YAML value starts after before: after
// "key:" or a list's "-" (block), or after "[" or "," (flow).
func valueStart(before string) (flow, ok bool) {
	t := strings.TrimRight(before, " \t")
	switch {
	case t == "":
		return false, false
	case strings.HasSuffix(t, "[") || strings.HasSuffix(t, ","):
		return true, true
	case strings.HasSuffix(t, ":"):
		return false, len(t) < len(before)
	case strings.HasSuffix(t, "-"):
		rest := strings.TrimLeft(t, " \t")
		return false, strings.Trim(rest, "- ") == "" || strings.HasSuffix(rest, " -")
	}
	return false, false
}

// valueEnd is where a block value that starts at from ends: the line's
// end, or a comment's " #" outside the actions.
func valueEnd(line string, from int) int {
	acts := actions(line)
	for j := from; j < len(line); j++ {
		if line[j] == '#' && (line[j-1] == ' ' || line[j-1] == '\t') {
			inside := false
			for _, a := range acts {
				inside = inside || (j >= a[0] && j < a[1])
			}
			if !inside {
				return j
			}
		}
	}
	return len(line)
}

// rawValue is a result that goes into the YAML as it is (gripmock's rule:
// a JSON object or list, or a number with a point or a sign), on one line;
// ok is false for one to quote. A result that looks like JSON but is not
// a YAML value is an error.
func rawValue(res string) (string, bool, error) {
	s := strings.TrimSpace(res)
	if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
		if json.Valid([]byte(s)) {
			var b bytes.Buffer
			if err := json.Compact(&b, []byte(s)); err == nil {
				return b.String(), true, nil
			}
		}
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(s), &n); err != nil || strings.ContainsAny(s, "\r\n") || len(n.Content) != 1 || n.Content[0].Style&yaml.FlowStyle == 0 {
			return "", false, fmt.Errorf("its result %q starts as JSON does but is not a JSON or YAML object or list on one line, so it cannot stand for the value", res)
		}
		return s, true, nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil && (strings.Contains(s, ".") || strings.HasPrefix(s, "-")) {
		return s, true, nil
	}
	return "", false, nil
}

// Explain adds to a YAML error ("line 7: ...") the templates whose results
// are on its line, when some are.
func (c Computed) Explain(msg string) string {
	var n int
	if _, err := fmt.Sscanf(msg, "line %d:", &n); err != nil {
		return msg
	}
	if ts, ok := c.lines[n]; ok {
		return fmt.Sprintf("%s (the line holds what %s gave at load)", msg, strings.Join(ts, " "))
	}
	return msg
}

// yamlUnescape is an action written inside a double-quoted YAML string
// as YAML reads it (\" is "), when it is written so; gripmock's files
// often hold raw quotes there instead, kept as they are.
func yamlUnescape(text string) string {
	if !strings.Contains(text, `\`) {
		return text
	}
	var s string
	if err := yaml.Unmarshal([]byte(`"`+text+`"`), &s); err != nil {
		return text
	}
	return s
}

// escapeQuotes escapes the raw quotes of an action kept for the call
// inside a double-quoted YAML string (gripmock's files often hold them),
// so the string parses and holds the action as written.
func escapeQuotes(text string) string {
	if yamlUnescape(text) != text || !strings.Contains(text, `"`) {
		return text
	}
	return strings.ReplaceAll(text, `"`, `\"`)
}

package expect

import (
	"errors"
	"regexp"
	"time"

	"google.golang.org/grpc/metadata"
)

// errReadsCall is a template given to RenderTemplate that reads the call.
var errReadsCall = errors.New("it reads the request, and there is none when a template is rendered alone")

// RenderTemplate renders a stub template that reads nothing of a call,
// with the functions of response templates: what a reader of a foreign
// stub format needs when that format runs such templates once, at load
// (gripmock does, in its YAML files). .RequestTime and now read the clock
// of this call; randInt and the other seeded functions are seeded by the
// text. A template that reads the request (.Request,
// .Requests) is an error, as is one that fails; the error names the
// function.
func RenderTemplate(text string) (string, error) {
	t, err := parseTemplate("template", text, tmplEnv{})
	if err != nil {
		return "", errors.New(position.ReplaceAllString(err.Error(), ""))
	}
	d := &tmplData{start: time.Now(), md: metadata.MD{}, seed: seedOf(text), hit: 1}
	out, err := t.render(d)
	if err != nil {
		return "", errors.New(position.ReplaceAllString(err.Error(), ""))
	}
	if d.req != nil || d.reqs != nil {
		return "", errReadsCall
	}
	return out, nil
}

// position is where in the text an error of one template is ("template:
// line 1:3: "), noise for the one-line templates rendered alone.
var position = regexp.MustCompile(`^(template: )*(line \d+(:\d+)?: )?`)

package webpage

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
)

//go:embed assets
var assets embed.FS

// FS holds the page: index.html, app.css and app.js.
func FS() fs.FS {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree always has assets/
	}
	return sub
}

// Report writes the page as one self-contained HTML file: the style and
// script inline, and data (what the admin API would answer: calls, stubs,
// misses, scenarios, sessions) in the page, so it opens offline from disk.
func Report(w io.Writer, data any) error {
	page, _ := assets.ReadFile("assets/index.html")
	css, _ := assets.ReadFile("assets/app.css")
	js, _ := assets.ReadFile("assets/app.js")
	// json.Marshal escapes <, > and &, so no "</script>" can end the block early.
	blob, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("webpage: report data: %w", err)
	}
	for _, r := range []struct{ old, new []byte }{
		{[]byte(`<link rel="stylesheet" href="app.css">`), append(append([]byte("<style>\n"), css...), "</style>"...)},
		{[]byte(`<script src="app.js"></script>`), append(append([]byte("<script>\n"), js...), "</script>"...)},
		{[]byte(`<script id="report-data" type="application/json"></script>`), append(append([]byte(`<script id="report-data" type="application/json">`), blob...), "</script>"...)},
	} {
		if !bytes.Contains(page, r.old) {
			return fmt.Errorf("webpage: index.html lacks %s", r.old)
		}
		page = bytes.Replace(page, r.old, r.new, 1)
	}
	_, err = w.Write(page)
	return err
}

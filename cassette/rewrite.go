package cassette

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Rewrite replaces interactions of the cassette file at path: the one at
// index i (its Interaction.Index, from 0) by replace[i]. Every other byte of
// the file stays as it was, so a review shows only the replaced
// interactions as changed, and each replacement is written in the format's
// usual layout. The file is replaced atomically: the new content goes to a
// temporary file in the same folder, synced, then renamed over path; a
// failure leaves the old file whole.
func Rewrite(path string, replace map[int]*Interaction) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cassette: %w", err)
	}
	if _, err := Parse(data, path); err != nil {
		return err
	}
	spans, err := documents(data)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFormat, path, err)
	}
	idx := make([]int, 0, len(replace))
	for i := range replace {
		if i < 0 || i >= len(spans) {
			return fmt.Errorf("cassette: %s: no interaction #%d to replace (the file holds %d)", path, i+1, len(spans))
		}
		idx = append(idx, i)
	}
	slices.Sort(idx)
	var out bytes.Buffer
	prev := 0
	for _, i := range idx {
		var doc bytes.Buffer
		if err := encodeDoc(&doc, replace[i].toWire()); err != nil {
			return fmt.Errorf("cassette: %s: interaction #%d: %w", path, i+1, err)
		}
		out.Write(data[prev:spans[i][0]])
		out.Write(bytes.TrimRight(doc.Bytes(), "\n"))
		prev = spans[i][1]
	}
	out.Write(data[prev:])
	return writeAtomic(path, out.Bytes())
}

// documents returns the byte span [start, end) of each interaction
// document, the header left out. A torn tail is no document.
func documents(data []byte) ([][2]int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("header: %v", err)
	}
	var out [][2]int
	for {
		start := skipSpace(data, int(dec.InputOffset()))
		if start == len(data) {
			return out, nil
		}
		if err := dec.Decode(&raw); err != nil {
			return out, nil // the torn tail Parse already accepted
		}
		out = append(out, [2]int{start, int(dec.InputOffset())})
	}
}

// writeAtomic replaces path with data by way of a synced temporary file,
// keeping the file's permissions.
func writeAtomic(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("cassette: %w", err)
	}
	fail := func(err error) error {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return fmt.Errorf("cassette: rewrite %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("cassette: rewrite %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("cassette: rewrite %s: %w", path, err)
	}
	return nil
}

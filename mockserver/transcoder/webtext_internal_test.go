package transcoder

import (
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestBase64Reader: the text mode's decoder takes chunks each padded on
// their own, CR/LF, an unpadded last group, and reads of any size; it
// names the offset of what is not base64.
func TestBase64Reader(t *testing.T) {
	want := []byte("\x00\x00\x00\x00\x04\x08\x01\x10\x02 and more bytes")
	enc := base64.StdEncoding.EncodeToString
	var chunked strings.Builder
	for _, piece := range [][]byte{want[:1], want[1:3], want[3:4], want[4:9], want[9:]} {
		chunked.WriteString(enc(piece))
	}
	for name, text := range map[string]string{
		"one chunk":       enc(want),
		"padded chunks":   chunked.String(),
		"line breaks":     enc(want[:6]) + "\r\n" + enc(want[6:]) + "\n",
		"unpadded ending": base64.RawStdEncoding.EncodeToString(want),
	} {
		for _, wrap := range []struct {
			name string
			r    func(io.Reader) io.Reader
		}{
			{"whole", func(r io.Reader) io.Reader { return r }},
			{"byte at a time", iotest.OneByteReader},
			{"EOF with data", iotest.DataErrReader},
		} {
			t.Run(name+"/"+wrap.name, func(t *testing.T) {
				got, err := io.ReadAll(iotest.OneByteReader(&base64Reader{r: wrap.r(strings.NewReader(text))}))
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != string(want) {
					t.Errorf("got %q, want %q", got, want)
				}
			})
		}
	}
	for text, wantErr := range map[string]string{
		"AAAA*AAA":   `'*' at offset 4`,
		"AAAAA":      "ends with a lone character 'A' at offset 4",
		"AA=AAAAA":   "offset 2",
		"AAAA\x00AA": `'\x00' at offset 4`,
	} {
		_, err := io.ReadAll(&base64Reader{r: strings.NewReader(text)})
		var st *textStatusError
		if !errors.As(err, &st) || !strings.Contains(err.Error(), wantErr) || !strings.Contains(err.Error(), "not valid base64") {
			t.Errorf("%q: got %v, want an InvalidArgument saying %s", text, err, wantErr)
		}
	}
}

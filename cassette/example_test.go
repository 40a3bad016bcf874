package cassette_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/grpc/metadata"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

func Example() {
	dir, _ := os.MkdirTemp("", "cassette")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "x.cassette")

	w, err := cassette.Create(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = w.Write(&cassette.Interaction{
		Method:   "/routeguide.RouteGuide/GetFeature",
		Metadata: metadata.Pairs("x-user", "ann"),
		Events: []cassette.Event{
			{Type: cassette.ClientMessage, Message: cassette.NewMessage(&pb.Point{Latitude: 1})},
			{Type: cassette.HalfClose},
			{Type: cassette.ServerMessage, Message: cassette.NewMessage(&pb.Feature{Name: "summit"})},
		},
	})
	_ = w.Close()

	data, _ := os.ReadFile(path)
	fmt.Print(string(data))

	c, _ := cassette.Load(path)
	f, _ := c.Interactions[0].ServerMessages()[0].Decode((&pb.Feature{}).ProtoReflect().Type())
	fmt.Println(c.Interactions[0].Where("x.cassette"), f.(*pb.Feature).Name)
	// Output:
	// {
	//   "format": "grpcdouble-cassette",
	//   "version": 1
	// }
	// {
	//   "method": "/routeguide.RouteGuide/GetFeature",
	//   "metadata": {
	//     "x-user": [
	//       "ann"
	//     ]
	//   },
	//   "events": [
	//     {
	//       "type": "client_message",
	//       "message": {
	//         "latitude": 1
	//       }
	//     },
	//     {
	//       "type": "half_close"
	//     },
	//     {
	//       "type": "server_message",
	//       "message": {
	//         "name": "summit"
	//       }
	//     }
	//   ],
	//   "status": {
	//     "code": "OK"
	//   }
	// }
	// x.cassette:5 (interaction #1) summit
}

// A cassette with malformed interactions is not returned; the error lists
// every one at its line, and holds the well-formed rest for a check.
func ExampleFormatErrors() {
	data := []byte(`{"format": "grpcdouble-cassette", "version": 1}
{"method": "/a.S/M", "events": [}], "status": {"code": "OK"}}
{"method": "/a.S/M", "events": [], "status": {"code": "OK"}}
{"method": "/a.S/M", "events": [], "status": {"code": "MOSTLY_OK"}}
`)
	_, err := cassette.Parse(data, "x.cassette")
	fmt.Println(err)
	var fe *cassette.FormatErrors
	if errors.As(err, &fe) {
		fmt.Println(len(fe.Read.Interactions), "well-formed, from line", fe.Read.Interactions[0].Line)
	}
	// Output:
	// malformed cassette: x.cassette:2: interaction #1 (from line 2): invalid character '}' looking for beginning of value
	// malformed cassette: x.cassette:4: interaction #3: status.code: unknown status code "MOSTLY_OK" (want a name such as NOT_FOUND)
	// 1 well-formed, from line 3
}

// A miss's reasons keep the key that differed, not what the call sent for
// a credential.
func ExampleRedactReasons() {
	reasons := "nearest expectation: expectation 1\n" +
		`  - metadata "authorization": want ["Bearer y"], got ["Bearer x"]` + "\n" +
		`  - metadata "x-user": want ["bob"], got ["ann"]`
	fmt.Println(cassette.RedactReasons(reasons, " (shown with --show-secrets)"))
	// Output:
	// nearest expectation: expectation 1
	//   - metadata "authorization": [REDACTED] (shown with --show-secrets)
	//   - metadata "x-user": want ["bob"], got ["ann"]
}

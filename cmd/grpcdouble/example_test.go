package main

import (
	"context"
	"fmt"
	"os"
)

// The command's usage, as `grpcdouble help` prints it.
func Example_help() {
	if err := run(context.Background(), []string{"help"}, os.Stdout, os.Stderr); err != nil {
		fmt.Println(err)
	}
	// Output:
	// grpcdouble serves gRPC test doubles for clients in any language.
	//
	// Usage:
	//
	//   grpcdouble serve   [flags]  serve stub files and cassettes on a TCP port
	//   grpcdouble record  [flags]  proxy to a live server, recording every call to a cassette
	//   grpcdouble verify  [flags]  check cassettes against the live server they were recorded from
	//   grpcdouble lint    [flags]  check stub files and cassettes against the current .proto
	//   grpcdouble convert [flags]  convert gripmock or WireMock stub files to native ones
	//   grpcdouble version          print the version
	//   grpcdouble help [command]   print help for a command
	//
	// Run "grpcdouble help COMMAND" for the flags of a command.
}

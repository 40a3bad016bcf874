package main

import (
	"context"
	"fmt"
	_ "github.com/grpcdouble/grpcdouble/expect/faker" // stub templates may read faker
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		// The first signal starts a graceful stop. Default handling is
		// restored before run hears of it, so a second signal ends the
		// process at once.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		if !isUsage(err) {
			fmt.Fprintln(os.Stderr, "grpcdouble:", err)
		}
		os.Exit(exitCode(err))
	}
}

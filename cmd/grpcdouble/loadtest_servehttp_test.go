//go:build loadtest

package main

// Should gRPC share its port with the HTTP protocols? Sharing means serving
// gRPC through net/http and grpc.Server.ServeHTTP instead of grpc-go's own
// transport. This measures what that costs, on loopback, the same
// hand-written server both ways:
//
//	go test -tags loadtest -run TestServeHTTPThroughput -v ./cmd/grpcdouble
//
// Each round loads both, one right after the other in alternating order;
// the median of the rounds' ratios counts.

import (
	"net"
	"net/http"
	"slices"
	"testing"

	"google.golang.org/grpc"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

func TestServeHTTPThroughput(t *testing.T) {
	s := grpc.NewServer()
	pb.RegisterRouteGuideServer(s, plainServer{})
	native, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(native) }()
	t.Cleanup(s.Stop)

	viaHTTP, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	hs := &http.Server{Handler: s, Protocols: &p}
	go func() { _ = hs.Serve(viaHTTP) }()
	t.Cleanup(func() { _ = hs.Close() })

	a, b := native.Addr().String(), viaHTTP.Addr().String()
	loopRPS(t, a)
	loopRPS(t, b)
	var ratios []float64
	for round := range loadRounds {
		var n, h float64
		if round%2 == 0 {
			n, h = loopRPS(t, a), loopRPS(t, b)
		} else {
			h, n = loopRPS(t, b), loopRPS(t, a)
		}
		t.Logf("round %d: grpc-go transport %.0f req/s, ServeHTTP %.0f req/s (%.0f%%)", round, n, h, 100*h/n)
		ratios = append(ratios, h/n)
	}
	slices.Sort(ratios)
	t.Logf("ServeHTTP reaches a median %.0f%% of grpc-go's transport (%d rounds of %d unary calls, %d goroutines over 4 connections)",
		100*ratios[len(ratios)/2], loadRounds, loadRequests, loadConcurrency)
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func main() {
	cc, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		panic(err)
	}
	defer cc.Close()
	h := healthpb.NewHealthClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, svc := range []string{"examples.health.backend", "gripmock", "examples.health.unknown", ""} {
		r, err := h.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		fmt.Printf("Check %q -> %v err=%v\n", svc, r.GetStatus(), err)
	}
	start := time.Now()
	w, err := h.Watch(ctx, &healthpb.HealthCheckRequest{Service: "examples.health.watch"})
	if err != nil {
		panic(err)
	}
	for {
		r, err := w.Recv()
		if err == io.EOF {
			fmt.Println("Watch EOF at", time.Since(start).Round(time.Millisecond))
			break
		}
		if err != nil {
			fmt.Println("Watch err", err)
			break
		}
		fmt.Println("Watch ->", r.GetStatus(), "at", time.Since(start).Round(time.Millisecond))
	}
}

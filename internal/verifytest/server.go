package verifytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/grpcdouble/grpcdouble/internal/verifytest/verifypb"
)

// Server implements verifytest.v1.Inventory. Every answer carries the
// header x-api-version: 1 and the trailer x-served-by: alpha; GetItem's
// also carries the item's stock in the trailer x-stock. It is safe for
// concurrent use; change it between runs with its setters.
type Server struct {
	pb.UnimplementedInventoryServer

	mu           sync.Mutex
	items        map[string]*pb.Item
	stock        map[string]int
	greetFirst   bool
	headerFirst  bool
	token        string
	reservations int
	auth         []string
}

// New returns a Server holding the items a1, a2 and b1, that greets first
// on Lookup and requires no token.
func New() *Server {
	return &Server{
		items: map[string]*pb.Item{
			"a1": {Id: "a1", Name: "anvil", PriceCents: 1999, Etag: "e1", Color: pb.Color_COLOR_RED},
			"a2": {Id: "a2", Name: "axe", PriceCents: 2500, Etag: "e2", Color: pb.Color_COLOR_BLUE},
			"b1": {Id: "b1", Name: "bucket", PriceCents: 500, Etag: "e3"},
		},
		stock:      map[string]int{"a1": 4, "a2": 0, "b1": 7},
		greetFirst: true,
	}
}

// SetName changes the name of item id.
func (s *Server) SetName(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[id].Name = name
}

// SetStock changes the stock of item id, which GetItem sends in the
// trailer x-stock.
func (s *Server) SetStock(id string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stock[id] = n
}

// SetGreetFirst says whether Lookup sends its greeting before the client's
// first request (true) or only after it.
func (s *Server) SetGreetFirst(b bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.greetFirst = b
}

// SetHeaderFirst says whether Lookup sends its response headers at once,
// before the client's first request, even when it greets only after it
// (true), or with its first message (false, the default).
func (s *Server) SetHeaderFirst(b bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.headerFirst = b
}

// RequireToken makes every call need "authorization: Bearer tok"; "" turns
// the check off.
func (s *Server) RequireToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = tok
}

// Reservations is how many Reserve calls were served.
func (s *Server) Reservations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reservations
}

// Authorizations are the authorization values every call carried, in order.
func (s *Server) Authorizations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.auth)
}

// begin checks the token and sets the header and trailer of a call.
func (s *Server) begin(ctx context.Context, set func(header, trailer metadata.MD) error) error {
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	s.auth = append(s.auth, md.Get("authorization")...)
	tok := s.token
	s.mu.Unlock()
	if err := set(metadata.Pairs("x-api-version", "1"), metadata.Pairs("x-served-by", "alpha")); err != nil {
		return err
	}
	if tok != "" && !slices.Contains(md.Get("authorization"), "Bearer "+tok) {
		return status.Error(codes.Unauthenticated, "a bearer token is required")
	}
	return nil
}

func unarySet(ctx context.Context) func(h, t metadata.MD) error {
	return func(h, t metadata.MD) error {
		if err := grpc.SetHeader(ctx, h); err != nil {
			return err
		}
		return grpc.SetTrailer(ctx, t)
	}
}

func streamSet(ss grpc.ServerStream) func(h, t metadata.MD) error {
	return func(h, t metadata.MD) error {
		ss.SetTrailer(t)
		return ss.SetHeader(h)
	}
}

func (s *Server) item(id string) (*pb.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[id]
	if !ok {
		st, err := status.New(codes.NotFound, fmt.Sprintf("no item %q", id)).WithDetails(
			&errdetails.ResourceInfo{ResourceType: "verifytest.v1.Item", ResourceName: id, Description: "not in the inventory"})
		if err != nil {
			return nil, err
		}
		return nil, st.Err()
	}
	return proto.Clone(it).(*pb.Item), nil
}

// GetItem answers with the item, or NotFound with a ResourceInfo detail.
func (s *Server) GetItem(ctx context.Context, req *pb.GetItemRequest) (*pb.Item, error) {
	if err := s.begin(ctx, unarySet(ctx)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	n, ok := s.stock[req.GetId()]
	s.mu.Unlock()
	if ok {
		if err := grpc.SetTrailer(ctx, metadata.Pairs("x-stock", fmt.Sprint(n))); err != nil {
			return nil, err
		}
	}
	return s.item(req.GetId())
}

// ListItems streams the items whose id starts with the prefix, by id.
func (s *Server) ListItems(req *pb.ListItemsRequest, ss grpc.ServerStreamingServer[pb.Item]) error {
	if err := s.begin(ss.Context(), streamSet(ss)); err != nil {
		return err
	}
	s.mu.Lock()
	var ids []string
	for id := range s.items {
		if strings.HasPrefix(id, req.GetPrefix()) {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	slices.Sort(ids)
	for _, id := range ids {
		it, err := s.item(id)
		if err != nil {
			return err
		}
		if err := ss.Send(it); err != nil {
			return err
		}
	}
	return nil
}

// PriceTotal adds up the prices of the streamed items.
func (s *Server) PriceTotal(ss grpc.ClientStreamingServer[pb.GetItemRequest, pb.Total]) error {
	if err := s.begin(ss.Context(), streamSet(ss)); err != nil {
		return err
	}
	total := &pb.Total{}
	for {
		req, err := ss.Recv()
		if errors.Is(err, io.EOF) {
			return ss.SendAndClose(total)
		}
		if err != nil {
			return err
		}
		it, err := s.item(req.GetId())
		if err != nil {
			return err
		}
		total.Cents += it.GetPriceCents()
		total.Count++
	}
}

// Lookup sends "hello" (first, or after the first request: SetGreetFirst),
// then "<id>: <name>" for each request.
func (s *Server) Lookup(ss grpc.BidiStreamingServer[pb.LookupRequest, pb.LookupReply]) error {
	if err := s.begin(ss.Context(), streamSet(ss)); err != nil {
		return err
	}
	s.mu.Lock()
	greet, headerFirst := s.greetFirst, s.headerFirst
	s.mu.Unlock()
	if headerFirst {
		if err := ss.SendHeader(nil); err != nil {
			return err
		}
	}
	hello := &pb.LookupReply{Text: "hello"}
	if greet {
		if err := ss.Send(hello); err != nil {
			return err
		}
	}
	for n := 0; ; n++ {
		req, err := ss.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if !greet && n == 0 {
			if err := ss.Send(hello); err != nil {
				return err
			}
		}
		it, err := s.item(req.GetId())
		if err != nil {
			return err
		}
		if err := ss.Send(&pb.LookupReply{Text: it.GetId() + ": " + it.GetName()}); err != nil {
			return err
		}
	}
}

// Reserve counts the reservation: the side effect verify must not cause
// unless told to.
func (s *Server) Reserve(ctx context.Context, req *pb.ReserveRequest) (*pb.Reservation, error) {
	if err := s.begin(ctx, unarySet(ctx)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reservations++
	return &pb.Reservation{ReservationId: fmt.Sprintf("r-%s-%d", req.GetId(), req.GetQuantity())}, nil
}

// Start serves s on a loopback TCP port, with server reflection, until the
// test ends, and returns its address.
func Start(t testing.TB, s *Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("verifytest: listen: %v", err)
	}
	gs := grpc.NewServer()
	pb.RegisterInventoryServer(gs, s)
	reflection.Register(gs)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	t.Cleanup(func() {
		gs.Stop()
		if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			t.Errorf("verifytest: serve: %v", err)
		}
	})
	return lis.Addr().String()
}

// callTimeout bounds Exercise's calls.
const callTimeout = 10 * time.Second

// Exercise makes the calls a test records: GetItem a1, b1 and zz (NotFound),
// ListItems "a", PriceTotal [a1, a2], Lookup [a1, a2] ping-pong after the
// greeting, and Reserve a1 (which has side effects), in that order, with
// "authorization: Bearer secret" and "x-user: ann". Interaction #2 of the
// cassette they make is GetItem b1.
func Exercise(t testing.TB, conn grpc.ClientConnInterface) {
	t.Helper()
	c := pb.NewInventoryClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer secret", "x-user", "ann")
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("verifytest: %s: %v", what, err)
		}
	}
	for _, id := range []string{"a1", "b1"} {
		_, err := c.GetItem(ctx, &pb.GetItemRequest{Id: id})
		must("GetItem "+id, err)
	}
	if _, err := c.GetItem(ctx, &pb.GetItemRequest{Id: "zz"}); status.Code(err) != codes.NotFound {
		t.Fatalf("verifytest: GetItem zz: %v, want NotFound", err)
	}

	ls, err := c.ListItems(ctx, &pb.ListItemsRequest{Prefix: "a"})
	must("ListItems", err)
	for {
		if _, err := ls.Recv(); err != nil {
			if !errors.Is(err, io.EOF) {
				must("ListItems", err)
			}
			break
		}
	}

	pt, err := c.PriceTotal(ctx)
	must("PriceTotal", err)
	must("PriceTotal", pt.Send(&pb.GetItemRequest{Id: "a1"}))
	must("PriceTotal", pt.Send(&pb.GetItemRequest{Id: "a2"}))
	_, err = pt.CloseAndRecv()
	must("PriceTotal", err)

	// Ping-pong after the greeting: each request waits for the answer
	// before it.
	lk, err := c.Lookup(ctx)
	must("Lookup", err)
	hello, err := lk.Recv()
	must("Lookup", err)
	if hello.GetText() != "hello" {
		t.Fatalf("verifytest: Lookup greeted %q, want hello (SetGreetFirst(true) when recording)", hello.GetText())
	}
	for _, id := range []string{"a1", "a2"} {
		must("Lookup", lk.Send(&pb.LookupRequest{Id: id}))
		_, err := lk.Recv()
		must("Lookup", err)
	}
	must("Lookup", lk.CloseSend())
	if _, err := lk.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("verifytest: Lookup end: %v, want io.EOF", err)
	}

	_, err = c.Reserve(ctx, &pb.ReserveRequest{Id: "a1", Quantity: 2})
	must("Reserve", err)
}

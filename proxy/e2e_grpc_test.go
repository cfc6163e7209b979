package proxy

// gRPC end to end through velox: a grpc-go client (h2c, insecure
// credentials) to velox, velox to the interop TestService over a cluster
// with protocol h2. gRPC needs trailers, so h2 to HTTP/1.1 is not a case.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/velox-proxy/velox/internal/grpctest"
)

// grpcSetup starts a TestService (opts are its server's), velox in front
// of it, and a client of velox allowing 16 MiB messages.
func grpcSetup(t *testing.T, opts ...grpc.ServerOption) (*testProxy, *grpctest.Server, testpb.TestServiceClient) {
	t.Helper()
	srv := grpctest.Start(t, opts...)
	tp := startH2Proxy(t, h2ClusterConfig(srv.Addr), 1)
	cc, err := grpc.NewClient(tp.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20), grpc.MaxCallSendMsgSize(16<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return tp, srv, testpb.NewTestServiceClient(cc)
}

func grpcContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestGRPCUnary(t *testing.T) {
	_, _, c := grpcSetup(t)
	ctx := metadata.AppendToOutgoingContext(grpcContext(t), grpctest.EchoInitialKey, "hello", grpctest.EchoTrailingKey, "\x00\xffbin")
	var header, trailer metadata.MD
	resp, err := c.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 314, Payload: &testpb.Payload{Body: make([]byte, 271)}},
		grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.GetPayload().GetBody()); n != 314 {
		t.Fatalf("payload %d bytes, want 314", n)
	}
	if v := header.Get(grpctest.EchoInitialKey); len(v) != 1 || v[0] != "hello" {
		t.Fatalf("header %v", header)
	}
	if v := trailer.Get(grpctest.EchoTrailingKey); len(v) != 1 || v[0] != "\x00\xffbin" {
		t.Fatalf("trailer %v", trailer)
	}
	if _, err := c.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
}

// TestGRPCStatus: a non-OK status after messages reaches the client with
// its code and message, in the trailers.
func TestGRPCStatus(t *testing.T) {
	_, _, c := grpcSetup(t)
	ctx := grpcContext(t)
	st, err := c.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: 10}},
		ResponseStatus:     &testpb.EchoStatus{Code: int32(codes.ResourceExhausted), Message: "enough ✗"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); status.Code(err) != codes.ResourceExhausted || status.Convert(err).Message() != "enough ✗" {
		t.Fatalf("streaming status %v", err)
	}
}

// TestGRPCTrailersOnly: a status with no message before it comes from the
// server as one HEADERS with END_STREAM (gRPC's Trailers-Only); the client
// needs it the same way (a HEADERS, then an empty DATA with END_STREAM,
// makes grpc-go report "server closed the stream without sending
// trailers").
func TestGRPCTrailersOnly(t *testing.T) {
	_, _, c := grpcSetup(t)
	ctx := metadata.AppendToOutgoingContext(grpcContext(t), grpctest.EchoTrailingKey, "\x01t")
	var trailer metadata.MD
	_, err := c.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.PermissionDenied), Message: "not you"}},
		grpc.Trailer(&trailer))
	if st, _ := status.FromError(err); st.Code() != codes.PermissionDenied || st.Message() != "not you" {
		t.Fatalf("status %v, want PermissionDenied with its message", err)
	}
	if v := trailer.Get(grpctest.EchoTrailingKey); len(v) != 1 || v[0] != "\x01t" {
		t.Fatalf("trailer with a status: %v", trailer)
	}
}

func TestGRPCStreaming(t *testing.T) {
	_, _, c := grpcSetup(t)
	ctx := grpcContext(t)
	t.Run("server", func(t *testing.T) {
		sizes := []int32{10, 100 << 10, 1, 0, 70000}
		req := &testpb.StreamingOutputCallRequest{}
		for _, n := range sizes {
			req.ResponseParameters = append(req.ResponseParameters, &testpb.ResponseParameters{Size: n})
		}
		st, err := c.StreamingOutputCall(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range sizes {
			m, err := st.Recv()
			if err != nil || int32(len(m.GetPayload().GetBody())) != n {
				t.Fatalf("message %d: %d bytes, %v; want %d", i, len(m.GetPayload().GetBody()), err, n)
			}
		}
		if _, err := st.Recv(); err != io.EOF {
			t.Fatalf("after the last message: %v", err)
		}
	})
	t.Run("client", func(t *testing.T) {
		st, err := c.StreamingInputCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, n := range []int{27182, 8, 1828, 45904} {
			total += n
			if err := st.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, n)}}); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := st.CloseAndRecv()
		if err != nil || int(resp.GetAggregatedPayloadSize()) != total {
			t.Fatalf("aggregated %d, %v; want %d", resp.GetAggregatedPayloadSize(), err, total)
		}
	})
	t.Run("bidi", func(t *testing.T) {
		ctx := metadata.AppendToOutgoingContext(ctx, grpctest.EchoInitialKey, "bidi", grpctest.EchoTrailingKey, "\x02")
		st, err := c.FullDuplexCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range []int32{31415, 9, 2653, 58979} { // ping-pong: each answer before the next request
			err := st.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: n}}})
			if err != nil {
				t.Fatal(err)
			}
			m, err := st.Recv()
			if err != nil || int32(len(m.GetPayload().GetBody())) != n {
				t.Fatalf("pong %d: %d bytes, %v", i, len(m.GetPayload().GetBody()), err)
			}
		}
		if h, _ := st.Header(); len(h.Get(grpctest.EchoInitialKey)) != 1 {
			t.Fatalf("bidi header %v", h)
		}
		st.CloseSend()
		if _, err := st.Recv(); err != io.EOF {
			t.Fatalf("end of bidi: %v", err)
		}
		if tr := st.Trailer(); len(tr.Get(grpctest.EchoTrailingKey)) != 1 {
			t.Fatalf("bidi trailer %v", tr)
		}
	})
}

// TestGRPCDeadline: a client deadline shorter than the server's work is
// DEADLINE_EXCEEDED, and the server sees its context end.
func TestGRPCDeadline(t *testing.T) {
	_, srv, c := grpcSetup(t)
	ctx, cancel := context.WithTimeout(grpcContext(t), 300*time.Millisecond)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, grpctest.BlockKey, "1")
	start := time.Now()
	_, err := c.UnaryCall(ctx, &testpb.SimpleRequest{})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("got %v, want DEADLINE_EXCEEDED", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the deadline took %v", d)
	}
	select {
	case err := <-srv.Cancelled:
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			t.Fatalf("server context: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server's context did not end")
	}
}

// TestGRPCCancel: a client's cancellation reaches the server.
func TestGRPCCancel(t *testing.T) {
	_, srv, c := grpcSetup(t)
	ctx, cancel := context.WithCancel(grpcContext(t))
	ctx = metadata.AppendToOutgoingContext(ctx, grpctest.BlockKey, "1")
	st, err := c.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&testpb.StreamingOutputCallRequest{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the call is at the server
	cancel()
	if _, err := st.Recv(); status.Code(err) != codes.Canceled {
		t.Fatalf("client: %v, want CANCELED", err)
	}
	select {
	case err := <-srv.Cancelled:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("server context: %v, want canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the cancel did not reach the server")
	}
}

// TestGRPCLargeMessages: messages of 4 MiB and more, both ways (many
// flow-control windows of either connection).
func TestGRPCLargeMessages(t *testing.T) {
	_, _, c := grpcSetup(t, grpc.MaxRecvMsgSize(16<<20), grpc.MaxSendMsgSize(16<<20))
	ctx := grpcContext(t)
	for _, n := range []int{4 << 20, 4<<20 + 1, 9 << 20} {
		resp, err := c.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: int32(n), Payload: &testpb.Payload{Body: make([]byte, n)}})
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if got := len(resp.GetPayload().GetBody()); got != n {
			t.Fatalf("response %d bytes, want %d", got, n)
		}
	}
}

// TestGRPCConcurrent: 100 RPCs at once on one client connection share one
// upstream connection.
func TestGRPCConcurrent(t *testing.T) {
	tp, _, c := grpcSetup(t)
	ctx := grpcContext(t)
	if _, err := c.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	errs := concurrently(100, func(i int) error {
		resp, err := c.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: int32(i * 100), Payload: &testpb.Payload{Body: make([]byte, i*50)}})
		if err != nil {
			return err
		}
		if n := len(resp.GetPayload().GetBody()); n != i*100 {
			return fmt.Errorf("rpc %d: %d bytes", i, n)
		}
		return nil
	}, nil)
	for _, err := range errs {
		t.Error(err)
	}
	if n := tp.totals().UpstreamConnectsTotal; n != 1 {
		t.Fatalf("%d upstream connections, want 1", n)
	}
	if n := tp.Stats().Loops[0].DownstreamConnsTotal; n != 1 {
		t.Fatalf("%d client connections, want 1", n)
	}
}

package grpctest

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestUnary: a unary call gets the payload size it asked for, its echoed
// header and trailer, and a requested status comes back as the error.
func TestUnary(t *testing.T) {
	c := Dial(t, StartServer(t))
	ctx := metadata.AppendToOutgoingContext(testContext(t), EchoInitialKey, "hello", EchoTrailingKey, "\x00\xffbin")
	var header, trailer metadata.MD
	resp, err := c.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 314, Payload: &testpb.Payload{Body: make([]byte, 271)}},
		grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.GetPayload().GetBody()); n != 314 {
		t.Fatalf("payload %d bytes, want 314", n)
	}
	if v := header.Get(EchoInitialKey); len(v) != 1 || v[0] != "hello" {
		t.Fatalf("header %v", header)
	}
	if v := trailer.Get(EchoTrailingKey); len(v) != 1 || v[0] != "\x00\xffbin" {
		t.Fatalf("trailer %v", trailer)
	}
	_, err = c.UnaryCall(testContext(t), &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: 2, Message: "test status"}})
	if s := status.Convert(err); s.Code() != codes.Unknown || s.Message() != "test status" {
		t.Fatalf("got %v, want Unknown: test status", err)
	}
}

// TestStreaming: server streaming, client streaming and a bidi ping-pong.
func TestStreaming(t *testing.T) {
	c := Dial(t, StartServer(t))
	ctx := testContext(t)
	sizes := []int32{31415, 9, 2653, 58979}

	out, err := c.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{ResponseParameters: params(sizes...)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		resp, err := out.Recv()
		if errors.Is(err, io.EOF) && i == len(sizes) {
			break
		}
		if err != nil || int32(len(resp.GetPayload().GetBody())) != sizes[i] {
			t.Fatalf("output stream response %d: %v", i, err)
		}
	}

	in, err := c.StreamingInputCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range sizes {
		if err := in.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, n)}}); err != nil {
			t.Fatal(err)
		}
	}
	if resp, err := in.CloseAndRecv(); err != nil || resp.GetAggregatedPayloadSize() != 31415+9+2653+58979 {
		t.Fatalf("input stream: %v, %v", resp, err)
	}

	bidi, err := c.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range sizes {
		if err := bidi.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: params(n)}); err != nil {
			t.Fatal(err)
		}
		resp, err := bidi.Recv()
		if err != nil || int32(len(resp.GetPayload().GetBody())) != n {
			t.Fatalf("bidi response of %d: %v", n, err)
		}
	}
	if err := bidi.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := bidi.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("bidi end: %v, want EOF", err)
	}
}

func params(sizes ...int32) []*testpb.ResponseParameters {
	var ps []*testpb.ResponseParameters
	for _, n := range sizes {
		ps = append(ps, &testpb.ResponseParameters{Size: n})
	}
	return ps
}

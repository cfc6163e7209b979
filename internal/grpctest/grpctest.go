// Package grpctest starts a grpc-go server with the gRPC interop TestService
// on loopback, and dials it, for tests that put velox between a gRPC client
// and server. Only tests import it.
//
// The service follows the interop semantics: responses carry payloads of
// the sizes asked for, a request's response_status is returned as the
// call's status, and the metadata keys x-grpc-test-echo-initial and
// x-grpc-test-echo-trailing-bin are echoed back as a header and a trailer
// (so that a proxy's handling of HTTP/2 headers and trailers is seen).
package grpctest

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The metadata keys the service echoes.
const (
	EchoInitialKey  = "x-grpc-test-echo-initial"
	EchoTrailingKey = "x-grpc-test-echo-trailing-bin"
)

// BlockKey in a call's metadata makes UnaryCall and FullDuplexCall (not
// part of the interop semantics) block until the call's context is done,
// and then report it on Server.Cancelled: a proxy's deadline and
// cancellation handling is seen from the server's side.
const BlockKey = "x-grpctest-block-until-cancel"

// Server is a started TestService.
type Server struct {
	Addr string
	// Cancelled receives the context error of each call that blocked
	// (BlockKey) once its context is done.
	Cancelled <-chan error
}

// StartServer starts a gRPC server with the TestService on 127.0.0.1 and
// returns its address; the server stops when t ends.
func StartServer(t testing.TB) (addr string) {
	t.Helper()
	return Start(t).Addr
}

// Start is StartServer returning the Server; opts are the grpc server's.
func Start(t testing.TB, opts ...grpc.ServerOption) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cancelled := make(chan error, 64)
	s := grpc.NewServer(opts...)
	testpb.RegisterTestServiceServer(s, &service{cancelled: cancelled})
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	return &Server{Addr: ln.Addr().String(), Cancelled: cancelled}
}

// blockIfAsked blocks until ctx is done if the call's metadata has
// BlockKey, and reports it; it returns the status to end the call with.
func (sv *service) blockIfAsked(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	if len(md.Get(BlockKey)) == 0 {
		return nil
	}
	<-ctx.Done()
	sv.cancelled <- ctx.Err()
	return status.FromContextError(ctx.Err()).Err()
}

// Dial returns a TestService client on addr over h2c (insecure
// credentials); its connection closes when t ends.
func Dial(t testing.TB, addr string) testpb.TestServiceClient {
	t.Helper()
	return DialWith(t, addr, insecure.NewCredentials())
}

// DialWith is Dial with the transport credentials creds (TLS, say).
func DialWith(t testing.TB, addr string, creds credentials.TransportCredentials) testpb.TestServiceClient {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return testpb.NewTestServiceClient(cc)
}

// service implements the interop TestService.
type service struct {
	testpb.UnimplementedTestServiceServer
	cancelled chan<- error
}

var _ testpb.TestServiceServer = (*service)(nil)

func payload(size int32) *testpb.Payload {
	return &testpb.Payload{Type: testpb.PayloadType_COMPRESSABLE, Body: make([]byte, size)}
}

// echoStatus is the status a request asked for, nil for OK.
func echoStatus(s *testpb.EchoStatus) error {
	if s.GetCode() == 0 {
		return nil
	}
	return status.Error(codes.Code(s.GetCode()), s.GetMessage())
}

// echoMetadata sends back the echo keys of the call's metadata.
func echoMetadata(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(EchoInitialKey); len(v) > 0 {
		if err := grpc.SetHeader(ctx, metadata.Pairs(EchoInitialKey, v[0])); err != nil {
			return err
		}
	}
	if v := md.Get(EchoTrailingKey); len(v) > 0 {
		return grpc.SetTrailer(ctx, metadata.Pairs(EchoTrailingKey, v[0]))
	}
	return nil
}

func (*service) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, echoMetadata(ctx)
}

func (sv *service) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if err := sv.blockIfAsked(ctx); err != nil {
		return nil, err
	}
	if err := echoMetadata(ctx); err != nil {
		return nil, err
	}
	if err := echoStatus(req.GetResponseStatus()); err != nil {
		return nil, err
	}
	return &testpb.SimpleResponse{Payload: payload(req.GetResponseSize())}, nil
}

func (*service) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, stream testpb.TestService_StreamingOutputCallServer) error {
	for _, p := range req.GetResponseParameters() {
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: payload(p.GetSize())}); err != nil {
			return err
		}
	}
	return echoStatus(req.GetResponseStatus())
}

func (*service) StreamingInputCall(stream testpb.TestService_StreamingInputCallServer) error {
	var total int32
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return stream.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: total})
		}
		if err != nil {
			return err
		}
		total += int32(len(req.GetPayload().GetBody()))
	}
}

func (sv *service) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	if err := sv.blockIfAsked(stream.Context()); err != nil {
		return err
	}
	if err := echoMetadata(stream.Context()); err != nil {
		return err
	}
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := echoStatus(req.GetResponseStatus()); err != nil {
			return err
		}
		for _, p := range req.GetResponseParameters() {
			if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: payload(p.GetSize())}); err != nil {
				return err
			}
		}
	}
}

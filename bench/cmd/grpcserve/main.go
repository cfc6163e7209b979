// Command grpcserve runs grpc-go's interop TestService (grpc.testing) as a
// process of its own, the origin of benchdrive's grpc phase: its CPU is
// measured apart from the proxy's and from the load generator's.
//
//	grpcserve -addr 127.0.0.1:PORT
//
// It serves UnaryCall, StreamingOutputCall, FullDuplexCall and EmptyCall
// with the interop semantics (responses carry payloads of the sizes asked
// for) and server reflection, which ghz reads the service's descriptors
// from. It prints "listening ADDR" once it accepts connections and stops on
// SIGTERM or SIGINT.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/reflection"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer()
	testpb.RegisterTestServiceServer(s, service{})
	reflection.Register(s)
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		s.Stop()
	}()
	fmt.Println("listening", ln.Addr())
	if err := s.Serve(ln); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		log.Fatal(err)
	}
}

// service implements the calls of the TestService the benchmark uses.
type service struct {
	testpb.UnimplementedTestServiceServer
}

var _ testpb.TestServiceServer = service{}

// zeros backs every response payload: marshalling only reads it.
var zeros = make([]byte, 1<<20)

func payload(size int32) *testpb.Payload {
	return &testpb.Payload{Type: testpb.PayloadType_COMPRESSABLE, Body: zeros[:min(max(size, 0), int32(len(zeros)))]}
}

func (service) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

func (service) UnaryCall(_ context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{Payload: payload(req.GetResponseSize())}, nil
}

func (service) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, stream testpb.TestService_StreamingOutputCallServer) error {
	for _, p := range req.GetResponseParameters() {
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: payload(p.GetSize())}); err != nil {
			return err
		}
	}
	return nil
}

// FullDuplexCall answers each request with one response per response
// parameter, as it arrives, until the client half-closes.
func (service) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, p := range req.GetResponseParameters() {
			if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: payload(p.GetSize())}); err != nil {
				return err
			}
		}
	}
}

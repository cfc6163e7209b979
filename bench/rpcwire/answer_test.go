package rpcwire

import (
	"bufio"
	"bytes"
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/velox-proxy/velox/internal/rpcpeer"
	"github.com/velox-proxy/velox/rpcx"
	"github.com/velox-proxy/velox/rpcx/hessian2"
)

var echo = Call{Service: "org.velox.Echo", Version: "1.0", Arg: "héllo 😀", App: "test", TimeoutMs: 3000}

// decode decodes the one whole frame b with p.
func decode(t *testing.T, p rpcx.Protocol, b []byte) rpcx.Frame {
	t.Helper()
	var f rpcx.Frame
	n, err := p.Decode(b, &f)
	if err != nil || n != len(b) {
		t.Fatalf("decoded %d of %d bytes: %v", n, len(b), err)
	}
	return f
}

// boltEchoRequest is the Bolt request of echo's method "echo".
func boltEchoRequest() []byte {
	c := echo
	c.Method = "echo"
	return BoltRequest(c)
}

// dubbo-go-hessian2 reads the answer to a request as dubbo-go's client
// does: OK, the request's id, the value NAME:ARG (a character above
// U+FFFF included).
func TestDubboAnswerReadByDubboGoHessian2(t *testing.T) {
	c := echo
	c.Method = "Echo"
	req := DubboRequest(c)
	var d rpcx.Dubbo
	d.SetID(req, 42)
	f := decode(t, &d, req)
	ans := DubboAnswer(nil, &f, "srv")
	codec := hessian.NewHessianCodec(bufio.NewReaderSize(bytes.NewReader(ans), len(ans)+16))
	var h hessian.DubboHeader
	if err := codec.ReadHeader(&h); err != nil {
		t.Fatal(err)
	}
	if h.ID != 42 || h.Type&hessian.PackageResponse == 0 || h.ResponseStatus != hessian.Response_OK {
		t.Fatalf("header %+v: want an OK response with id 42", h)
	}
	rsp := &hessian.Response{}
	if err := codec.ReadBody(rsp); err != nil {
		t.Fatal(err)
	}
	if rsp.Exception != nil || rsp.RspObj != "srv:"+echo.Arg {
		t.Errorf("value %#v, exception %v: want %q", rsp.RspObj, rsp.Exception, "srv:"+echo.Arg)
	}
}

// The Bolt answer echoes the argument of the SofaRequest after the
// object, and is an OK response with the request's id.
func TestBoltAnswerEchoes(t *testing.T) {
	req := boltEchoRequest()
	var b rpcx.Bolt
	b.SetID(req, 7)
	f := decode(t, &b, req)
	ans := BoltAnswer(nil, &f, "srv")
	a := decode(t, &b, ans)
	if a.Kind != rpcx.KindResponse || !a.OK || a.ID != 7 {
		t.Errorf("answer kind %v ok %v id %d: want an OK response with id 7", a.Kind, a.OK, a.ID)
	}
	if want := hessian2.AppendString(nil, "srv:"+echo.Arg); !bytes.HasSuffix(ans, append(want, 'N')) {
		t.Errorf("answer %q does not end with the value %q and a null", ans, want)
	}
}

// Every cut of a request's content gives no argument, never a panic.
func TestSofaArgTruncated(t *testing.T) {
	req := boltEchoRequest()
	var b rpcx.Bolt
	f := decode(t, &b, req)
	if got := string(sofaArg(&f)); got != echo.Arg {
		t.Fatalf("sofaArg = %q, want %q", got, echo.Arg)
	}
	for n := range len(req) - 1 {
		cut := rpcx.Frame{Raw: req[:n], Len: n, Version: rpcx.BoltV1}
		if got := sofaArg(&cut); got != nil && string(got) == echo.Arg {
			t.Errorf("cut at %d: the whole argument read from a cut frame", n)
		}
	}
}

// sofa-bolt-node reads the Bolt answer as sofa-rpc-node's client does:
// a response with the request's id, no error, the value NAME:ARG (a
// character above U+FFFF included).
func TestBoltAnswerReadBySofaBoltNode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no node peers")
	}
	req := boltEchoRequest()
	var b rpcx.Bolt
	b.SetID(req, 9)
	f := decode(t, &b, req)
	d, err := rpcpeer.Node(t).Decode(BoltAnswer(nil, &f, "srv"))
	if err != nil {
		t.Fatal(err)
	}
	if d.PacketType != "response" || d.PacketID != 9 || d.Error != "" || d.Data.Value != "srv:"+echo.Arg {
		t.Errorf("decoded %+v: want the response to 9 with value %q", d, "srv:"+echo.Arg)
	}
}

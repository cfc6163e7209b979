package rpcx

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/velox-proxy/velox/codec/codectest"
	"github.com/velox-proxy/velox/rpcx/hessian2"
)

// Differential tests of the Dubbo codec against dubbo-go-hessian2, the
// hessian2 library (and Dubbo frame codec) of dubbo-go v3.3.2: it encodes
// the frames our decoder reads, and decodes the frames we rewrite or build.

type testUser struct {
	Name  string
	Age   int32
	Tags  []string
	Inner *testUser
}

func (testUser) JavaClassName() string { return "org.velox.test.User" }

func init() { hessian.RegisterPOJO(&testUser{}) }

// libEncodeRequest encodes a Dubbo request with the library.
func libEncodeRequest(t testing.TB, svc hessian.Service, typ hessian.PackageType, id int64, args []any, att map[string]string) []byte {
	t.Helper()
	c := hessian.NewHessianCodec(nil)
	b, err := c.Write(svc, hessian.DubboHeader{SerialID: DubboHessian2, Type: typ, ID: id}, hessian.NewRequest(args, att))
	if err != nil {
		t.Fatalf("library encode: %v", err)
	}
	return b
}

// libRead decodes one frame with the library: its header and, for a
// request, the seven fields of unpackRequestBody, for a response a Response.
func libRead(t testing.TB, frame []byte) (hessian.DubboHeader, []any, *hessian.Response) {
	t.Helper()
	c := hessian.NewHessianCodec(bufio.NewReaderSize(bytes.NewReader(frame), len(frame)+16))
	var h hessian.DubboHeader
	if err := c.ReadHeader(&h); err != nil {
		t.Fatalf("library ReadHeader: %v", err)
	}
	if h.Type&hessian.PackageHeartbeat != 0 {
		return h, nil, nil
	}
	if h.Type&hessian.PackageRequest != 0 {
		req := make([]any, 7)
		if err := c.ReadBody(req); err != nil {
			t.Fatalf("library ReadBody: %v", err)
		}
		return h, req, nil
	}
	rsp := &hessian.Response{}
	if err := c.ReadBody(rsp); err != nil {
		t.Fatalf("library ReadBody: %v", err)
	}
	return h, nil, rsp
}

// randArg builds an argument of a random type, nested up to depth.
func randArg(r *rand.Rand, depth int) any {
	n := 14
	if depth <= 0 {
		n = 9
	}
	switch r.Intn(n) {
	case 0:
		return nil
	case 1:
		return r.Intn(2) == 0
	case 2:
		return int32(r.Int31() - 1<<30)
	case 3:
		return r.Int63() - 1<<62
	case 4:
		return r.NormFloat64() * 1e6
	case 5:
		return randString(r)
	case 6:
		return time.UnixMilli(r.Int63n(4e12)).UTC()
	case 7:
		b := make([]byte, []int{0, 7, 100, 2000, 70000}[r.Intn(5)])
		r.Read(b)
		return b
	case 8:
		return []string{randString(r), randString(r)}
	case 9:
		return []int64{r.Int63(), -1, 0}
	case 10:
		m := map[any]any{}
		for i := r.Intn(4); i > 0; i-- {
			m[randString(r)] = randArg(r, depth-1)
		}
		return m
	case 11:
		l := make([]any, r.Intn(5))
		for i := range l {
			l[i] = randArg(r, depth-1)
		}
		return l
	case 12:
		return &testUser{Name: randString(r), Age: r.Int31(), Tags: []string{"a", randString(r)}}
	default:
		return &testUser{Name: "outer", Inner: &testUser{Name: randString(r)}}
	}
}

// shortString is a random name-like string of up to 40 characters.
func shortString(r *rand.Rand) string {
	s := []rune(randString(r))
	return string(s[:min(len(s), 40)])
}

// randString has every length class of hessian2 strings and characters
// of 1 to 4 bytes of UTF-8.
func randString(r *rand.Rand) string {
	pieces := []string{"a", "é", "中", "😀", "service.Name"}
	n := []int{0, 1, 5, 31, 32, 600, 1024, 40000, 70000}[r.Intn(9)]
	if r.Intn(4) != 0 {
		n = r.Intn(40)
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(pieces[r.Intn(len(pieces))])
	}
	return b.String()
}

func TestDubboRequestsAgainstLibrary(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	var d Dubbo
	for i := 0; i < 120; i++ {
		svc := hessian.Service{
			Path:    "org.velox.Svc" + fmt.Sprint(i%7),
			Version: []string{"", "1.0.0", "2.3"}[i%3],
			Method:  "call" + shortString(r),
			Group:   []string{"", "blue", "green"}[i%3],
			Timeout: time.Duration(i%4) * time.Second,
		}
		args := make([]any, r.Intn(5))
		for k := range args {
			args[k] = randArg(r, 3)
		}
		att := map[string]string{"tenant": shortString(r), "trace": "t" + fmt.Sprint(i), "long": strings.Repeat("é", r.Intn(4000))}
		if i%3 == 0 {
			att["blob"] = strings.Repeat("b", 5000) // chunked: skipped, not read
		}
		typ := hessian.PackageRequest_TwoWay
		if i%5 == 0 {
			typ = hessian.PackageRequest
		}
		id := r.Int63()
		frame := libEncodeRequest(t, svc, typ, id, args, att)
		checkDubboRequest(t, &d, frame, uint64(id), typ, svc, att)
		if t.Failed() {
			t.Fatalf("frame %d: args %#v", i, args)
		}
	}
}

func checkDubboRequest(t *testing.T, d *Dubbo, frame []byte, id uint64, typ hessian.PackageType, svc hessian.Service, att map[string]string) {
	t.Helper()
	var f Frame
	n, err := d.Decode(frame, &f)
	if err != nil || n != len(frame) {
		t.Fatalf("Decode = %d, %v; want %d", n, err, len(frame))
	}
	want := KindRequest
	if typ != hessian.PackageRequest_TwoWay {
		want = KindOneway
	}
	if f.Kind != want || f.ID != id || f.Codec != DubboHessian2 {
		t.Errorf("frame = kind %v id %d codec %d; want %v %d 2", f.Kind, f.ID, f.Codec, want, id)
	}
	var h Head
	if err := d.Head(&f, &h); err != nil {
		t.Fatalf("Head: %v", err)
	}
	// What the library decodes of the same bytes is the reference.
	_, req, _ := libRead(t, frame)
	eq := func(name string, got []byte, want any) {
		if w, _ := want.(string); string(hessian2.AppendUTF8(nil, got)) != w {
			t.Errorf("%s = %q; library says %q", name, got, want)
		}
	}
	eq("dubbo version", h.DubboVersion, req[0])
	eq("service", h.Service, req[1])
	eq("version", h.Version, req[2])
	eq("method", h.Method, req[3])
	libAtt := req[6].(map[string]string)
	eq("group", h.Group, libAtt["group"])
	for k := range att {
		v, ok, err := h.Lookup(k)
		if k == "blob" {
			if err != ErrChunkedString {
				t.Errorf("Lookup(blob) = %v; want ErrChunkedString", err)
			}
			continue
		}
		if err != nil || !ok || string(hessian2.AppendUTF8(nil, v)) != libAtt[k] {
			t.Errorf("Lookup(%q) = %q, %v, %v; library says %q", k, v, ok, err, libAtt[k])
		}
	}
	if _, ok, err := h.Lookup("no-such-key"); ok || err != nil {
		t.Errorf("Lookup(no-such-key) = %v, %v", ok, err)
	}
	// Rewrite the id: the library still reads the same call, with the new id.
	d.SetID(f.Raw, ^id)
	hdr, req2, _ := libRead(t, frame)
	if uint64(hdr.ID) != ^id {
		t.Errorf("after SetID the library reads id %d; want %d", hdr.ID, ^id)
	}
	if fmt.Sprint(req2[:5]) != fmt.Sprint(req[:5]) || fmt.Sprint(req2[6]) != fmt.Sprint(req[6]) {
		t.Errorf("after SetID the library reads another call")
	}
}

func TestDubboIncremental(t *testing.T) {
	frame := libEncodeRequest(t, hessian.Service{Path: "a.B", Method: "m", Version: "1"}, hessian.PackageRequest_TwoWay, 7,
		[]any{"x", int32(3), map[any]any{"k": []string{"v"}}}, nil)
	var d Dubbo
	for _, k := range codectest.PrefixCuts(len(frame)) {
		var f Frame
		if n, err := d.Decode(frame[:k], &f); err != ErrNeedMore || n != 0 {
			t.Fatalf("Decode(%d of %d bytes) = %d, %v; want ErrNeedMore", k, len(frame), n, err)
		}
	}
	// Two frames back to back: the first is consumed alone.
	two := append(append([]byte{}, frame...), frame...)
	var f Frame
	if n, err := d.Decode(two, &f); n != len(frame) || err != nil || len(f.Raw) != len(frame) {
		t.Fatalf("Decode(two frames) = %d, %v", n, err)
	}
}

func TestDubboMaxFrame(t *testing.T) {
	frame := libEncodeRequest(t, hessian.Service{Path: "a.B", Method: "m"}, hessian.PackageRequest_TwoWay, 1,
		[]any{strings.Repeat("x", 5000)}, nil)
	d := Dubbo{MaxFrame: len(frame) - 1}
	var f Frame
	// The limit is enforced from the header alone, before the body is there.
	_, err := d.Decode(frame[:DubboHeaderLen], &f)
	var se *FrameSizeError
	if !errors.Is(err, ErrFrameTooLarge) || !errors.As(err, &se) || se.Size != int64(len(frame)) {
		t.Fatalf("Decode over the limit = %v", err)
	}
	d.MaxFrame = len(frame)
	if _, err := d.Decode(frame, &f); err != nil {
		t.Fatalf("Decode at the limit = %v", err)
	}
	if _, err := d.Decode([]byte("GET / HTTP/1.1\r\n"), &f); err != ErrNotProtocol {
		t.Fatalf("Decode(HTTP) = %v", err)
	}
}

func TestDubboResponsesAgainstLibrary(t *testing.T) {
	var d Dubbo
	c := hessian.NewHessianCodec(nil)
	for i, st := range []byte{hessian.Response_OK, hessian.Response_OK, hessian.Response_SERVER_ERROR, hessian.Response_SERVICE_NOT_FOUND} {
		hdr := hessian.DubboHeader{SerialID: DubboHessian2, Type: hessian.PackageResponse, ID: int64(1000 + i), ResponseStatus: st}
		var body any = hessian.NewResponse(map[any]any{"ok": int32(i)}, nil, map[string]string{"dubbo": "2.0.2"})
		if st != hessian.Response_OK {
			body = hessian.NewResponse(nil, errors.New("boom"), nil)
		} else if i == 1 {
			body = hessian.NewResponse(nil, errors.New("app error"), map[string]string{"dubbo": "2.0.2"})
		}
		frame, err := c.Write(hessian.Service{}, hdr, body)
		if err != nil {
			t.Fatal(err)
		}
		var f Frame
		if n, err := d.Decode(frame, &f); err != nil || n != len(frame) {
			t.Fatalf("Decode = %d, %v", n, err)
		}
		if f.Kind != KindResponse || f.ID != uint64(hdr.ID) || f.Status != uint16(st) || f.OK != (st == hessian.Response_OK) {
			t.Errorf("response %d: kind %v id %d status %d ok %v", i, f.Kind, f.ID, f.Status, f.OK)
		}
		if err := d.Head(&f, new(Head)); err != ErrNoHead {
			t.Errorf("Head(response) = %v; want ErrNoHead", err)
		}
		d.SetID(f.Raw, 42)
		if h, _, _ := libRead(t, frame); h.ID != 42 || h.ResponseStatus != st {
			t.Errorf("after SetID the library reads id %d status %d", h.ID, h.ResponseStatus)
		}
	}
}

// TestDubboErrorsReadByLibrary: velox's error responses, decoded by the
// library, carry the status and the message.
func TestDubboErrorsReadByLibrary(t *testing.T) {
	var d Dubbo
	msgs := []string{"", "short", strings.Repeat("long é ", 200), "emoji 😀 and 中文", strings.Repeat("x", 70000)}
	for fail := FailNoBackend; fail <= FailUpstream; fail++ {
		for _, msg := range msgs {
			req := Frame{ID: 1<<63 + uint64(fail)}
			frame := d.AppendError([]byte("prefix"), &req, fail, msg)[len("prefix"):]
			var f Frame
			if _, err := d.Decode(frame, &f); err != nil || f.Kind != KindResponse || f.OK || f.ID != req.ID {
				t.Fatalf("our own error response: %v %+v", err, f)
			}
			h, _, rsp := libRead(t, frame)
			if h.ResponseStatus != byte(dubboFailStatus[fail]) || uint64(h.ID) != req.ID || h.Type&hessian.PackageResponse_Exception == 0 {
				t.Errorf("%v: library reads status %d id %d type %#x", fail, h.ResponseStatus, h.ID, h.Type)
			}
			want := msg
			if want == "" {
				want = fail.String()
			}
			if len(want) > 65535 {
				want = want[:65535]
			}
			if got := rsp.Exception.Error(); got != "java exception:"+want {
				t.Errorf("%v: library reads message %.80q; want %.80q", fail, got, want)
			}
		}
	}
}

func TestDubboHeartbeats(t *testing.T) {
	var d Dubbo
	c := hessian.NewHessianCodec(nil)
	// A heartbeat from the library, answered by us, read by the library.
	hb, err := c.Write(hessian.Service{}, hessian.DubboHeader{SerialID: DubboHessian2, Type: hessian.PackageHeartbeat, ID: 77}, hessian.NewRequest([]any{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	var f Frame
	if _, err := d.Decode(hb, &f); err != nil || f.Kind != KindHeartbeat || f.ID != 77 {
		t.Fatalf("Decode(heartbeat) = %v, %+v", err, f)
	}
	reply := d.AppendHeartbeatReply(nil, &f)
	h, _, _ := libRead(t, reply)
	if h.Type != hessian.PackageHeartbeat|hessian.PackageResponse || h.ID != 77 || h.ResponseStatus != hessian.Response_OK {
		t.Errorf("library reads our reply as type %#x id %d status %d", h.Type, h.ID, h.ResponseStatus)
	}
	// The library's own heartbeat response is an acknowledgement to us.
	ack, err := c.Write(hessian.Service{}, hessian.DubboHeader{SerialID: DubboHessian2, Type: hessian.PackageHeartbeat, ID: 78, ResponseStatus: hessian.Response_OK}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Decode(ack, &f); err != nil || f.Kind != KindHeartbeatAck || f.ID != 78 {
		t.Fatalf("Decode(heartbeat ack) = %v, %+v", err, f)
	}
	if got := d.AppendHeartbeatReply(nil, &f); len(got) != 0 {
		t.Errorf("an acknowledgement got a reply")
	}
	// velox's own heartbeat, read by the library.
	h, _, _ = libRead(t, d.AppendHeartbeat(nil, 79))
	if h.Type != hessian.PackageHeartbeat|hessian.PackageRequest|hessian.PackageRequest_TwoWay || h.ID != 79 {
		t.Errorf("library reads our heartbeat as type %#x id %d", h.Type, h.ID)
	}
	// A one-way heartbeat wants no answer.
	oneway := d.AppendHeartbeat(nil, 81)
	oneway[2] &^= dubboTwoWay
	if _, err := d.Decode(oneway, &f); err != nil || f.Kind != KindHeartbeat {
		t.Fatalf("Decode(one-way heartbeat) = %v, %+v", err, f)
	}
	if got := d.AppendHeartbeatReply(nil, &f); len(got) != 0 {
		t.Errorf("a one-way heartbeat got a reply")
	}
	// An event that is not a heartbeat (readonly, body "R").
	ev := append(d.AppendHeartbeat(nil, 80)[:DubboHeaderLen:DubboHeaderLen], 0x01, 'R')
	ev[15] = 2
	if _, err := d.Decode(ev, &f); err != nil || f.Kind != KindEvent {
		t.Errorf("Decode(readonly event) = %v, kind %v", err, f.Kind)
	}
}

func TestCountDescriptors(t *testing.T) {
	for _, c := range []struct {
		d  string
		n  int
		ok bool
	}{
		{"", 0, true}, {"I", 1, true}, {"Ljava/lang/String;IJ", 3, true}, {"[[I[Ljava/lang/Object;Z", 3, true},
		{"V", 1, true}, {"L;", 0, false}, {"Ljava", 0, false}, {"[", 0, false}, {"Q", 0, false},
		{"Lcom/a/Outer$In_1;", 1, true}, {"Ljava/lang/String;L1;", 0, false}, {"La//b;", 0, false},
		{"La/b/;", 0, false}, {"Lé;", 0, false}, {"La b;", 0, false}, {"LI;", 1, true},
	} {
		n, ok := countDescriptors([]byte(c.d))
		if n != c.n || ok != c.ok {
			t.Errorf("countDescriptors(%q) = %d, %v; want %d, %v", c.d, n, ok, c.n, c.ok)
		}
		// Where velox takes the string, dubbo-go counts as many arguments.
		if lib := len(hessian.DescRegex.FindAllString(c.d, -1)); ok && lib != n {
			t.Errorf("countDescriptors(%q) = %d; dubbo-go counts %d", c.d, n, lib)
		}
	}
}

package rpcx

import (
	"encoding/binary"
	"strings"
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/velox-proxy/velox/internal/rpcpeer"
)

// Requests that a plain reading would route to one service while the
// server's own decoder calls another: Head must refuse each of them (or
// read what the server reads). Found by a review, each with the real
// decoders (dubbo-go-hessian2; sofa-bolt-node through internal/rpcpeer).

func hstr(dst []byte, s string) []byte { // short hessian2 string, ASCII
	return append(append(dst, byte(len(s))), s...)
}

func dubboBody(desc string, rest ...[]byte) []byte {
	var b []byte
	b = hstr(b, "2.0.2")
	b = hstr(b, "com.a.Public")
	b = hstr(b, "1.0")
	b = hstr(b, "call")
	b = hstr(b, desc)
	for _, r := range rest {
		b = append(b, r...)
	}
	return appendDubboHeader(nil, 0xc0|DubboHessian2, 0, 9, b)
}

// dubbo-go (impl/hessian.go unmarshalRequestBody) and dubbo-go-hessian2
// count arguments with DescRegex.FindAllString, which skips what is not a
// JVM descriptor ("L1;" is none: an identifier cannot start with a digit).
// A velox that took anything between 'L' and ';' would skip the
// attachments map as an argument and route on the leading strings.
func TestDubboDescriptorsCountedAsDubboGo(t *testing.T) {
	var att []byte
	att = append(att, 'H')
	att = hstr(att, "path")
	att = hstr(att, "com.a.Admin")
	att = append(att, 'Z')
	frame := dubboBody("L1;", att)
	dubboAgreesWithLibrary(t, frame)
}

// A key sent as a chunked string ('R' chunk, then a final short chunk):
// every hessian2 decoder joins it, velox reads keys in place, so it is
// refused.
func TestDubboChunkedKeyRefused(t *testing.T) {
	var att []byte
	att = append(att, 'H', 'R', 0, 2, 'p', 'a', 2, 't', 'h') // "pa" + "th"
	att = hstr(att, "com.a.Admin")
	att = append(att, 'Z')
	frame := dubboBody("", att)
	dubboAgreesWithLibrary(t, frame)
}

// dubboAgreesWithLibrary checks that velox refuses frame or routes it on
// the path dubbo-go-hessian2 reads from it.
func dubboAgreesWithLibrary(t *testing.T, frame []byte) {
	t.Helper()
	var d Dubbo
	var f Frame
	if _, err := d.Decode(frame, &f); err != nil {
		t.Fatal(err)
	}
	var h Head
	err := d.Head(&f, &h)
	_, req, _ := libRead(t, frame)
	lib := req[6].(map[string]string)["path"]
	if err == nil && string(h.Service) != lib {
		t.Errorf("bypass: velox routes %q, the provider calls %q", h.Service, lib)
	}
}

// boltAgreesWithLibrary checks that velox refuses frame or routes it to
// the service sofa-bolt-node reads from it.
func boltAgreesWithLibrary(t *testing.T, p *rpcpeer.Peer, frame []byte) {
	t.Helper()
	var b Bolt
	var f Frame
	if _, err := b.Decode(frame, &f); err != nil {
		t.Fatal(err)
	}
	var h Head
	err := b.Head(&f, &h)
	lib := boltDecodeLib(t, p, frame)
	t.Logf("velox Head: service %q method %q err %v; sofa-bolt-node: class %q service %q method %q", h.Service, h.Method, err, lib.ClassName, lib.Data.Service, lib.Data.Method)
	if err == nil && string(h.Service) != lib.Data.Service {
		t.Errorf("BYPASS: velox routes %q, sofa-rpc-node calls %q", h.Service, lib.Data.Service)
	}
}

func boltReq(class string, meta, content []byte) []byte {
	b := []byte{BoltV1, boltRequest, 0, boltCmdRequest, 1, 0, 0, 0, 7, BoltHessian2, 0, 0, 3, 0xe8}
	b = binary.BigEndian.AppendUint16(b, uint16(len(class)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(meta)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(content)))
	b = append(b, class...)
	return append(append(b, meta...), content...)
}

// boltHeaderMeta is a Bolt header map of service and method.
func boltHeaderMeta(service, method string) []byte {
	var meta []byte
	meta = appendBoltField(meta, BoltHeaderService)
	meta = appendBoltField(meta, service)
	meta = appendBoltField(meta, BoltHeaderMethod)
	return appendBoltField(meta, method)
}

// draftSofaRequest: 'O' definition of SofaRequest with fields, then 'o' 0
// and the values as given.
func draftSofaRequest(fields []string, values []byte) []byte {
	c := []byte{'O', byte(0x90 + len(BoltSofaRequest))}
	c = append(c, BoltSofaRequest...)
	c = append(c, byte(0x90+len(fields)))
	for _, f := range fields {
		c = hstr(c, f)
	}
	c = append(c, 'o', 0x90)
	return append(c, values...)
}

// hessian.js 1.x (sofa-bolt-node's default decoder, sofa-hessian-node v3) reads
// 'R' as a reference with a 4-byte id, 'J'/'K' as references, 'H' maps end
// with 'z', 'V' reads exactly its 'n'/'l' count... A field velox skips
// by other rules would shift every field after it: skipDraft takes only
// what sofa-bolt-node writes there.
func TestBoltDraftSkipRefusesOtherTags(t *testing.T) {
	p := rpcpeer.Node(t)
	admin := "com.a.Admin:1.0"
	var v []byte
	// targetAppName: hessian.js: ref 'R' + int32 (5 bytes); velox: a
	// chunked string 'R' len 0, then a final piece: the short-string tag
	// that is the id's last byte, whose characters are hessian.js's next
	// value, tag and all.
	v = append(v, 'R', 0, 0, 0, byte(1+len(admin)))
	v = hstr(v, admin) // targetServiceUniqueName for hessian.js
	v = hstr(v, "echo")
	content := draftSofaRequest([]string{"targetAppName", "targetServiceUniqueName", "methodName"}, v)
	frame := boltReq(BoltSofaRequest, nil, content) // no header map: nothing to agree with
	boltAgreesWithLibrary(t, p, frame)
}

// sofa-bolt-node trims the class name (codec/hessian/index.js decode:
// className.trim()) before it picks the SofaRequest decoder; Head compares
// it exactly, so a padded class would skip the content check while the
// server calls the content's service: refused.
func TestBoltPaddedClassRefused(t *testing.T) {
	p := rpcpeer.Node(t)
	meta := boltHeaderMeta("com.a.Public:1.0", "echo")
	var v []byte
	v = hstr(v, "com.a.Admin:1.0")
	v = hstr(v, "echo")
	content := draftSofaRequest([]string{"targetServiceUniqueName", "methodName"}, v)
	frame := boltReq(BoltSofaRequest+" ", meta, content)
	boltAgreesWithLibrary(t, p, frame)
}

// The same with a header that agrees: hessian.js ends an 'H' map at 'z'
// (0x7a); a final-grammar skip reads 0x7a as a two-value list and goes on
// to 'Z', past hessian.js's target.
func TestBoltDraftMapRefused(t *testing.T) {
	p := rpcpeer.Node(t)
	var v []byte
	v = append(v, 'H', 'z')         // targetAppName: {} for hessian.js; velox: a map whose first key is a 2-list
	v = hstr(v, "com.a.Admin:1.0")  // hessian.js: targetServiceUniqueName; velox: list item 1
	v = hstr(v, "echo")             // hessian.js: methodName; velox: list item 2
	v = append(v, 'N', 'Z')         // velox: the key's value, end of map
	v = hstr(v, "com.a.Public:1.0") // velox: targetServiceUniqueName
	v = hstr(v, "echo")             // velox: methodName
	content := draftSofaRequest([]string{"targetAppName", "targetServiceUniqueName", "methodName"}, v)
	meta := boltHeaderMeta("com.a.Public:1.0", "echo")
	frame := boltReq(BoltSofaRequest, meta, content)
	boltAgreesWithLibrary(t, p, frame)
}

var _ = hessian.NewEncoder

// Of two equal keys every decoder's map keeps the last: so does
// Head.Lookup.
func TestDubboDuplicateKeyLastWins(t *testing.T) {
	var att []byte
	att = append(att, 'H')
	att = hstr(att, "x-env")
	att = hstr(att, "prod")
	att = hstr(att, "x-env")
	att = hstr(att, "canary")
	att = append(att, 'Z')
	frame := dubboBody("", att)
	var d Dubbo
	_, h := decodeHead(t, &d, frame)
	v, _, _ := h.Lookup("x-env")
	_, req, _ := libRead(t, frame)
	lib := req[6].(map[string]string)["x-env"]
	if string(v) != lib {
		t.Errorf("velox routes on x-env=%q, the provider reads %q", v, lib)
	}
}

// A protobuf (codec 11) caller's codec takes the content of an error
// response as the message's own bytes: no hessian2 there.
func TestBoltProtobufErrorContent(t *testing.T) {
	p := rpcpeer.Node(t)
	var b Bolt
	resp := b.AppendError(nil, &Frame{ID: 5, Version: BoltV1, Codec: 11}, FailRefused, "denied")
	d := boltDecodeLib(t, p, resp)
	if !strings.Contains(d.Error, "denied") {
		t.Errorf("sofa-bolt-node (protobuf) reads the error %q, want %q", d.Error, "denied")
	}
}

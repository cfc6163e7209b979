package rpcx

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"

	"github.com/velox-proxy/velox/rpcx/hessian2"
)

// Bolt is the SOFA Bolt protocol (sofa-bolt, RpcProtocol and RpcProtocolV2),
// versions 1 and 2, told apart by the first byte. The fixed headers, all
// big endian:
//
//	v1 request   proto(1) type cmdcode(2) ver2 id(4) codec timeout(4) classLen(2) headerLen(2) contentLen(4)  = 22
//	v1 response  proto(1) type cmdcode(2) ver2 id(4) codec status(2)  classLen(2) headerLen(2) contentLen(4)  = 20
//	v2 request   proto(2) ver1 type cmdcode(2) ver2 id(4) codec switch timeout(4) classLen headerLen contentLen = 24
//	v2 response  proto(2) ver1 type cmdcode(2) ver2 id(4) codec switch status(2)  classLen headerLen contentLen = 22
//
// then the class name, the header map (SimpleMapSerializer: int32 length
// and bytes for each key and value, -1 for a null value) and the content;
// a v2 frame whose switch has the CRC bit ends with the CRC-32 (IEEE) of
// everything before it.
//
// The zero Bolt is ready to use, with the DefaultMaxFrame limit.
type Bolt struct {
	// MaxFrame is the largest frame, header included, Decode accepts;
	// zero means DefaultMaxFrame.
	MaxFrame int
}

// Bolt wire values.
const (
	BoltV1 = 1
	BoltV2 = 2

	boltResponse = 0
	boltRequest  = 1
	boltOneway   = 2

	boltCmdHeartbeat = 0
	boltCmdRequest   = 1
	boltCmdResponse  = 2

	boltCRCBit = 0x01

	// BoltHessian2 is the codec byte of hessian2 content.
	BoltHessian2 = 1
	// BoltProtobuf is the codec byte of protobuf content.
	BoltProtobuf = 11

	// BoltHeaderService is the header-map key naming the service
	// ("interface:version").
	BoltHeaderService = "service"
	// BoltHeaderMethod is the header-map key naming the method (sent with
	// protobuf content).
	BoltHeaderMethod = "sofa_head_method_name"
	// BoltHeaderError is the header-map key of velox's message in the
	// error responses it builds.
	BoltHeaderError = "velox_error"
)

// BoltStatus is a Bolt response status (com.alipay.remoting.ResponseStatus).
type BoltStatus uint16

// The Bolt response statuses.
const (
	BoltSuccess              BoltStatus = 0x0000
	BoltError                BoltStatus = 0x0001
	BoltServerException      BoltStatus = 0x0002
	BoltUnknown              BoltStatus = 0x0003
	BoltServerThreadpoolBusy BoltStatus = 0x0004
	BoltErrorComm            BoltStatus = 0x0005
	BoltNoProcessor          BoltStatus = 0x0006
	BoltTimeout              BoltStatus = 0x0007
	BoltClientSendError      BoltStatus = 0x0008
	BoltCodecException       BoltStatus = 0x0009
	BoltConnectionClosed     BoltStatus = 0x0010
	BoltServerSerialError    BoltStatus = 0x0011
	BoltServerDeserialError  BoltStatus = 0x0012
)

var boltFailStatus = [...]BoltStatus{
	FailNoBackend:  BoltNoProcessor,
	FailTimeout:    BoltTimeout,
	FailOverload:   BoltServerThreadpoolBusy,
	FailBadRequest: BoltCodecException,
	FailUpstream:   BoltConnectionClosed,
	FailRefused:    BoltServerException,
}

// boltLayout says where a fixed header keeps its fields.
type boltLayout struct {
	hdrLen                     int
	typ, cmd, id, codec, sw    int // sw < 0: no switch byte
	timeout, status            int // one of them < 0
	classLen, metaLen, content int
}

// boltLayouts is indexed by [version-1][is response].
var boltLayouts = [2][2]boltLayout{
	{
		{hdrLen: 22, typ: 1, cmd: 2, id: 5, codec: 9, sw: -1, timeout: 10, status: -1, classLen: 14, metaLen: 16, content: 18},
		{hdrLen: 20, typ: 1, cmd: 2, id: 5, codec: 9, sw: -1, timeout: -1, status: 10, classLen: 12, metaLen: 14, content: 16},
	},
	{
		{hdrLen: 24, typ: 2, cmd: 3, id: 6, codec: 10, sw: 11, timeout: 12, status: -1, classLen: 16, metaLen: 18, content: 20},
		{hdrLen: 22, typ: 2, cmd: 3, id: 6, codec: 10, sw: 11, timeout: -1, status: 12, classLen: 14, metaLen: 16, content: 18},
	},
}

// Name returns "bolt".
func (*Bolt) Name() string { return "bolt" }

// MaxID is the largest Bolt request id: 32 bits.
func (*Bolt) MaxID() uint64 { return 1<<32 - 1 }

// Decode implements Protocol.
func (b *Bolt) Decode(buf []byte, f *Frame) (int, error) {
	l, size, err := boltSize(buf, maxFrame(b.MaxFrame))
	if err != nil {
		return 0, err
	}
	kind, ok := boltKind(buf[l.typ], binary.BigEndian.Uint16(buf[l.cmd:]))
	if !ok {
		return 0, ErrBadFrame
	}
	*f = Frame{
		Raw: buf[:size:size], Len: size, Kind: kind,
		ID:      uint64(binary.BigEndian.Uint32(buf[l.id:])),
		Version: buf[0], Codec: buf[l.codec],
		hdrLen: l.hdrLen,
		class:  int(binary.BigEndian.Uint16(buf[l.classLen:])),
		meta:   int(binary.BigEndian.Uint16(buf[l.metaLen:])),
	}
	if l.status >= 0 {
		f.Status = binary.BigEndian.Uint16(buf[l.status:])
		f.OK = BoltStatus(f.Status) == BoltSuccess
	} else {
		f.Timeout = binary.BigEndian.Uint32(buf[l.timeout:])
		if c := l.hdrLen + f.class + f.meta; c < size && buf[c] == 'O' {
			f.HessianDraft = true // a class definition of the draft: no final-grammar content starts so
		}
	}
	return size, nil
}

// boltSize reads the fixed header at the start of buf: its layout and the
// size of the whole frame once all of it is in buf.
func boltSize(buf []byte, limit int) (*boltLayout, int, error) {
	if len(buf) == 0 {
		return nil, 0, errNeedMore
	}
	ver := buf[0]
	if ver != BoltV1 && ver != BoltV2 {
		return nil, 0, ErrNotProtocol
	}
	typAt := int(ver) // the type byte follows proto (v1) or ver1 (v2)
	if len(buf) <= typAt {
		return nil, 0, errNeedMore
	}
	typ := buf[typAt]
	if typ > boltOneway {
		return nil, 0, ErrBadFrame
	}
	l := &boltLayouts[ver-1][b2i(typ == boltResponse)]
	if len(buf) < l.hdrLen {
		return nil, 0, errNeedMore
	}
	class := int16(binary.BigEndian.Uint16(buf[l.classLen:]))
	meta := int16(binary.BigEndian.Uint16(buf[l.metaLen:]))
	content := int32(binary.BigEndian.Uint32(buf[l.content:]))
	if class < 0 || meta < 0 || content < 0 {
		return nil, 0, ErrBadFrame // Java reads them as signed
	}
	crc := l.sw >= 0 && buf[l.sw]&boltCRCBit != 0
	size := int64(l.hdrLen) + int64(class) + int64(meta) + int64(content) + int64(4*b2i(crc))
	if err := checkSize(size, limit); err != nil {
		return nil, 0, err
	}
	if int64(len(buf)) < size {
		return nil, 0, errNeedMore
	}
	return l, int(size), nil
}

// boltKind tells the kind from the type and command code; ok is false for
// a command that does not go with the type.
func boltKind(typ byte, cmd uint16) (Kind, bool) {
	switch {
	case cmd == boltCmdHeartbeat && typ == boltResponse:
		return KindHeartbeatAck, true
	case cmd == boltCmdHeartbeat:
		return KindHeartbeat, true
	case cmd == boltCmdResponse && typ == boltResponse:
		return KindResponse, true
	case cmd == boltCmdRequest && typ == boltRequest:
		return KindRequest, true
	case cmd == boltCmdRequest && typ == boltOneway:
		return KindOneway, true
	}
	return 0, false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SetID implements Protocol. A v2 frame with a CRC gets its CRC again
// (a pass over the frame, without allocation).
func (*Bolt) SetID(raw []byte, id uint64) {
	if raw[0] == BoltV1 {
		binary.BigEndian.PutUint32(raw[5:9], uint32(id))
		return
	}
	binary.BigEndian.PutUint32(raw[6:10], uint32(id))
	if raw[11]&boltCRCBit != 0 {
		n := len(raw) - 4
		binary.BigEndian.PutUint32(raw[n:], crc32.ChecksumIEEE(raw[:n]))
	}
}

// Head implements Protocol: the class name and the header map, whose
// "service" and "sofa_head_method_name" are Service and Method.
//
// A hessian2 request whose class is SofaRequest names its service and
// method again in the content, and that is what the server calls
// (sofa-bolt-node reads targetServiceUniqueName and methodName from it):
// Head reads both from the content, and a header that names another
// service or method gives ErrHeadMismatch.
func (*Bolt) Head(f *Frame, h *Head) error {
	if f.Kind != KindRequest && f.Kind != KindOneway {
		return ErrNoHead
	}
	at := f.hdrLen
	*h = Head{
		Class:  f.Raw[at : at+f.class],
		meta:   f.Raw[at+f.class : at+f.class+f.meta],
		isBolt: true,
	}
	var vals [3][]byte
	var has [3]bool
	if err := boltHeaders(h.meta, boltCallHeaders, vals[:], has[:]); err != nil {
		return err
	}
	h.Service, h.Method = vals[boltHdrService], vals[boltHdrMethod]
	if string(h.Class) != BoltSofaRequest {
		if bytes.Contains(h.Class, []byte(BoltSofaRequest)) {
			// sofa-bolt-node trims the class name: with spaces around it
			// this is a SofaRequest to the server, not to a plain compare.
			return ErrBadBody
		}
		return nil
	}
	if f.Codec != BoltHessian2 {
		return nil
	}
	return h.agreeWithSofaRequest(f.Raw[at+f.class+f.meta:], vals[boltHdrTarget], has[boltHdrTarget])
}

// The headers that name the call, by index in boltCallHeaders.
const (
	boltHdrService = iota
	boltHdrMethod
	boltHdrTarget
)

var boltCallHeaders = []string{boltHdrService: BoltHeaderService, boltHdrMethod: BoltHeaderMethod, boltHdrTarget: BoltHeaderTargetService}

// BoltSofaRequest is the class name of a SOFARPC call's content.
const BoltSofaRequest = "com.alipay.sofa.rpc.core.request.SofaRequest"

// BoltHeaderTargetService is the header some SOFA clients name the
// service with besides "service".
const BoltHeaderTargetService = "sofa_head_target_service"

var sofaRequestFields = []string{"targetServiceUniqueName", "methodName"}

// sofaDraftLayout is the SofaRequest definition sofa-bolt-node writes in
// the Hessian 2.0 draft. Its server keeps a connection's class definitions
// by name and field count and reads a later definition of the same key
// with the first one's field order; velox's upstream connection carries
// every client's requests, so any other field list is refused.
var sofaDraftLayout = []string{"methodName", "methodArgSigs", "targetServiceUniqueName", "targetAppName", "requestProps"}

// agreeWithSofaRequest sets Service and Method from the SofaRequest at the
// start of content, after checking the headers that name them agree (alt:
// the value of BoltHeaderTargetService, hasAlt whether it was sent).
func (h *Head) agreeWithSofaRequest(content []byte, alt []byte, hasAlt bool) error {
	var r hessian2.Reader
	r.Reset(content)
	var vals [2][]byte
	if _, err := r.ReadObjectStrings(sofaRequestFields, vals[:], sofaDraftLayout); err != nil {
		if err == hessian2.ErrNotString {
			return ErrBadBody
		}
		return bodyError(err)
	}
	target, method := vals[0], vals[1]
	if (h.Service != nil && !bytes.Equal(h.Service, target)) || (hasAlt && !bytes.Equal(alt, target)) ||
		(h.Method != nil && !bytes.Equal(h.Method, method)) {
		return ErrHeadMismatch
	}
	h.Service, h.Method = target, method
	return nil
}

// boltLookup finds key in a SimpleMapSerializer map. A key sent twice has
// its last value, as the decoders (a Java HashMap, a JS object) keep.
func boltLookup(m []byte, key string) (value []byte, found bool, err error) {
	for len(m) > 0 {
		k, rest, ok := boltField(m)
		if !ok {
			return nil, false, ErrBadBody
		}
		v, rest, ok := boltField(rest)
		if !ok {
			return nil, false, ErrBadBody
		}
		if string(k) == key {
			value, found = v, true
		}
		m = rest
	}
	return value, found, nil
}

// boltHeaders reads the headers named keys from the SimpleMapSerializer
// map m in one pass: vals[i] is the value of keys[i] (nil for a null),
// has[i] whether the map has that key; a key sent twice has its last value,
// as in boltLookup.
func boltHeaders(m []byte, keys []string, vals [][]byte, has []bool) error {
	for len(m) > 0 {
		k, rest, ok := boltField(m)
		if !ok {
			return ErrBadBody
		}
		v, rest, ok := boltField(rest)
		if !ok {
			return ErrBadBody
		}
		for i, key := range keys {
			if string(k) == key {
				vals[i], has[i] = v, true
			}
		}
		m = rest
	}
	return nil
}

// boltField cuts one int32-length-prefixed field off m; a length of -1 is
// a null, read as empty.
func boltField(m []byte) (field, rest []byte, ok bool) {
	if len(m) < 4 {
		return nil, nil, false
	}
	n := int64(int32(binary.BigEndian.Uint32(m)))
	m = m[4:]
	if n == -1 {
		return nil, m, true
	}
	if n < 0 || n > int64(len(m)) {
		return nil, nil, false
	}
	return m[:n], m[n:], true
}

// AppendHeartbeat implements Protocol: a v1 heartbeat request.
func (*Bolt) AppendHeartbeat(dst []byte, id uint64) []byte {
	return appendBolt(dst, &Frame{ID: id, Version: BoltV1, Codec: BoltHessian2}, boltRequest, boltCmdHeartbeat, 0, nil)
}

// AppendHeartbeatReply implements Protocol: a heartbeat acknowledgement
// with the heartbeat's id, version and codec.
func (*Bolt) AppendHeartbeatReply(dst []byte, hb *Frame) []byte {
	if hb.Kind != KindHeartbeat {
		return dst
	}
	return appendBolt(dst, hb, boltResponse, boltCmdHeartbeat, BoltSuccess, nil)
}

// AppendError implements Protocol: a response with the failure's status,
// no class, the message in the header map under BoltHeaderError and as
// the content, an RpcServerException as Bolt servers send it.
func (*Bolt) AppendError(dst []byte, req *Frame, fail Failure, msg string) []byte {
	if msg == "" {
		msg = fail.String()
	}
	msg = cutUTF8(msg, maxBoltErrorLen)
	st := BoltUnknown
	if int(fail) < len(boltFailStatus) && boltFailStatus[fail] != 0 {
		st = boltFailStatus[fail]
	}
	return appendBolt(dst, req, boltResponse, boltCmdResponse, st, &msg)
}

// appendBolt appends a frame with no class and no content, answering (or,
// for a heartbeat request, being) like: its id, version and codec. A
// non-nil msg becomes the header map's BoltHeaderError.
func appendBolt(dst []byte, like *Frame, typ byte, cmd uint16, st BoltStatus, msg *string) []byte {
	ver, codec := like.Version, like.Codec
	if ver != BoltV2 {
		ver = BoltV1
	}
	if codec == 0 {
		codec = BoltHessian2
	}
	dst = append(dst, ver)
	if ver == BoltV2 {
		dst = append(dst, 1) // ver1
	}
	dst = append(dst, typ)
	dst = binary.BigEndian.AppendUint16(dst, cmd)
	dst = append(dst, 1) // ver2
	dst = binary.BigEndian.AppendUint32(dst, uint32(like.ID))
	dst = append(dst, codec)
	if ver == BoltV2 {
		dst = append(dst, 0) // switch: no CRC
	}
	if typ == boltResponse {
		dst = binary.BigEndian.AppendUint16(dst, uint16(st))
	} else {
		dst = binary.BigEndian.AppendUint32(dst, 0) // timeout
	}
	meta := 0
	if msg != nil {
		meta = 8 + len(BoltHeaderError) + len(*msg)
	}
	dst = binary.BigEndian.AppendUint16(dst, 0) // classLen
	dst = binary.BigEndian.AppendUint16(dst, uint16(meta))
	lenAt := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, 0) // contentLen
	if msg != nil {
		dst = appendBoltField(dst, BoltHeaderError)
		dst = appendBoltField(dst, *msg)
	}
	if msg != nil && (codec == BoltHessian2 || codec == BoltProtobuf) {
		// The content is the message: for hessian2 as the
		// RpcServerException that Bolt servers send (its detailMessage),
		// which sofa-bolt-node makes the caller's error of; for protobuf
		// as its own bytes, which its protobuf codec takes as the error.
		at := len(dst)
		if codec == BoltProtobuf {
			dst = append(dst, *msg...)
		} else {
			dst = appendServerException(dst, *msg, like.HessianDraft)
		}
		binary.BigEndian.PutUint32(dst[lenAt:], uint32(len(dst)-at))
	}
	return dst
}

// boltServerException is the class of an error response's content.
const boltServerException = "com.alipay.remoting.rpc.exception.RpcServerException"

// appendServerException appends an RpcServerException whose detailMessage
// is msg and whose stackTrace is null: its class definition ('C', the
// name, two fields), then the instance (0x60: of definition 0); in the
// Hessian 2.0 draft when draft is set ('O', the name's length and
// characters, the fields, then 'o' and definition 0), as sofa-bolt-node
// reads by default.
func appendServerException(dst []byte, msg string, draft bool) []byte {
	if draft {
		n := len(boltServerException) // ASCII: characters are bytes
		dst = append(dst, 'O', 0xc8+byte(n>>8), byte(n))
		dst = append(dst, boltServerException...)
	} else {
		dst = append(dst, 'C')
		dst = hessian2.AppendString(dst, boltServerException)
	}
	dst = append(dst, 0x92) // two fields: hessian.js makes an Error of an object with both
	dst = hessian2.AppendString(dst, "detailMessage")
	dst = hessian2.AppendString(dst, "stackTrace")
	if draft {
		dst = append(dst, 'o', 0x90)
	} else {
		dst = append(dst, 0x60)
	}
	dst = hessian2.AppendString(dst, msg)
	return append(dst, 'N') // no stack trace
}

// maxBoltErrorLen bounds the message of an error response: the header
// map's length is a 16-bit field.
const maxBoltErrorLen = 4096

// cutUTF8 cuts s to at most n bytes, not inside a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

func appendBoltField(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

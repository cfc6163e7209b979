package rpcx

import (
	"encoding/binary"

	"github.com/velox-proxy/velox/rpcx/hessian2"
)

// Dubbo is the Dubbo protocol (dubbo.apache.org, "Dubbo 2 protocol"): a
// 16-byte header and a body serialized by the serialization its flag byte
// names.
//
//	0-1   magic 0xdabb
//	2     flag: 0x80 request, 0x40 two-way, 0x20 event, low 5 bits serialization id
//	3     status (responses)
//	4-11  request id, big endian
//	12-15 body length, big endian
//
// The zero Dubbo is ready to use, with the DefaultMaxFrame limit.
type Dubbo struct {
	// MaxFrame is the largest frame, header included, Decode accepts;
	// zero means DefaultMaxFrame.
	MaxFrame int
}

// Dubbo header layout and flags.
const (
	DubboHeaderLen = 16

	dubboMagic0   = 0xda
	dubboMagic1   = 0xbb
	dubboRequest  = 0x80
	dubboTwoWay   = 0x40
	dubboEvent    = 0x20
	dubboSerialID = 0x1f

	// DubboHessian2 is the serialization id of hessian2, the one whose
	// bodies Head reads and velox writes.
	DubboHessian2 = 2
)

// DubboStatus is a Dubbo response status byte (org.apache.dubbo.remoting.
// exchange.Response).
type DubboStatus uint8

// The Dubbo response statuses.
const (
	DubboOK                  DubboStatus = 20
	DubboClientTimeout       DubboStatus = 30
	DubboServerTimeout       DubboStatus = 31
	DubboChannelInactive     DubboStatus = 35
	DubboBadRequest          DubboStatus = 40
	DubboBadResponse         DubboStatus = 50
	DubboServiceNotFound     DubboStatus = 60
	DubboServiceError        DubboStatus = 70
	DubboServerError         DubboStatus = 80
	DubboClientError         DubboStatus = 90
	DubboThreadpoolExhausted DubboStatus = 100
	dubboHeartbeatBody                   = 'N' // hessian2 null: a heartbeat's (and its reply's) body
)

// dubboFailStatus maps velox's failures to Dubbo statuses. velox answers
// as the server side of the client's connection, so a timeout is the
// server's.
var dubboFailStatus = [...]DubboStatus{
	FailNoBackend:  DubboServiceNotFound,
	FailTimeout:    DubboServerTimeout,
	FailOverload:   DubboThreadpoolExhausted,
	FailBadRequest: DubboBadRequest,
	FailUpstream:   DubboServerError,
	FailRefused:    DubboServiceError,
}

// Name returns "dubbo".
func (*Dubbo) Name() string { return "dubbo" }

// MaxID is the largest Dubbo request id: 64 bits.
func (*Dubbo) MaxID() uint64 { return ^uint64(0) }

// Decode implements Protocol. A request with the event bit is a heartbeat
// when its body is empty or a null (hessian2 'N', JSON "null"), another
// event (KindEvent) otherwise; the same holds for responses
// (KindHeartbeatAck).
func (d *Dubbo) Decode(buf []byte, f *Frame) (int, error) {
	if len(buf) > 0 && buf[0] != dubboMagic0 || len(buf) > 1 && buf[1] != dubboMagic1 {
		return 0, ErrNotProtocol
	}
	if len(buf) < DubboHeaderLen {
		return 0, errNeedMore
	}
	size := DubboHeaderLen + int64(binary.BigEndian.Uint32(buf[12:16]))
	if err := checkSize(size, maxFrame(d.MaxFrame)); err != nil {
		return 0, err
	}
	if int64(len(buf)) < size {
		return 0, errNeedMore
	}
	flag := buf[2]
	if flag&dubboSerialID == 0 {
		return 0, ErrBadFrame
	}
	n := int(size)
	*f = Frame{
		Raw:    buf[:n:n],
		Len:    n,
		ID:     binary.BigEndian.Uint64(buf[4:12]),
		Codec:  flag & dubboSerialID,
		hdrLen: DubboHeaderLen,
		flags:  flag,
	}
	f.Kind = dubboKind(flag, f.Body())
	if flag&dubboRequest == 0 {
		f.Status = uint16(buf[3])
		f.OK = DubboStatus(buf[3]) == DubboOK
	}
	return n, nil
}

func dubboKind(flag byte, body []byte) Kind {
	req := flag&dubboRequest != 0
	switch {
	case flag&dubboEvent != 0 && !isNullBody(body):
		return KindEvent
	case flag&dubboEvent != 0 && req:
		return KindHeartbeat
	case flag&dubboEvent != 0:
		return KindHeartbeatAck
	case !req:
		return KindResponse
	case flag&dubboTwoWay != 0:
		return KindRequest
	}
	return KindOneway
}

// isNullBody reports whether an event body is a null: empty, hessian2
// 'N' (dubbo-go puts a second 'N' after a body) or JSON "null".
func isNullBody(b []byte) bool {
	return len(b) == 0 || b[0] == 'N' || len(b) >= 4 && string(b[:4]) == "null"
}

// SetID implements Protocol.
func (*Dubbo) SetID(raw []byte, id uint64) { binary.BigEndian.PutUint64(raw[4:12], id) }

// AppendHeartbeat implements Protocol: a two-way hessian2 heartbeat.
func (*Dubbo) AppendHeartbeat(dst []byte, id uint64) []byte {
	return appendDubboHeader(dst, dubboRequest|dubboTwoWay|dubboEvent|DubboHessian2, 0, id, []byte{dubboHeartbeatBody})
}

// AppendHeartbeatReply implements Protocol: a two-way heartbeat gets an
// event response with status OK, the same id and serialization, and the
// heartbeat's own null body.
func (*Dubbo) AppendHeartbeatReply(dst []byte, hb *Frame) []byte {
	if hb.Kind != KindHeartbeat || hb.flags&dubboTwoWay == 0 {
		return dst
	}
	return appendDubboHeader(dst, dubboEvent|hb.Codec, DubboOK, hb.ID, hb.Body())
}

// AppendError implements Protocol: a hessian2 response with the failure's
// status and the message as a hessian2 string body, which is how Dubbo
// servers send an error status.
func (*Dubbo) AppendError(dst []byte, req *Frame, fail Failure, msg string) []byte {
	if msg == "" {
		msg = fail.String()
	}
	st := DubboServerError
	if int(fail) < len(dubboFailStatus) && dubboFailStatus[fail] != 0 {
		st = dubboFailStatus[fail]
	}
	start := len(dst)
	dst = appendDubboHeader(dst, DubboHessian2, st, req.ID, nil)
	dst = hessian2.AppendString(dst, msg)
	binary.BigEndian.PutUint32(dst[start+12:], uint32(len(dst)-start-DubboHeaderLen))
	return dst
}

func appendDubboHeader(dst []byte, flag byte, st DubboStatus, id uint64, body []byte) []byte {
	dst = append(dst, dubboMagic0, dubboMagic1, flag, byte(st))
	dst = binary.BigEndian.AppendUint64(dst, id)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	return append(dst, body...)
}

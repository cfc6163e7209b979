package rpcx

import (
	"errors"
	"strconv"

	"github.com/velox-proxy/velox/codec"
)

// Protocol is one RPC wire protocol. Implementations hold only immutable
// configuration, so one value may serve every loop at once.
type Protocol interface {
	// Name is the protocol's name in config and logs ("dubbo", "bolt").
	Name() string

	// Decode decodes the frame at the start of buf into f. It returns
	// ErrNeedMore while buf holds no whole frame (read more, call again
	// with every unconsumed byte), an error wrapping ErrFrameTooLarge as
	// soon as the fixed header declares more than the configured maximum,
	// ErrNotProtocol or ErrBadFrame for bytes that are not a frame; the
	// connection cannot go on after an error other than ErrNeedMore.
	// Otherwise n is f.Len, the size of the whole frame. f.Raw points
	// into buf; buf is not modified.
	Decode(buf []byte, f *Frame) (n int, err error)

	// SetID rewrites the request id of the decoded frame raw in place
	// (raw is f.Raw), without touching the body. id must not be above
	// MaxID; the bits above it are dropped.
	SetID(raw []byte, id uint64)

	// MaxID is the largest request id the wire carries.
	MaxID() uint64

	// Head decodes what routing needs from request frame f into h. Its
	// fields point into f.Raw. It returns ErrNoHead for frames that carry
	// none (responses, heartbeats, a Dubbo serialization other than
	// hessian2), ErrChunkedString for a routing string sent in chunks and
	// ErrBadBody for a body it cannot read. It does not allocate.
	Head(f *Frame, h *Head) error

	// AppendHeartbeat appends a heartbeat request with id to dst: what
	// velox sends on an idle upstream connection.
	AppendHeartbeat(dst []byte, id uint64) []byte

	// AppendHeartbeatReply appends the answer to the heartbeat frame hb to
	// dst, or returns dst as it is when hb wants no answer (a one-way or
	// an acknowledgement).
	AppendHeartbeatReply(dst []byte, hb *Frame) []byte

	// AppendError appends to dst a response to req that fails it with the
	// protocol's status for fail and msg as its message (the failure's
	// own text when msg is empty). Only req.ID, req.Version, req.Codec
	// and req.HessianDraft are read, so a Frame holding just those (kept in a stream entry)
	// is enough; zero values mean the protocol's defaults.
	AppendError(dst []byte, req *Frame, fail Failure, msg string) []byte

	// AppendWithFields appends to dst request f, whose Head is h, with
	// the changes made to the fields a proxy routes on (rewrite.go): Dubbo
	// attachments, Bolt header-map entries. The rest of the frame is
	// copied as it is. A change it cannot make so that the server reads
	// it (see each protocol's) gives ErrFieldFixed.
	AppendWithFields(dst []byte, f *Frame, h *Head, changes []Change) ([]byte, error)
}

var (
	_ Protocol = (*Dubbo)(nil)
	_ Protocol = (*Bolt)(nil)
)

// Kind is what a frame is for the stream table.
type Kind uint8

// The kinds of frames.
const (
	KindRequest      Kind = iota + 1 // a call that expects a response
	KindOneway                       // a call that expects none: its stream ends when sent
	KindResponse                     // the answer to a call, found by its id
	KindHeartbeat                    // a keep-alive request: answered by velox, never forwarded
	KindHeartbeatAck                 // the answer to a heartbeat
	KindEvent                        // any other control message (Dubbo's readonly event)
)

var kindNames = [...]string{"invalid", "request", "oneway", "response", "heartbeat", "heartbeat_ack", "event"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Frame is one decoded frame. Decode fills it; Raw and the offsets point
// into the decoded buffer and live as long as it does.
type Frame struct {
	Raw     []byte // the whole frame: header and body
	Len     int    // len(Raw)
	Kind    Kind
	ID      uint64 // request id (Dubbo 64 bits, Bolt 32 bits)
	Status  uint16 // a response's native status (Dubbo status byte, Bolt respstatus)
	OK      bool   // a response's status is success
	Version uint8  // Bolt: the proto byte (1 or 2); Dubbo: 0
	Codec   uint8  // Dubbo serialization id, Bolt codec byte
	Timeout uint32 // Bolt request timeout in milliseconds; Dubbo: 0 (it is an attachment)
	// HessianDraft: a Bolt request whose content is in the Hessian 2.0
	// draft grammar (sofa-bolt-node's default) rather than the final one
	// (Java's); the content of velox's error response to it follows.
	HessianDraft bool

	hdrLen int   // length of the fixed header
	class  int   // Bolt: class name length, after the fixed header
	meta   int   // Bolt: header map length, after the class name
	flags  uint8 // Dubbo: the flag byte
}

// Body returns the frame's bytes after its fixed header (for Bolt: class
// name, header map and content).
func (f *Frame) Body() []byte { return f.Raw[f.hdrLen:] }

// Head is what routing needs of a request. Its slices point into the
// frame's bytes and live as long as they do; a field the frame does not
// carry is empty. Dubbo's are hessian2 string bytes: UTF-8, except for a
// character above U+FFFF, sent as a surrogate pair (hessian2.AppendUTF8
// makes them UTF-8 when the proxy copies them into a stream's arena).
type Head struct {
	Service []byte // Dubbo: service path; Bolt: header "service"
	Method  []byte // Dubbo: method name; Bolt: header "sofa_head_method_name"
	Version []byte // Dubbo: service version
	Group   []byte // Dubbo: attachment "group"
	Class   []byte // Bolt: the class name of the content
	// DubboVersion is the protocol version a Dubbo caller sends ("2.0.2").
	DubboVersion []byte

	meta   []byte // Dubbo: the hessian2 attachments map; Bolt: the header map
	isBolt bool
	// Dubbo: where the leading version string is in the body.
	verAt, verEnd int
}

// Lookup returns the value of a Dubbo attachment or a Bolt header named
// key; ok is false when there is none. It does not allocate. For Dubbo,
// only string values are returned (null is empty): a value of key of
// another type gives ErrValueType, a chunked one ErrChunkedString, a
// malformed map ErrBadBody.
func (h *Head) Lookup(key string) (value []byte, ok bool, err error) {
	if h.isBolt {
		return boltLookup(h.meta, key)
	}
	return dubboLookup(h.meta, key)
}

// Failure is a protocol-neutral reason velox answers a request itself;
// each protocol maps it to its own status (DubboStatus, BoltStatus).
type Failure uint8

// The failures velox answers for.
const (
	FailNoBackend  Failure = iota + 1 // no route, no healthy backend, connection refused
	FailTimeout                       // the backend did not answer in time
	FailOverload                      // a limit on requests in flight was hit
	FailBadRequest                    // the request could not be read or routed
	FailUpstream                      // the upstream connection failed with the request pending
	FailRefused                       // a filter answered the request itself (a deny, say)
)

var failureText = [...]string{
	FailNoBackend:  "velox: no backend for the service",
	FailTimeout:    "velox: upstream timeout",
	FailOverload:   "velox: overloaded",
	FailBadRequest: "velox: bad request",
	FailUpstream:   "velox: upstream connection failed",
	FailRefused:    "velox: refused",
}

func (f Failure) String() string {
	if int(f) < len(failureText) && failureText[f] != "" {
		return failureText[f]
	}
	return "velox: failure " + strconv.Itoa(int(f))
}

// ErrNeedMore is returned by Decode while the buffer holds no whole frame.
// It is codec.ErrNeedMore.
var ErrNeedMore = codec.ErrNeedMore

var errNeedMore = ErrNeedMore

var (
	// ErrNotProtocol is returned by Decode when the first bytes are not
	// this protocol's (Dubbo magic, Bolt proto byte).
	ErrNotProtocol = errors.New("rpcx: not a frame of this protocol")
	// ErrBadFrame is returned by Decode for a fixed header that is
	// inconsistent (unknown type or command, negative length).
	ErrBadFrame = errors.New("rpcx: malformed frame header")
	// ErrNoHead is returned by Head for a frame that carries no call.
	ErrNoHead = errors.New("rpcx: frame carries no call head")
	// ErrBadBody is returned by Head and Head.Lookup for a body that cannot
	// be read.
	ErrBadBody = errors.New("rpcx: malformed frame body")
	// ErrChunkedString is returned by Head and Head.Lookup for a routing
	// field or a looked-up value that hessian2 sent in chunks (dubbo-go
	// chunks strings over 4096 characters): it is not one slice of the
	// frame, so it is not read in place.
	ErrChunkedString = errors.New("rpcx: chunked hessian2 string is not read in place")
	// ErrHeadMismatch is returned by Head for a request that names its
	// service or method twice, differently (Dubbo: the leading strings and
	// the attachments; Bolt: the header map and the SofaRequest in the
	// content): a proxy that routed on one while the server calls the
	// other could be bypassed.
	ErrHeadMismatch = errors.New("rpcx: request names two different services or methods")
	// ErrFieldFixed is returned by AppendWithFields for a change of a
	// field that names the call in more than one place in the frame.
	ErrFieldFixed = errors.New("rpcx: field cannot be changed")
	// ErrValueType is returned by Head.Lookup for a Dubbo attachment whose
	// value is not a string (Java and apache-dubbo-js send "timeout" as
	// an int).
	ErrValueType = errors.New("rpcx: attachment value is not a string")
)

// ErrFrameTooLarge is wrapped by the error Decode returns for a frame
// whose declared size is over the limit; the *FrameSizeError says how big.
var ErrFrameTooLarge = errors.New("rpcx: frame too large")

// FrameSizeError is the error Decode returns for a frame over the limit.
// It is returned before the body is read, from the fixed header alone.
type FrameSizeError struct {
	Size int64 // the frame's declared size in bytes
	Max  int   // the limit in force
}

func (e *FrameSizeError) Error() string {
	return "rpcx: frame of " + strconv.FormatInt(e.Size, 10) + " bytes is over the limit of " + strconv.Itoa(e.Max)
}

// Unwrap makes errors.Is(err, ErrFrameTooLarge) hold.
func (e *FrameSizeError) Unwrap() error { return ErrFrameTooLarge }

// DefaultMaxFrame is the frame size limit when none is configured: 8 MiB,
// Dubbo's default payload limit.
const DefaultMaxFrame = 8 << 20

func maxFrame(configured int) int {
	if configured <= 0 {
		return DefaultMaxFrame
	}
	return configured
}

// checkSize returns the error for a frame of size bytes over limit, or nil.
func checkSize(size int64, limit int) error {
	if size > int64(limit) {
		return &FrameSizeError{Size: size, Max: limit}
	}
	return nil
}

package h2

import (
	"errors"
	"fmt"
)

// Config holds the limits of one Conn. A zero field means its default,
// given in the field's comment; what happens when a limit is hit is said
// there too. Conn copies the Config in NewConn and Reinit.
type Config struct {
	// MaxConcurrentStreams is the SETTINGS_MAX_CONCURRENT_STREAMS we
	// advertise. A stream the peer opens above it is refused with
	// RST_STREAM(REFUSED_STREAM) (its header block is still decoded, to keep
	// the HPACK state) and costs one unit of the control budget. Default 100.
	MaxConcurrentStreams uint32 `yaml:"max_concurrent_streams"`

	// InitialWindowSize is the per-stream receive window we advertise
	// (SETTINGS_INITIAL_WINDOW_SIZE): the most a peer may send on a stream
	// before Consume gives credit back. A peer sending more gets
	// RST_STREAM(FLOW_CONTROL_ERROR). Default 256 KiB.
	InitialWindowSize uint32 `yaml:"initial_window_size"`

	// ConnWindowSize is the connection receive window, raised from 65535 by
	// a WINDOW_UPDATE on stream 0 at Start. A peer sending more gets
	// GOAWAY(FLOW_CONTROL_ERROR). Default 1 MiB.
	ConnWindowSize uint32 `yaml:"conn_window_size"`

	// MaxFrameSize is the largest frame we accept (SETTINGS_MAX_FRAME_SIZE);
	// a longer one is GOAWAY(FRAME_SIZE_ERROR). Default 16384.
	MaxFrameSize uint32 `yaml:"max_frame_size"`

	// MaxHeaderListSize is SETTINGS_MAX_HEADER_LIST_SIZE and the bound on a
	// decoded header list (name+value+32 per field, the HPACK bomb). Its
	// block is still decoded, to keep the HPACK state; a request over it is
	// answered 431 by Conn itself (and RST_STREAM(NO_ERROR) if its body
	// would follow), without a Handler event; a response or trailers over it
	// get RST_STREAM(PROTOCOL_ERROR) and OnReset. Default 64 KiB.
	MaxHeaderListSize uint32 `yaml:"max_header_list_size"`

	// MaxHeaderBlock bounds the compressed bytes of one header block, HEADERS
	// plus CONTINUATIONs (the CONTINUATION flood, CVE-2024-27316). It is
	// checked on each frame header, before the payload is in: a block that
	// would grow beyond it is GOAWAY(ENHANCE_YOUR_CALM). Default
	// 2×MaxHeaderListSize, so that a block somewhat over MaxHeaderListSize
	// still gets the gentler stream error.
	MaxHeaderBlock uint32 `yaml:"max_header_block"`

	// HeaderTableSize is our HPACK decoder's dynamic table
	// (SETTINGS_HEADER_TABLE_SIZE). Default 4096.
	HeaderTableSize uint32 `yaml:"header_table_size"`

	// MaxControlQueue bounds the bytes of control frames that Conn queued in
	// Output in answer to the peer (SETTINGS ACK, PING ACK, RST_STREAM) and
	// the owner has not taken with ClearOutput: a peer that sends PINGs
	// without reading the answers. Over it: GOAWAY(ENHANCE_YOUR_CALM).
	// Default 64 KiB.
	MaxControlQueue int `yaml:"max_control_queue"`

	// MaxEmptyFrames is how many consecutive frames without payload and
	// without an end flag are tolerated (DATA without END_STREAM, HEADERS or
	// CONTINUATION fragments without END_HEADERS). One more:
	// GOAWAY(ENHANCE_YOUR_CALM). Default 100.
	MaxEmptyFrames int `yaml:"max_empty_frames"`

	// MaxControlFrames is the control budget: each SETTINGS, PING, PRIORITY,
	// WINDOW_UPDATE, RST_STREAM and GOAWAY received, and each refused
	// stream, costs 1; a HEADERS opening a stream and a DATA frame with payload, received
	// or sent, give 1 back (up to MaxControlFrames). Below zero:
	// GOAWAY(ENHANCE_YOUR_CALM) (SETTINGS, PING, PRIORITY and RST floods,
	// as Envoy and nginx bound them). Default 1000.
	MaxControlFrames int `yaml:"max_control_frames"`

	// MaxRapidResets is the rapid-reset budget (CVE-2023-44487, server role):
	// each stream the peer resets before we sent its final response head
	// costs 1, and so does each stream we reset for a stream error before
	// that (MadeYouReset, CVE-2025-8671); each stream that ends normally
	// gives 1 back. Below zero: GOAWAY(ENHANCE_YOUR_CALM). Default 100.
	MaxRapidResets int `yaml:"max_rapid_resets"`

	// DisableConnectProtocol, server role, stops advertising
	// SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 section 3): an extended
	// CONNECT (a request with :protocol) is then malformed, reset with
	// PROTOCOL_ERROR (RFC 8441 section 4). Default false: advertised, and a
	// HEADERS with :method CONNECT, :protocol, :scheme, :path and
	// :authority is a request; the Handler decides what to do with it.
	DisableConnectProtocol bool `yaml:"disable_connect_protocol"`
}

// The defaults of Config's zero fields.
const (
	DefaultMaxConcurrentStreams = 100
	DefaultInitialWindowSize    = 256 << 10
	DefaultConnWindowSize       = 1 << 20
	DefaultMaxHeaderListSize    = 64 << 10
	DefaultHeaderTableSize      = 4096
	DefaultMaxControlQueue      = 64 << 10
	DefaultMaxEmptyFrames       = 100
	DefaultMaxControlFrames     = 1000
	DefaultMaxRapidResets       = 100
)

// initialWindow is every window's size before SETTINGS say otherwise (RFC
// 9113 section 6.9.2).
const initialWindow = 65535

// ErrConfig is wrapped by the errors Config.Validate returns.
var ErrConfig = errors.New("h2: invalid config")

// Validate reports values the protocol does not allow (RFC 9113 sections
// 6.5.2 and 6.9.1), naming the field. NewConn does not fail on them: it
// clamps them into range.
func (cfg *Config) Validate() error {
	switch {
	case cfg.InitialWindowSize > MaxWindowSize:
		return fmt.Errorf("%w: initial_window_size %d above 2^31-1", ErrConfig, cfg.InitialWindowSize)
	case cfg.ConnWindowSize > MaxWindowSize:
		return fmt.Errorf("%w: conn_window_size %d above 2^31-1", ErrConfig, cfg.ConnWindowSize)
	case cfg.ConnWindowSize != 0 && cfg.ConnWindowSize < initialWindow:
		return fmt.Errorf("%w: conn_window_size %d below 65535", ErrConfig, cfg.ConnWindowSize)
	case cfg.MaxFrameSize != 0 && (cfg.MaxFrameSize < DefaultMaxFrameSize || cfg.MaxFrameSize > MaxFrameSizeLimit):
		return fmt.Errorf("%w: max_frame_size %d outside [16384, 2^24-1]", ErrConfig, cfg.MaxFrameSize)
	case cfg.MaxControlQueue < 0 || cfg.MaxEmptyFrames < 0 || cfg.MaxControlFrames < 0 || cfg.MaxRapidResets < 0:
		return fmt.Errorf("%w: negative limit", ErrConfig)
	}
	return nil
}

// withDefaults returns cfg (nil is the zero Config) with zero fields set to
// their defaults and values clamped to what the protocol allows.
func (cfg *Config) withDefaults() Config {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	def32(&c.MaxConcurrentStreams, DefaultMaxConcurrentStreams)
	def32(&c.InitialWindowSize, DefaultInitialWindowSize)
	def32(&c.ConnWindowSize, DefaultConnWindowSize)
	def32(&c.MaxFrameSize, DefaultMaxFrameSize)
	def32(&c.MaxHeaderListSize, DefaultMaxHeaderListSize)
	def32(&c.MaxHeaderBlock, 2*c.MaxHeaderListSize)
	def32(&c.HeaderTableSize, DefaultHeaderTableSize)
	defInt(&c.MaxControlQueue, DefaultMaxControlQueue)
	defInt(&c.MaxEmptyFrames, DefaultMaxEmptyFrames)
	defInt(&c.MaxControlFrames, DefaultMaxControlFrames)
	defInt(&c.MaxRapidResets, DefaultMaxRapidResets)
	c.InitialWindowSize = min(c.InitialWindowSize, MaxWindowSize)
	c.ConnWindowSize = min(max(c.ConnWindowSize, initialWindow), MaxWindowSize)
	c.MaxFrameSize = min(max(c.MaxFrameSize, DefaultMaxFrameSize), MaxFrameSizeLimit)
	return c
}

func def32(v *uint32, d uint32) {
	if *v == 0 {
		*v = d
	}
}

func defInt(v *int, d int) {
	if *v <= 0 {
		*v = d
	}
}

// budget is a count of allowed events that misbehaviour spends and useful
// work refills, up to its cap.
type budget struct{ left, max int }

func newBudget(n int) budget { return budget{n, n} }

// spend takes one unit and reports whether the budget is still not overdrawn.
func (b *budget) spend() bool {
	b.left--
	return b.left >= 0
}

// refill gives one unit back.
func (b *budget) refill() { b.left = min(b.left+1, b.max) }

// refillN gives n units back.
func (b *budget) refillN(n int) { b.left = min(b.left+n, b.max) }

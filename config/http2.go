package config

import "github.com/velox-proxy/velox/h2"

// HTTP2 are the limits of every HTTP/2 connection, downstream (h2c clients)
// and upstream (clusters with protocol h2). Each field, its default (a zero
// value means it) and what happens when it is hit is documented on
// h2.Config; the README has the table.
type HTTP2 = h2.Config

// http2 checks the ranges RFC 9113 allows (section 6.5.2).
func (v *checker) http2(c *HTTP2) {
	v.counts("http2", []namedCount{
		{"max_control_queue", int64(c.MaxControlQueue)}, {"max_empty_frames", int64(c.MaxEmptyFrames)},
		{"max_control_frames", int64(c.MaxControlFrames)}, {"max_rapid_resets", int64(c.MaxRapidResets)},
	})
	if c.InitialWindowSize > h2.MaxWindowSize {
		v.add("http2.initial_window_size", "must be <= %d (2^31-1), got %d", h2.MaxWindowSize, c.InitialWindowSize)
	}
	if c.ConnWindowSize > h2.MaxWindowSize {
		v.add("http2.conn_window_size", "must be <= %d (2^31-1), got %d", h2.MaxWindowSize, c.ConnWindowSize)
	}
	if f := c.MaxFrameSize; f != 0 && (f < h2.DefaultMaxFrameSize || f > h2.MaxFrameSizeLimit) {
		v.add("http2.max_frame_size", "must be 0 (16384) or from %d to %d, got %d", h2.DefaultMaxFrameSize, h2.MaxFrameSizeLimit, f)
	}
}

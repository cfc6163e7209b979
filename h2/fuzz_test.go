package h2

import (
	"testing"

	"github.com/velox-proxy/velox/codec/codectest"
)

// The fuzz test checks invariants that hold for any input, re-encodes what
// it decodes, and runs the differential check of diff_test.go on every
// complete frame. Its seeds are allocFrames plus testdata/fuzz.

// definedFlags are the flags each known type gives a meaning to.
var definedFlags = [...]Flags{
	FrameData:         FlagDataEndStream | FlagDataPadded,
	FrameHeaders:      FlagHeadersEndStream | FlagHeadersEndHeaders | FlagHeadersPadded | FlagHeadersPriority,
	FrameSettings:     FlagSettingsAck,
	FramePushPromise:  FlagPushPromiseEndHeaders | FlagPushPromisePadded,
	FramePing:         FlagPingAck,
	FrameContinuation: FlagContinuationEndHeaders,
}

// meaning is a frame's summary without what a re-encoding may change: the
// length, padding, and flags its type does not define.
func meaning(f *Frame) summary {
	s := ours(f)
	s.Length = 0
	s.Flags &= definedFlags[f.Type] &^ (FlagDataPadded | FlagHeadersPadded | FlagPushPromisePadded)
	return s
}

// reencode writes f again, with the Append* functions where they fit and by
// hand for the types velox only reads.
func reencode(f *Frame) []byte {
	end := f.Flags.Has(FlagDataEndStream)
	switch f.Type {
	case FrameData:
		return AppendData(nil, f.StreamID, end, f.Data)
	case FrameHeaders:
		if f.Flags.Has(FlagHeadersEndHeaders) && !f.Flags.Has(FlagHeadersPriority) {
			return AppendHeaders(nil, f.StreamID, end, f.Data, MaxFrameSizeLimit)
		}
		p := []byte{}
		if f.Flags.Has(FlagHeadersPriority) {
			p = appendPriority(p, f.Priority)
		}
		p = append(p, f.Data...)
		fl := f.Flags & (FlagHeadersEndStream | FlagHeadersEndHeaders | FlagHeadersPriority)
		return append(AppendFrameHeader(nil, FrameHeader{uint32(len(p)), FrameHeaders, fl, f.StreamID}), p...)
	case FramePriority:
		return appendPriority(AppendFrameHeader(nil, FrameHeader{5, FramePriority, 0, f.StreamID}), f.Priority)
	case FrameRSTStream:
		return AppendRSTStream(nil, f.StreamID, f.Code)
	case FrameSettings:
		if f.Flags.Has(FlagSettingsAck) {
			return AppendSettingsAck(nil)
		}
		var s []Setting
		for i := range f.NumSettings() {
			s = append(s, f.Setting(i))
		}
		return AppendSettings(nil, s)
	case FramePushPromise:
		p := appendUint32(nil, f.PromiseID)
		p = append(p, f.Data...)
		fl := f.Flags & FlagPushPromiseEndHeaders
		return append(AppendFrameHeader(nil, FrameHeader{uint32(len(p)), FramePushPromise, fl, f.StreamID}), p...)
	case FramePing:
		return AppendPing(nil, f.Flags.Has(FlagPingAck), [8]byte(f.Data))
	case FrameGoAway:
		return AppendGoAway(nil, f.LastStreamID, f.Code, f.Data)
	case FrameWindowUpdate:
		return AppendWindowUpdate(nil, f.StreamID, f.Increment)
	case FrameContinuation:
		fl := f.Flags & FlagContinuationEndHeaders
		return append(AppendFrameHeader(nil, FrameHeader{uint32(len(f.Data)), FrameContinuation, fl, f.StreamID}), f.Data...)
	}
	panic("unknown type")
}

func appendPriority(p []byte, pp PriorityParam) []byte {
	v := pp.StreamDep
	if pp.Exclusive {
		v |= 1 << 31
	}
	return append(appendUint32(p, v), pp.Weight)
}

func FuzzReadFrame(f *testing.F) {
	for _, b := range allocFrames {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, n, err := ReadFrame(data, DefaultMaxFrameSize)
		checkReadResult(t, data, n, err)
		fr2, n2, err2 := ReadFrame(data, DefaultMaxFrameSize)
		if n2 != n || err2 != err || ours(&fr2) != ours(&fr) {
			t.Fatalf("not deterministic: %d, %v then %d, %v", n, err, n2, err2)
		}
		if len(data) < FrameHeaderLen || fr.Length > DefaultMaxFrameSize {
			return
		}
		whole := FrameHeaderLen + int(fr.Length)
		if whole > len(data) {
			return
		}
		for _, k := range codectest.PrefixCuts(whole) {
			if _, _, err := ReadFrame(data[:k], DefaultMaxFrameSize); err != ErrNeedMore {
				t.Fatalf("prefix %d of a %d-byte frame: %v", k, whole, err)
			}
		}
		diffRead(t, data[:whole:whole], DefaultMaxFrameSize)
		if err == nil && fr.Type.Known() {
			b := reencode(&fr)
			again, m, err := ReadFrame(b, MaxFrameSizeLimit)
			if err != nil || m != len(b) || meaning(&again) != meaning(&fr) {
				t.Fatalf("re-encoded % x: %d, %v\n got %+v\nwant %+v", b, m, err, meaning(&again), meaning(&fr))
			}
		}
		checkDecoder(t, data)
	})
}

// checkReadResult: n is 0 or the whole frame, within data; an error is
// ErrNeedMore, a ConnectionError or a StreamError on the frame's stream.
func checkReadResult(t *testing.T, data []byte, n int, err error) {
	t.Helper()
	if n < 0 || n > len(data) {
		t.Fatalf("n = %d of %d", n, len(data))
	}
	if n != 0 && n != FrameHeaderLen+int(ParseFrameHeader(data).Length) {
		t.Fatalf("n = %d is not the frame's length", n)
	}
	switch e := err.(type) {
	case nil:
		if n == 0 {
			t.Fatal("success with n = 0")
		}
	case ConnectionError:
	case StreamError:
		if n == 0 || e.StreamID == 0 || e.StreamID != ParseFrameHeader(data).StreamID {
			t.Fatalf("%v with n = %d", e, n)
		}
	default:
		if err != ErrNeedMore || n != 0 {
			t.Fatalf("unexpected %v, n = %d", err, n)
		}
	}
}

// checkDecoder reads data as a connection's frames until the first error
// other than a StreamError: what it consumes stays within data.
func checkDecoder(t *testing.T, data []byte) {
	t.Helper()
	var d Decoder
	for rest := data; ; {
		_, n, err := d.ReadFrame(rest)
		checkReadResult(t, rest, n, err)
		if _, ok := err.(StreamError); n == 0 || (err != nil && !ok) {
			return
		}
		rest = rest[n:]
	}
}

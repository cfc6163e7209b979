package h2

import (
	"bytes"
	"testing"
)

// TestRFC9113_6_EncodersWriteTheSpecBytes: each encoder writes exactly the
// frame the spec lays out, built here by hand.
func TestRFC9113_6_EncodersWriteTheSpecBytes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want []byte
	}{
		{"DATA", AppendData(nil, 1, false, []byte("hi")), frm(FrameData, 0, 1, 'h', 'i')},
		{"DATA END_STREAM", AppendData(nil, 1<<31|3, true, nil), frm(FrameData, FlagDataEndStream, 3)},
		{"HEADERS", AppendHeaders(nil, 1, true, []byte{0x82}, 0),
			frm(FrameHeaders, FlagHeadersEndStream|FlagHeadersEndHeaders, 1, 0x82)},
		{"HEADERS empty block", AppendHeaders(nil, 1, false, nil, 0), frm(FrameHeaders, FlagHeadersEndHeaders, 1)},
		{"SETTINGS", AppendSettings(nil, []Setting{{SettingEnablePush, 0}, {SettingMaxFrameSize, 1 << 20}}),
			settingsFrame(0, 0, setting(SettingEnablePush, 0), setting(SettingMaxFrameSize, 1<<20))},
		{"SETTINGS empty", AppendSettings(nil, nil), frm(FrameSettings, 0, 0)},
		{"SETTINGS ACK", AppendSettingsAck(nil), frm(FrameSettings, FlagSettingsAck, 0)},
		{"PING", AppendPing(nil, false, [8]byte{1, 2, 3, 4, 5, 6, 7, 8}), frm(FramePing, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8)},
		{"PING ACK", AppendPing(nil, true, [8]byte{}), frm(FramePing, FlagPingAck, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
		{"GOAWAY", AppendGoAway(nil, 7, ErrCodeEnhanceYourCalm, []byte("x")),
			frm(FrameGoAway, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0xb, 'x')},
		{"RST_STREAM", AppendRSTStream(nil, 9, ErrCodeRefusedStream), frm(FrameRSTStream, 0, 9, 0, 0, 0, 7)},
		{"WINDOW_UPDATE", AppendWindowUpdate(nil, 0, MaxWindowSize), frm(FrameWindowUpdate, 0, 0, 0x7f, 0xff, 0xff, 0xff)},
	} {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s:\n got % x\nwant % x", tc.name, tc.got, tc.want)
		}
	}
	// Appends after what dst holds.
	if got := AppendSettingsAck([]byte("ab")); string(got[:2]) != "ab" || len(got) != 11 {
		t.Errorf("AppendSettingsAck did not append: % x", got)
	}
}

// TestRFC9113_4_3_HeaderBlockSplit: a block larger than the peer's maximum
// frame size goes out as HEADERS then CONTINUATION frames, END_STREAM on
// HEADERS only and END_HEADERS on the last frame only; the Decoder reads
// the block back whole.
func TestRFC9113_4_3_HeaderBlockSplit(t *testing.T) {
	const limit = DefaultMaxFrameSize
	for _, size := range []int{limit - 1, limit, limit + 1, 2 * limit, 3*limit + 7} {
		block := make([]byte, size)
		for i := range block {
			block[i] = byte(i)
		}
		wire := AppendHeaders(nil, 5, true, block, limit)
		var d Decoder
		var got []byte
		frames := 0
		for len(wire) > 0 {
			f, n, err := d.ReadFrame(wire)
			if err != nil {
				t.Fatalf("size %d, frame %d: %v", size, frames, err)
			}
			wantType := FrameContinuation
			if frames == 0 {
				wantType = FrameHeaders
				if !f.Flags.Has(FlagHeadersEndStream) {
					t.Fatalf("size %d: no END_STREAM on HEADERS", size)
				}
			} else if f.Flags&^FlagContinuationEndHeaders != 0 {
				t.Fatalf("size %d: CONTINUATION flags %#x", size, f.Flags)
			}
			last := n == len(wire)
			if f.Type != wantType || f.StreamID != 5 || f.Flags.Has(FlagHeadersEndHeaders) != last || f.Length > limit {
				t.Fatalf("size %d, frame %d: %+v", size, frames, f.FrameHeader)
			}
			got = append(got, f.Data...)
			wire = wire[n:]
			frames++
		}
		if !bytes.Equal(got, block) || frames != (size+limit-1)/limit {
			t.Fatalf("size %d: %d frames, block back equal %v", size, frames, bytes.Equal(got, block))
		}
	}
}

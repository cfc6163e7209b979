package h2

import "encoding/binary"

// SettingID identifies a SETTINGS parameter (RFC 9113 section 6.5.2).
type SettingID uint16

// The settings of RFC 9113 section 6.5.2, and the extended CONNECT one of
// RFC 8441 section 3.
const (
	SettingHeaderTableSize       SettingID = 0x1
	SettingEnablePush            SettingID = 0x2
	SettingMaxConcurrentStreams  SettingID = 0x3
	SettingInitialWindowSize     SettingID = 0x4
	SettingMaxFrameSize          SettingID = 0x5
	SettingMaxHeaderListSize     SettingID = 0x6
	SettingEnableConnectProtocol SettingID = 0x8
)

// settingLen is the size of one setting on the wire: id then value.
const settingLen = 6

// Setting is one SETTINGS parameter.
type Setting struct {
	ID  SettingID
	Val uint32
}

// validate checks the value ranges of RFC 9113 section 6.5.2 (and RFC 8441
// section 3). Unknown ids are valid: they are ignored.
func (s Setting) validate() error {
	switch s.ID {
	case SettingEnablePush, SettingEnableConnectProtocol:
		if s.Val > 1 {
			return errProtocol
		}
	case SettingInitialWindowSize:
		if s.Val > MaxWindowSize {
			return errFlowControl
		}
	case SettingMaxFrameSize:
		if s.Val < DefaultMaxFrameSize || s.Val > MaxFrameSizeLimit {
			return errProtocol
		}
	}
	return nil
}

// parseSettingsFrame: RFC 9113 section 6.5. The payload stays in f.Data
// and is read with NumSettings and Setting.
func parseSettingsFrame(f Frame, p []byte) (Frame, error) {
	if f.Flags.Has(FlagSettingsAck) && len(p) != 0 {
		return f, errFrameSize
	}
	if f.StreamID != 0 {
		return f, errProtocol
	}
	if len(p)%settingLen != 0 {
		return f, errFrameSize
	}
	f.Data = p
	for i := range f.NumSettings() {
		if err := f.Setting(i).validate(); err != nil {
			return f, err
		}
	}
	return f, nil
}

// NumSettings is the number of settings in a SETTINGS frame, unknown ones
// included; 0 for other types.
func (f *Frame) NumSettings() int {
	if f.Type != FrameSettings {
		return 0
	}
	return len(f.Data) / settingLen
}

// Setting is the i-th setting of a SETTINGS frame, in the order sent (a
// later value of the same id wins, RFC 9113 section 6.5.3).
func (f *Frame) Setting(i int) Setting {
	p := f.Data[i*settingLen : (i+1)*settingLen]
	return Setting{ID: SettingID(binary.BigEndian.Uint16(p)), Val: binary.BigEndian.Uint32(p[2:])}
}

package h2

// SETTINGS (RFC 9113 section 6.5): ours, sent once at Start, and the
// peer's, applied and acknowledged.

// appendOurSettings appends our SETTINGS: ENABLE_PUSH=0 always, our
// limits, HEADER_TABLE_SIZE when not the default, and, server role,
// ENABLE_CONNECT_PROTOCOL=1 unless disabled (RFC 8441 section 3).
func (c *Conn) appendOurSettings(dst []byte) []byte {
	var s [7]Setting
	n := copy(s[:], []Setting{
		{SettingEnablePush, 0},
		{SettingMaxConcurrentStreams, c.cfg.MaxConcurrentStreams},
		{SettingInitialWindowSize, c.cfg.InitialWindowSize},
		{SettingMaxFrameSize, c.cfg.MaxFrameSize},
		{SettingMaxHeaderListSize, c.cfg.MaxHeaderListSize},
	})
	if c.cfg.HeaderTableSize != DefaultHeaderTableSize {
		s[n] = Setting{SettingHeaderTableSize, c.cfg.HeaderTableSize}
		n++
	}
	if c.extendedConnect() {
		s[n] = Setting{SettingEnableConnectProtocol, 1}
		n++
	}
	return AppendSettings(dst, s[:n])
}

// extendedConnect reports whether we advertise
// SETTINGS_ENABLE_CONNECT_PROTOCOL and so accept extended CONNECT.
func (c *Conn) extendedConnect() bool {
	return c.role == Server && !c.cfg.DisableConnectProtocol
}

// onSettings applies the peer's SETTINGS and acknowledges them, or takes
// the ack of ours.
func (c *Conn) onSettings(f Frame, _ ErrCode) error {
	if f.Flags.Has(FlagSettingsAck) {
		return c.onSettingsAck()
	}
	if err := c.spendControl(); err != nil {
		return err
	}
	first, oldMax, oldWin := !c.settings, c.peer.maxConcurrent, c.peer.initialWindow
	for i := range f.NumSettings() {
		if err := c.applySetting(f.Setting(i)); err != nil {
			return err
		}
	}
	c.settings = true
	c.out = AppendSettingsAck(c.out)
	if err := c.queueControl(FrameHeaderLen); err != nil {
		return err
	}
	if c.peer.initialWindow > oldWin {
		c.h.OnSendWindow(0)
	}
	if c.role == Client && (first || c.peer.maxConcurrent > oldMax) {
		c.h.OnCapacity()
	}
	return nil
}

// applySetting applies one of the peer's settings (ReadFrame checked the
// ranges of section 6.5.2).
func (c *Conn) applySetting(s Setting) error {
	switch s.ID {
	case SettingHeaderTableSize:
		c.henc.SetPeerMaxTableSize(s.Val)
	case SettingEnablePush:
		if c.role == Client && s.Val != 0 {
			return c.fail(ErrCodeProtocol)
		}
	case SettingMaxConcurrentStreams:
		c.peer.maxConcurrent = s.Val
	case SettingInitialWindowSize:
		return c.setPeerInitialWindow(s.Val)
	case SettingMaxFrameSize:
		c.peer.maxFrame = s.Val
	case SettingMaxHeaderListSize:
		c.peer.maxHeaderList = s.Val
	}
	return nil
}

// setPeerInitialWindow moves every stream's send window by the change
// (section 6.9.2); a window beyond 2^31-1 is FLOW_CONTROL_ERROR.
func (c *Conn) setPeerInitialWindow(v uint32) error {
	delta := int64(v) - int64(c.peer.initialWindow)
	for _, s := range c.streams.active.All() {
		if !s.send.add(delta) {
			return c.fail(ErrCodeFlowControl)
		}
	}
	c.peer.initialWindow = v
	return nil
}

// onSettingsAck applies the settings that bind our side only once the peer
// has them: a smaller HPACK table, a smaller stream receive window. (Larger
// ones were applied at Start: the peer may use them as soon as it reads our
// SETTINGS, before we read its ack.) A second ack is PROTOCOL_ERROR: we
// send SETTINGS once.
func (c *Conn) onSettingsAck() error {
	if c.ourAcked {
		return c.fail(ErrCodeProtocol)
	}
	c.ourAcked = true
	if c.cfg.HeaderTableSize < DefaultHeaderTableSize {
		c.hdec.SetMaxTableSize(c.cfg.HeaderTableSize)
	}
	delta := int64(c.cfg.InitialWindowSize) - c.recvInit
	for _, s := range c.streams.active.All() {
		s.recv.left += delta
	}
	c.recvInit = int64(c.cfg.InitialWindowSize)
	return nil
}

package h2

// GOAWAY (RFC 9113 section 6.8) and PING (section 6.7).

// maxStreamID is the largest stream id, the last-stream-id of the first
// GOAWAY of a graceful shutdown.
const maxStreamID = 1<<31 - 1

// goAwayPing is the payload of the PING that follows a graceful GOAWAY:
// its ack says the peer has seen the GOAWAY, so every stream it opened
// before is in.
var goAwayPing = [8]byte{'v', 'e', 'l', 'o', 'x', 'g', 'o', 'a'}

// The steps of our GOAWAY.
const (
	goAwayNone     = iota
	goAwayDraining // GOAWAY(2^31-1) and a PING sent, waiting for the ack
	goAwayFinal    // GOAWAY with the real last stream id sent
)

type goAwayState struct {
	sent       uint8
	lastID     uint32 // the last-stream-id of our final GOAWAY
	recv       bool
	peerLastID uint32 // the smallest last-stream-id the peer sent
}

// final reports whether the connection takes no new streams.
func (g *goAwayState) final() bool { return g.sent == goAwayFinal || g.recv }

// any reports whether a GOAWAY went either way.
func (g *goAwayState) any() bool { return g.sent != goAwayNone || g.recv }

// GoAway starts closing the connection. ErrCodeNo is the graceful
// shutdown of section 6.8 in two steps (server role): a GOAWAY with
// last-stream-id 2^31-1 and a PING now; when the PING's ack comes, or on a
// second GoAway call, the final GOAWAY with the highest stream id the peer
// opened, after which new streams are refused. A client takes no streams
// from the peer, so its GOAWAY is final at once, with last-stream-id 0. Any
// other code: one final GOAWAY at once. Existing streams go on; Done reports
// when the last one ends.
func (c *Conn) GoAway(code ErrCode, debug []byte) {
	if c.err != nil || c.goAway.sent == goAwayFinal {
		return
	}
	if code == ErrCodeNo && c.goAway.sent == goAwayNone && c.role == Server {
		c.out = AppendGoAway(c.out, maxStreamID, ErrCodeNo, debug)
		c.out = AppendPing(c.out, false, goAwayPing)
		c.goAway.sent = goAwayDraining
		c.stats.GoAwaysSent++
		return
	}
	c.finalGoAway(code, debug)
}

// finalGoAway sends the GOAWAY after which no new stream is accepted.
func (c *Conn) finalGoAway(code ErrCode, debug []byte) {
	last := c.maxPeerID
	if c.role == Client {
		last = 0
	}
	c.out = AppendGoAway(c.out, last, code, debug)
	c.goAway.sent, c.goAway.lastID = goAwayFinal, last
	c.stats.GoAwaysSent++
}

// onGoAway: the peer takes no new streams; ours above its last-stream-id
// were not processed (client role) and are refused, safe to retry.
func (c *Conn) onGoAway(f Frame, _ ErrCode) error {
	if err := c.spendControl(); err != nil {
		return err
	}
	c.stats.GoAwaysReceived++
	if !c.goAway.recv || f.LastStreamID < c.goAway.peerLastID {
		c.goAway.peerLastID = f.LastStreamID
	}
	c.goAway.recv = true
	c.h.OnGoAway(f.LastStreamID, f.Code, f.Data)
	if c.role == Client {
		c.refuseAbove(c.goAway.peerLastID)
	}
	return nil
}

// refuseAbove forgets our streams above last, reporting each as refused.
func (c *Conn) refuseAbove(last uint32) {
	c.ids = c.ids[:0]
	for id := range c.streams.active.All() {
		if id > last {
			c.ids = append(c.ids, id)
		}
	}
	for _, id := range c.ids {
		if c.streams.get(id) != nil {
			c.streams.remove(id, false)
			c.h.OnReset(id, ErrCodeRefusedStream, true)
		}
	}
}

// Ping queues a PING (the owner's keepalive); its ack is absorbed.
func (c *Conn) Ping(data [8]byte) {
	if c.err == nil {
		c.out = AppendPing(c.out, false, data)
	}
}

// onPing answers a PING, or absorbs an ack (the graceful GOAWAY's goes on
// to the final GOAWAY).
func (c *Conn) onPing(f Frame, _ ErrCode) error {
	if f.Flags.Has(FlagPingAck) {
		if c.goAway.sent == goAwayDraining && [8]byte(f.Data) == goAwayPing {
			c.finalGoAway(ErrCodeNo, nil)
		}
		return nil
	}
	if err := c.spendControl(); err != nil {
		return err
	}
	c.out = AppendPing(c.out, true, [8]byte(f.Data))
	return c.queueControl(FrameHeaderLen + 8)
}

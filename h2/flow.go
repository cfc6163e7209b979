package h2

// Flow control (RFC 9113 sections 5.2 and 6.9). A sendWindow is what the
// peer allows us to send; a recvWindow is what we allow the peer to send,
// and the credit the owner gave back with Consume that we have not yet
// announced with WINDOW_UPDATE.

// sendWindow may go negative when the peer lowers
// SETTINGS_INITIAL_WINDOW_SIZE (section 6.9.2).
type sendWindow int64

// add applies a WINDOW_UPDATE increment or a SETTINGS delta, and reports
// false if the window would exceed 2^31-1 (FLOW_CONTROL_ERROR).
func (w *sendWindow) add(n int64) bool {
	if int64(*w)+n > MaxWindowSize {
		return false
	}
	*w += sendWindow(n)
	return true
}

// avail is how many bytes may be sent now.
func (w sendWindow) avail() int { return int(max(w, 0)) }

// recvWindow tracks one receive window.
type recvWindow struct {
	left    int64 // bytes the peer may still send
	unacked int64 // credit given back by Consume, not yet announced
}

// take accounts for n received bytes and reports false if they exceed the
// window (FLOW_CONTROL_ERROR).
func (w *recvWindow) take(n int) bool {
	if int64(n) > w.left {
		return false
	}
	w.left -= int64(n)
	return true
}

// credit records n consumed bytes and returns the increment to announce
// now: all unannounced credit once it reaches half of size, else 0. So a
// WINDOW_UPDATE goes out per half window, not per byte.
func (w *recvWindow) credit(n int, size uint32) uint32 {
	w.unacked += int64(n)
	if w.unacked < int64(size)/2 || w.unacked <= 0 {
		return 0
	}
	inc := min(w.unacked, MaxWindowSize-max(w.left, 0))
	w.left += inc
	w.unacked -= inc
	return uint32(inc)
}

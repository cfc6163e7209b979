package proxy

import (
	"strconv"
	"time"
)

// repeats limits identical error lines on the writer goroutine: per
// interval, the first burst lines of a kind are written, and the others only
// counted; when the interval ends, one line per such error says how many
// were left out. Two errors are the same when their kind, component, status,
// reason and backend are, whoever the client and whatever the request: a
// scan of unknown paths is one error repeated.
type repeats struct {
	// Immutable after init:
	burst    int // -1 = no limit
	interval time.Duration
	every    string // interval as text, for the summary lines
	// Owned by the writer goroutine:
	seen map[repeatKey]int // lines of each error in this interval
	over []repeatKey       // errors past the burst, in the order they passed it
}

type repeatKey struct {
	kind      logKind
	status    uint16
	component string
	reason    string
	cluster   string
	backend   string
}

func (p *repeats) init(burst int, interval time.Duration) {
	if burst == 0 {
		burst = DefaultRepeatBurst
	}
	if interval <= 0 {
		interval = DefaultRepeatInterval
	}
	p.burst, p.interval, p.every, p.seen = burst, interval, interval.String(), map[repeatKey]int{}
}

// admit counts r and reports whether it is to be written.
func (p *repeats) admit(r *record) bool {
	if p.burst < 0 {
		return true
	}
	k := repeatKey{r.kind, r.status, r.component, r.reason, r.cluster, r.backend}
	n := p.seen[k] + 1
	p.seen[k] = n
	if n == p.burst+1 {
		p.over = append(p.over, k)
	}
	return n <= p.burst
}

// appendSummaries writes "component: status reason (cluster backend):
// repeated N more times in 1s" for each error past the burst, and starts a
// new interval.
func (p *repeats) appendSummaries(dst []byte, now time.Time) []byte {
	for _, k := range p.over {
		r := record{status: k.status, reason: k.reason, cluster: k.cluster, backend: k.backend}
		dst = appendWhat(appendStamp(dst, now.UnixNano(), k.component), &r)
		dst = strconv.AppendInt(append(dst, ": repeated "...), int64(p.seen[k]-p.burst), 10)
		dst = append(append(dst, " more times in "...), p.every...)
		dst = append(dst, '\n')
	}
	p.over = p.over[:0]
	clear(p.seen)
	return dst
}

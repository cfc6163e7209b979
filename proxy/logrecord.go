package proxy

import "time"

// A record is one log line before formatting. Loops fill it and send it by
// value: the strings in it are static texts or immutable names (a reason, a
// cluster name, a backend address), and the bytes of the client IP and the
// request are copied into its arrays, so nothing in it points into a loop's
// buffers once it is sent.
type record struct {
	at        int64 // wall clock, Unix ns, taken when the loop logged
	kind      logKind
	status    uint16 // 0 = none
	ipLen     uint8
	infoLen   uint8
	infoCut   bool // the request info was longer than logInfoMax
	component string
	reason    string
	cluster   string // "" = no backend
	backend   string
	msg       string // kindText: the whole text
	ip        [logIPMax]byte
	info      [logInfoMax]byte
}

const (
	logIPMax   = 46  // the longest IPv6 text (45) and some
	logInfoMax = 200 // method, host and target; longer ones are cut
)

// logKind says which fields a record uses and whether repeats are limited.
type logKind uint8

const (
	kindText    logKind = iota // Printf: component: msg
	kindAccess                 // access: ip "info" status
	kindRequest                // component: ip "info": status reason (cluster backend)
	kindConn                   // component: ip: status reason
)

// limited reports whether repeats of this kind are summed up (logrepeat.go):
// errors are; the access log and Printf lines are not.
func (k logKind) limited() bool { return k == kindRequest || k == kindConn }

// setIP copies the client's IP; setInfo copies the request info, cut at
// logInfoMax.
func (r *record) setIP(ip []byte) { r.ipLen = uint8(copy(r.ip[:], ip)) }

func (r *record) setInfo(info []byte) {
	r.infoLen = uint8(copy(r.info[:], info))
	r.infoCut = len(info) > logInfoMax
}

// request logs what happened to a request: its client, its info (method,
// host and target), the status (0 = none), a reason, and the backend if one
// was picked (cluster "" = none). ip and info are copied; nothing is
// formatted and nothing allocated.
func (l *Logger) request(component string, ip, info []byte, status int, reason, cluster, backend string) {
	if l == nil {
		return
	}
	r := record{kind: kindRequest, at: time.Now().UnixNano(), status: uint16(status),
		component: component, reason: reason, cluster: cluster, backend: backend}
	r.setIP(ip)
	r.setInfo(info)
	l.send(&r)
}

// access logs a finished request (the verbose access log).
func (l *Logger) access(ip, info []byte, status int) {
	if l == nil {
		return
	}
	r := record{kind: kindAccess, at: time.Now().UnixNano(), status: uint16(status), component: "access"}
	r.setIP(ip)
	r.setInfo(info)
	l.send(&r)
}

// conn logs what happened to a client connection outside a request (a
// malformed or timed-out head).
func (l *Logger) conn(component string, ip []byte, status int, reason string) {
	if l == nil {
		return
	}
	r := record{kind: kindConn, at: time.Now().UnixNano(), status: uint16(status), component: component, reason: reason}
	r.setIP(ip)
	l.send(&r)
}

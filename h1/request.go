package h1

import (
	"bytes"

	"github.com/velox-proxy/velox/codec"
)

// Request is a parsed request head. Parse into a reused Request: ParseRequest
// resets it and reuses the Headers backing array, so the steady state does not
// allocate. All []byte fields point into the input buffer, except Path "/" for
// an absolute-form target without a path, which is a shared read-only slice.
//
// The fields after Headers are derived by ParseRequest; the header methods
// (Set, Del, ...) change Headers only, and the writer writes Headers.
//
// An absolute-form target (RFC 9112 section 3.2.2) is read as the proxy must
// forward it: Host is the target's authority, and so is the value of the Host
// field (the received one is ignored, as the RFC requires, so every reader of
// Headers sees the host the request is for); the writer sends Path and Query
// in origin-form. A caller may point Path at a rewritten path (the proxy's
// normalised one): the writer and AppendURI use Path and Query, never Target.
type Request struct {
	Method  []byte
	Target  []byte // request-target as sent
	Path    []byte // Target up to '?', for routing (the path of an absolute-form target)
	Query   []byte // after the '?' of Target; nil when there is no '?'
	Minor   int    // HTTP/1.Minor (0 or 1; 1.2 to 1.9 are read as 1)
	Headers []Header
	Host    []byte // value of the single Host header; the target's authority in absolute-form and CONNECT

	Framing       Framing
	ContentLength int64 // valid when Framing == FramingLength
	KeepAlive     bool  // persistence per RFC 9112 9.3 (1.1 default on, 1.0 needs keep-alive)
	Expect100     bool  // Expect: 100-continue (HTTP/1.1 only)
	Upgrade       bool  // Connection: upgrade with an Upgrade header (HTTP/1.1 only)
	HeadLen       int   // bytes of the head including the final CRLF (and the skipped empty lines)

	absolute bool // the target was in absolute-form
}

// AppendURI appends the request-target as the writer sends it: Path, then
// "?" and Query when the target had a '?'. That is origin-form for an
// origin-form or absolute-form target (RFC 9112 section 3.2.1), and the
// target as received for asterisk-form and authority-form.
func (r *Request) AppendURI(dst []byte) []byte {
	dst = append(dst, r.Path...)
	if r.Query != nil {
		dst = append(dst, '?')
		dst = append(dst, r.Query...)
	}
	return dst
}

// Get returns the value of the first field called name (ASCII case-insensitive),
// or nil if there is none. An empty field gives an empty, non-nil slice.
func (r *Request) Get(name string) []byte { return headerGet(r.Headers, name) }

// Has reports whether a field called name is present.
func (r *Request) Has(name string) bool { return headerHas(r.Headers, name) }

// Del deletes every field called name (sets its Name to nil).
func (r *Request) Del(name string) { headerDel(r.Headers, name) }

// Add appends a field. The caller keeps name and value alive and unchanged
// until the request has been written.
func (r *Request) Add(name, value []byte) {
	r.Headers = append(r.Headers, Header{Name: name, Value: value})
}

// Set replaces every field called name by one field (Del, then Add).
func (r *Request) Set(name, value []byte) {
	headerDelBytes(r.Headers, name)
	r.Add(name, value)
}

// ParseRequest parses a request head at the start of buf into req.
// It returns the head length, ErrNeedMore, or an *Error.
// Stray CRLFs before the request line are skipped (counted in n).
// lim may be nil for the defaults.
func ParseRequest(buf []byte, req *Request, lim *Limits) (n int, err error) {
	*req = Request{Headers: req.Headers[:0]}
	w, capped := window(buf, lim.maxHeaderBytes())
	n, err = parseRequest(w, req, lim)
	if err == ErrNeedMore && capped {
		return 0, errHeadTooLarge // no end of head within MaxHeaderBytes
	}
	return n, err
}

// window caps buf at max bytes: a head that does not end within them is too
// large, however much more is buffered.
func window(buf []byte, max int) ([]byte, bool) {
	if len(buf) >= max {
		return buf[:max], true
	}
	return buf, false
}

func parseRequest(w []byte, req *Request, lim *Limits) (int, error) {
	i, err := skipEmptyLines(w)
	if err != nil {
		return 0, err
	}
	if i, err = req.parseLine(w, i, lim.maxURI()); err != nil {
		return 0, err
	}
	if req.Headers, i, err = parseFields(w, i, req.Headers, lim.maxHeaders()); err != nil {
		return 0, err
	}
	if err := req.derive(); err != nil {
		return 0, err
	}
	req.HeadLen = i
	return i, nil
}

// skipEmptyLines skips the CRLFs a server should ignore before a request-line
// (RFC 9112 section 2.2).
func skipEmptyLines(w []byte) (int, error) {
	i := 0
	for i < len(w) && w[i] == '\r' {
		if i+1 >= len(w) {
			return 0, ErrNeedMore
		}
		if w[i+1] != '\n' {
			return 0, errBareCR
		}
		i += 2
	}
	if i < len(w) && w[i] == '\n' {
		return 0, errBareLF
	}
	return i, nil
}

// parseLine reads request-line = method SP request-target SP HTTP-version CRLF
// (RFC 9112 section 3). A target longer than maxURI is a 414 as soon as it
// is seen, complete or not.
func (r *Request) parseLine(w []byte, i, maxURI int) (int, error) {
	ms := i
	for i < len(w) && codec.IsTokenChar(w[i]) {
		i++
	}
	if i >= len(w) {
		return 0, ErrNeedMore
	}
	if w[i] != ' ' || i == ms {
		return 0, errBadMethod
	}
	r.Method = w[ms:i]
	i++
	ts := i
	for i < len(w) && w[i] > ' ' && w[i] < 0x7f {
		i++
	}
	if i-ts > maxURI {
		return 0, errURITooLong
	}
	if i >= len(w) {
		return 0, ErrNeedMore
	}
	if w[i] != ' ' || i == ts {
		return 0, errBadTarget
	}
	r.Target = w[ts:i]
	minor, i, err := parseVersion(w, i+1)
	if err != nil {
		return 0, err
	}
	r.Minor = minor
	if i, err = lineEnd(w, i, errBadRequestLine); err != nil {
		return 0, err
	}
	return i, r.splitTarget()
}

// parseVersion reads HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112
// section 2.3, case-sensitive) and returns the minor version. A major version
// other than 1 is a 505; minor versions above 1 are read as 1 (RFC 9110
// section 2.5).
func parseVersion(w []byte, i int) (minor, next int, err error) {
	const pattern = "HTTP/9.9" // 9 stands for any DIGIT
	for k := 0; k < len(pattern); k++ {
		if i+k >= len(w) {
			return 0, 0, ErrNeedMore
		}
		c, p := w[i+k], pattern[k]
		if k < 5 && c != p {
			return 0, 0, ErrNotHTTP
		}
		if p == '9' && (c < '0' || c > '9') || p != '9' && c != p {
			return 0, 0, errBadVersion
		}
	}
	if w[i+5] != '1' {
		return 0, 0, errVersion
	}
	return min(int(w[i+7]-'0'), 1), i + len(pattern), nil
}

var slashPath = []byte{'/'}

// splitTarget checks the form of the request-target against the method
// (RFC 9112 section 3.2) and sets Path (and Host for absolute-form).
func (r *Request) splitTarget() error {
	t := r.Target
	if bytes.IndexByte(t, '#') >= 0 {
		return errBadTarget // no form of request-target has a fragment
	}
	switch {
	case string(r.Method) == "CONNECT":
		if !isAuthorityForm(t) {
			return errBadTarget
		}
		r.Host, r.Path = t, t
	case t[0] == '/':
		r.Path, r.Query = splitQuery(t)
	case t[0] == '*':
		if len(t) != 1 || string(r.Method) != "OPTIONS" {
			return errBadTarget
		}
		r.Path = t
	default:
		return r.splitAbsolute(t)
	}
	return nil
}

// splitQuery cuts t at its first '?'; query is nil when there is none.
func splitQuery(t []byte) (path, query []byte) {
	if q := bytes.IndexByte(t, '?'); q >= 0 {
		return t[:q], t[q+1:]
	}
	return t, nil
}

// isAuthorityForm reports whether t is uri-host ":" port with a non-empty
// host and port (RFC 9112 section 3.2.3).
func isAuthorityForm(t []byte) bool {
	c := bytes.LastIndexByte(t, ':')
	if c <= 0 || !validHost(t[:c]) {
		return false
	}
	_, ok := codec.ParseDecimal(t[c+1:])
	return ok
}

// splitAbsolute reads absolute-form = scheme "://" authority path-abempty
// [ "?" query ]. A userinfo ("@") or empty authority is an error (RFC 9110
// section 4.2).
func (r *Request) splitAbsolute(t []byte) error {
	i := 0
	for i < len(t) && isSchemeChar(t[i], i == 0) {
		i++
	}
	if i == 0 || !bytes.HasPrefix(t[i:], []byte("://")) {
		return errBadTarget
	}
	i += 3
	as := i
	for i < len(t) && t[i] != '/' && t[i] != '?' && t[i] != '#' {
		i++
	}
	if i == as || !validHost(t[as:i]) {
		return errBadTarget
	}
	r.Host, r.absolute = t[as:i], true
	r.Path, r.Query = splitQuery(t[i:])
	if len(r.Path) == 0 {
		r.Path = slashPath // path-abempty is empty: origin-form needs "/"
	}
	return nil
}

// isSchemeChar: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func isSchemeChar(c byte, first bool) bool {
	alpha := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	return alpha || !first && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')
}

// derive sets Host, framing and connection flags from the header fields.
func (r *Request) derive() error {
	var f fields
	f.scan(r.Headers)
	if err := f.checkHost(r.Minor); err != nil {
		return err
	}
	if r.Host == nil {
		r.Host = f.host
	}
	if r.absolute {
		r.setHostField()
	}
	if err := r.framing(&f); err != nil {
		return err
	}
	r.KeepAlive = f.keepAlive(r.Minor)
	r.Expect100 = f.expect && r.Minor >= 1
	r.Upgrade = f.upgrade && f.hasUpg && r.Minor >= 1
	return nil
}

// checkHost applies RFC 9112 section 3.2: exactly one valid Host field in
// HTTP/1.1 (still required with an absolute-form target), at most one in 1.0.
// validHost says what valid is (host.go; an empty Host is not).
func (f *fields) checkHost(minor int) error {
	switch {
	case f.hosts > 1:
		return errManyHosts
	case f.hosts == 0 && minor >= 1:
		return errNoHost
	case f.hosts == 1 && !validHost(f.host):
		return errBadHost
	}
	return nil
}

// setHostField makes the Host field of an absolute-form request say the
// target's authority: a proxy "MUST ignore the received Host header field
// (if any) and instead use the host information of the request-target"
// (RFC 9112 section 3.2.2). Without a Host field (HTTP/1.0) the writer adds
// one from r.Host.
func (r *Request) setHostField() {
	for i := range r.Headers {
		if codec.EqualFold(r.Headers[i].Name, "host") {
			r.Headers[i].Value = r.Host
		}
	}
}

// framing applies RFC 9112 section 6.3 to a request.
func (r *Request) framing(f *fields) error {
	if f.te.present {
		switch {
		case r.Minor == 0:
			return errTEHTTP10
		case f.hasCL:
			return errTEAndCL
		}
		if err := f.te.check(); err != nil {
			return err
		}
		switch {
		case !f.te.lastChunked:
			return errTENotChunked
		case f.te.unknown:
			return errTEUnknown
		}
		r.Framing = FramingChunked
		return nil
	}
	if f.clErr != nil {
		return f.clErr
	}
	if f.hasCL {
		r.Framing, r.ContentLength = FramingLength, f.cl
	}
	return nil
}

package h1

import (
	"bytes"

	"github.com/velox-proxy/velox/codec"
	"github.com/velox-proxy/velox/head"
)

// Request is a parsed request head: head.Request, the head every protocol
// fills, so the proxy and filters see what the parser filled. Parse into a
// reused Request: ParseRequest resets it and reuses the Headers backing
// array, so the steady state does not allocate. All []byte fields point into
// the input buffer, except Path "/" for an absolute-form target without a
// path, which is a shared read-only slice.
//
// An absolute-form target (RFC 9112 section 3.2.2) is read as the proxy must
// forward it: Host is the target's authority, and so is the value of the Host
// field (the received one is ignored, as the RFC requires, so every reader of
// Headers sees the host the request is for); the writer sends Path and Query
// in origin-form. A caller may point Path at a rewritten path (the proxy's
// normalised one): the writer and AppendURI use Path and Query, never Target.
type Request = head.Request

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
	var absolute bool
	if i, absolute, err = parseRequestLine(req, w, i, lim.maxURI()); err != nil {
		return 0, err
	}
	if req.Headers, i, err = parseFields(w, i, req.Headers, lim.maxHeaders()); err != nil {
		return 0, err
	}
	if err := deriveRequest(req, absolute); err != nil {
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

// parseRequestLine reads request-line = method SP request-target SP HTTP-version CRLF
// (RFC 9112 section 3) into r. A target longer than maxURI is a 414 as soon
// as it is seen, complete or not. absolute says the target was in
// absolute-form.
func parseRequestLine(r *Request, w []byte, i, maxURI int) (next int, absolute bool, err error) {
	ms := i
	for i < len(w) && codec.IsTokenChar(w[i]) {
		i++
	}
	if i >= len(w) {
		return 0, false, ErrNeedMore
	}
	if w[i] != ' ' || i == ms {
		return 0, false, errBadMethod
	}
	r.Method = w[ms:i]
	i++
	ts := i
	for i < len(w) && w[i] > ' ' && w[i] < 0x7f {
		i++
	}
	if i-ts > maxURI {
		return 0, false, errURITooLong
	}
	if i >= len(w) {
		return 0, false, ErrNeedMore
	}
	if w[i] != ' ' || i == ts {
		return 0, false, errBadTarget
	}
	r.Target = w[ts:i]
	minor, i, err := parseVersion(w, i+1)
	if err != nil {
		return 0, false, err
	}
	r.Minor = minor
	if i, err = lineEnd(w, i, errBadRequestLine); err != nil {
		return 0, false, err
	}
	absolute, err = splitTarget(r)
	return i, absolute, err
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
// (RFC 9112 section 3.2) and sets Path (and Host for absolute-form, which it
// reports).
func splitTarget(r *Request) (absolute bool, err error) {
	t := r.Target
	if bytes.IndexByte(t, '#') >= 0 {
		return false, errBadTarget // no form of request-target has a fragment
	}
	switch {
	case string(r.Method) == "CONNECT":
		if !isAuthorityForm(t) {
			return false, errBadTarget
		}
		r.Host, r.Path = t, t
	case t[0] == '/':
		r.Path, r.Query = splitQuery(t)
	case t[0] == '*':
		if len(t) != 1 || string(r.Method) != "OPTIONS" {
			return false, errBadTarget
		}
		r.Path = t
	default:
		return true, splitAbsolute(r, t)
	}
	return false, nil
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
func splitAbsolute(r *Request, t []byte) error {
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
	r.Host = t[as:i]
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

// deriveRequest sets Host, framing and connection flags from the header
// fields; absolute says the target was in absolute-form.
func deriveRequest(r *Request, absolute bool) error {
	var f fields
	f.scan(r.Headers)
	if err := f.checkHost(r.Minor); err != nil {
		return err
	}
	if r.Host == nil {
		r.Host = f.host
	}
	if absolute {
		setHostField(r)
	}
	if err := requestFraming(r, &f); err != nil {
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
func setHostField(r *Request) {
	for i := range r.Headers {
		if codec.EqualFold(r.Headers[i].Name, "host") {
			r.Headers[i].Value = r.Host
		}
	}
}

// requestFraming applies RFC 9112 section 6.3 to a request.
func requestFraming(r *Request, f *fields) error {
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

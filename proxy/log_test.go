package proxy

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// lines splits a log into lines without their timestamps.
func lines(log string) []string {
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z `)
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		if !stamp.MatchString(l) {
			out = append(out, "NO TIMESTAMP: "+l)
			continue
		}
		out = append(out, stamp.ReplaceAllString(l, ""))
	}
	return out
}

func checkLines(t *testing.T, got string, want []string) {
	t.Helper()
	if g := lines(got); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
}

// TestLogFormat: each kind of record, an escaped request and a cut one.
func TestLogFormat(t *testing.T) {
	var buf syncBuffer
	l := NewLoggerWith(&buf, LogOptions{RepeatBurst: -1})
	ip := []byte("2001:db8::1")
	l.request("proxy", ip, []byte("GET example.com/a\"b\n"), 502, "could not connect to backend", "api", "127.0.0.1:9")
	l.request("proxy", ip, []byte("GET example.com/"+strings.Repeat("x", 300)), 404, "no route for this host and path", "", "")
	l.access(ip, []byte("GET example.com/"), 200)
	l.conn("downstream", []byte("127.0.0.1"), 431, "request header fields too large")
	l.conn("downstream", []byte("127.0.0.1"), 0, "request head not complete in time")
	l.Printf("velox", "listening on %v", []string{"127.0.0.1:8080"})
	l.Close()
	checkLines(t, buf.String(), []string{
		`proxy: 2001:db8::1 "GET example.com/a\"b\x0a": 502 could not connect to backend (api 127.0.0.1:9)`,
		`proxy: 2001:db8::1 "GET example.com/` + strings.Repeat("x", logInfoMax-len("GET example.com/")) + `...": 404 no route for this host and path`,
		`access: 2001:db8::1 "GET example.com/" 200`,
		`downstream: 127.0.0.1: 431 request header fields too large`,
		`downstream: 127.0.0.1: request head not complete in time`,
		`velox: listening on [127.0.0.1:8080]`,
	})
}

// TestLogRepeatsSummed: past the burst, identical errors (whatever the
// client and path) are counted and summed up in one line when the interval
// ends (here: at Close); other errors, the access log and Printf lines are
// not limited.
func TestLogRepeatsSummed(t *testing.T) {
	var buf syncBuffer
	l := NewLoggerWith(&buf, LogOptions{RepeatBurst: 3, RepeatInterval: time.Hour})
	for i := range 10 {
		l.request("proxy", []byte{'1', '0', '.', byte('0' + i)}, []byte("GET h/"+string(rune('a'+i))), 404, "no route", "", "")
		l.access([]byte("10.0.0.1"), []byte("GET h/"), 404)
	}
	l.request("proxy", []byte("10.1"), []byte("GET h/x"), 502, "could not connect", "c", "127.0.0.1:9")
	l.request("proxy", []byte("10.1"), []byte("GET h/x"), 502, "could not connect", "c", "127.0.0.2:9")
	l.Printf("velox", "draining")
	l.Close()
	want := []string{}
	for i := range 10 {
		if i < 3 {
			want = append(want, `proxy: 10.`+string(rune('0'+i))+` "GET h/`+string(rune('a'+i))+`": 404 no route`)
		}
		want = append(want, `access: 10.0.0.1 "GET h/" 404`)
	}
	want = append(want,
		`proxy: 10.1 "GET h/x": 502 could not connect (c 127.0.0.1:9)`,
		`proxy: 10.1 "GET h/x": 502 could not connect (c 127.0.0.2:9)`,
		`velox: draining`,
		`proxy: 404 no route: repeated 7 more times in 1h0m0s`)
	checkLines(t, buf.String(), want)
}

// TestLogRepeatsPerInterval: the burst starts again in every interval, and
// each interval that left lines out says how many (synctest's clock).
func TestLogRepeatsPerInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf syncBuffer
		l := NewLoggerWith(&buf, LogOptions{RepeatBurst: 2, RepeatInterval: time.Second})
		burst := func(n int) {
			for range n {
				l.conn("downstream", []byte("10.0.0.1"), 400, "malformed request line")
			}
			synctest.Wait()
		}
		burst(5)
		time.Sleep(1500 * time.Millisecond) // the interval ends: 3 left out
		synctest.Wait()
		burst(2) // within the burst: nothing to sum up
		time.Sleep(time.Second)
		synctest.Wait()
		burst(4)
		l.Close()
		line := `downstream: 10.0.0.1: 400 malformed request line`
		checkLines(t, buf.String(), []string{line, line,
			`downstream: 400 malformed request line: repeated 3 more times in 1s`,
			line, line, line, line,
			`downstream: 400 malformed request line: repeated 2 more times in 1s`})
	})
}

// blockingWriter holds the writer goroutine in Write until released.
type blockingWriter struct {
	syncBuffer
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	w.once.Do(func() {
		close(w.entered)
		<-w.release
	})
	return w.syncBuffer.Write(p)
}

// TestLogRecordsCopy: a record keeps its own copy of the client IP and the
// request, so the loop may reuse its buffers as soon as the call returns.
func TestLogRecordsCopy(t *testing.T) {
	w := &blockingWriter{entered: make(chan struct{}), release: make(chan struct{})}
	l := NewLoggerWith(w, LogOptions{RepeatBurst: -1})
	l.Printf("t", "first")
	<-w.entered // the writer is busy: the next record waits in the queue
	ip, info := []byte("10.0.0.7"), []byte("GET h/original")
	l.request("proxy", ip, info, 404, "no route", "", "")
	copy(ip, "XXXXXXXX")
	copy(info, "XXXXXXXXXXXXXX")
	close(w.release)
	l.Close()
	checkLines(t, w.String(), []string{`t: first`, `proxy: 10.0.0.7 "GET h/original": 404 no route`})
}

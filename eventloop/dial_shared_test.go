package eventloop

import (
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Loops dial through one shared sockaddr (an upstream backend's) at the same
// time: Dial must not write into it (run under -race).
func TestDialSharedSockaddrFromSeveralLoops(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	shared := &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
	g, err := New(Config{Loops: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	const perLoop = 20
	var opened sync.WaitGroup
	opened.Add(2 * perLoop)
	h := &handlerFuncs{open: func(c *Conn) { opened.Done(); c.Close() }}
	start := make(chan struct{})
	for _, l := range g.Loops() {
		l.Execute(func() {
			<-start
			for i := 0; i < perLoop; i++ {
				if _, err := l.Dial(shared, time.Second, h); err != nil {
					t.Error(err)
					opened.Done()
				}
			}
		})
	}
	close(start)
	done := make(chan struct{})
	go func() { opened.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("dials did not all connect")
	}
}

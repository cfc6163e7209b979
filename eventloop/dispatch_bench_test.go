package eventloop

import "testing"

// BenchmarkHookDispatch is Write, Writev and Gather without a syscall (a
// connecting Conn queues what it is given): the part of a plain Conn that
// the Transform hook (transform.go) touches, a nil check each and no
// allocation.
func BenchmarkHookDispatch(b *testing.B) {
	l := newTestLoop(b)
	c, _ := newPair(b, l, &handlerFuncs{}, 0)
	c.connecting = true
	defer func() { c.connecting = false }()
	f := make([]byte, 16)
	for _, bc := range []struct {
		name  string
		write func()
	}{
		{"Write", func() { c.Write(f) }},
		{"Writev", func() { c.Writev(f, f) }},
		{"Gather", func() { c.Gather(f) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for range 32 {
					bc.write()
				}
				c.out.reset()
			}
		})
	}
}

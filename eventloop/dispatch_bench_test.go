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
	f := make([]byte, 16)
	b.Run("Write", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for range 32 {
				c.Write(f)
			}
			c.out.reset()
		}
	})
	b.Run("Writev", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for range 32 {
				c.Writev(f, f)
			}
			c.out.reset()
		}
	})
	b.Run("Gather", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for range 32 {
				c.Gather(f)
			}
			c.out.reset()
		}
	})
	c.connecting = false
}

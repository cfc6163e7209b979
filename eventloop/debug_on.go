//go:build veloxdebug

package eventloop

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// assertOwner panics when called off l's thread once l runs (build tag
// veloxdebug; loops are locked to their OS thread). Before Start, anyone
// may call.
func (l *Loop) assertOwner() {
	if tid := l.tid.Load(); tid != 0 && int32(unix.Gettid()) != tid {
		panic("eventloop: loop-owned state touched off loop " + strconv.Itoa(l.id))
	}
}

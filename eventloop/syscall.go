package eventloop

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Raw system calls for the data path. Every socket here is non-blocking, so
// read, write and writev never block: they are made without telling the Go
// scheduler (no entersyscall/exitsyscall, no chance for sysmon to hand the
// loop's P to another thread). Only a blocking epoll_wait goes through the
// scheduler (see Loop.wait).

func errnoOf(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func rawRead(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(r), errnoOf(e)
}

func rawWrite(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(r), errnoOf(e)
}

func rawWritev(fd int, iov []unix.Iovec) (int, unix.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	return int(r), e
}

// epollPoll collects ready events without blocking.
func epollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), 0, 0, 0)
	return int(r), errnoOf(e)
}

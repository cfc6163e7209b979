package eventloop

import "runtime"

// Yielding before a sleep. A loop about to block in epoll_wait first hands
// its P to the scheduler (runtime.Gosched): goroutines that are ready run
// first, and the loop's goroutine, locked to its thread, gets the P back when
// they are done. That costs a hand-off between threads (futex) per sleep, and
// still it pays. A loop that blocked straight away left its P in the system
// call, and with no idle P Go's sysmon took it back after a tick; on the
// capped echo yardstick sysmon then woke 900–1,800 times a second on the
// loop's CPU. With the yield (the way gnet's poller blocks) sysmon woke about
// 100 times a second and velox served 6–8 % more messages. Round trips with
// a client or backend goroutine in the same process pay the hand-off; through
// an external backend one connection's latency did not move (bench/README.md).

func yieldBeforeSleep() { runtime.Gosched() }

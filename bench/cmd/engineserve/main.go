// Command engineserve runs one server of the engine yardstick (package
// bench/engine) with one loop until SIGTERM or SIGINT.
//
//	GOMAXPROCS=1 taskset -c 0 engineserve -engine gnet -mode echo -addr 127.0.0.1:9000
//
// It prints "listening ADDR" on stdout once it accepts connections.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/velox-proxy/velox/bench/engine"
)

func main() {
	name := flag.String("engine", "velox", fmt.Sprintf("engine, one of %v", engine.Names()))
	mode := flag.String("mode", "echo", "workload: echo or http")
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err := engine.Serve(ctx, *name, engine.Mode(*mode), *addr, func(bound string) {
		fmt.Printf("listening %s\n", bound)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "engineserve:", err)
		os.Exit(1)
	}
}

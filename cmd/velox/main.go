// Command velox runs the velox reverse proxy.
//
//	velox                                   built-in demo on 127.0.0.1:8080
//	velox -config FILE [flags]              run a config file (SIGHUP reloads it)
//	velox proxy --listen ADDR --to ADDR,... quick reverse proxy, no config file
//	velox help, velox -h, velox proxy -h    usage and flags (exit 0)
//
// Flags common to every mode: --loops, --pin-cpus, --busy-poll, --admin,
// --verbose. Read next: run.go (lifecycle and signals), help.go, demo.go,
// quick.go, admin.go.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "velox:", err)
		os.Exit(1)
	}
}

// run dispatches on the first argument.
func run(args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "proxy":
			return runQuick(args[1:])
		case "help":
			return runConfig([]string{"-h"})
		}
	}
	return runConfig(args)
}

// Command dubbopeer runs dubbo-go v3.3.2 (the real Go Dubbo implementation)
// as a test peer of velox's Dubbo proxying: a server of one interface and
// version, or a client that makes many calls and prints what came back. It
// is its own module (go.mod here) so that dubbo-go's dependencies stay out
// of velox's; the proxy tests build it once (proxy/e2e_rpc_dubbo_test.go)
// and run it as subprocesses on 127.0.0.1.
//
//	dubbopeer server -port P -interface I -version V -name N [-group G]
//	dubbopeer client -addr A -interface I -version V [-group G] -calls N -conc C -timeout D [-arg S]
//
// A server's method Echo(s) answers N+":"+s; when s is "sleep:<duration>"
// it sleeps that long first. A client prints one JSON line: how many calls
// succeeded, the first errors, and how many answers each server name gave.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dubbopeer server|client [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = runServer(os.Args[2:])
	case "client":
		err = runClient(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dubbopeer:", err)
		os.Exit(1)
	}
}

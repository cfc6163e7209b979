package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// usageVelox heads `velox -h`: every mode, then the flags.
const usageVelox = `velox is an L7 reverse proxy on epoll event loops.

Usage:
  velox [flags]                             demo: 127.0.0.1:8080 in front of two demo origins on loopback
  velox -config FILE [flags]                serve a YAML config file (see examples/); SIGHUP reloads it
  velox proxy --listen ADDR --to ADDR,...   quick reverse proxy, no config file (velox proxy -h;
                                            h2c://ADDR for HTTP/2 backends,
                                            https://ADDR for TLS backends)
  velox help                                this text

SIGTERM or SIGINT drains requests in flight and exits 0. An address ":PORT"
means every IPv4 address; write 127.0.0.1:PORT for loopback only. With
--protocol tcp, each connection goes to a backend as bytes, nothing parsed
(as nginx stream or HAProxy mode tcp). --cert and --key terminate TLS on
--listen (HTTP/1.1 and HTTP/2 by ALPN; with --protocol tcp, the bytes
inside TLS go to the backends). With --protocol dubbo or bolt, each RPC
request goes to a backend, over multiplexed connections; auto takes
HTTP, Dubbo and Bolt clients on one port.

Flags:
`

// usageProxy heads `velox proxy -h`.
const usageProxy = `Usage:
  velox proxy --listen ADDR --to ADDR[,ADDR...] [flags]
  velox proxy --listen ADDR --to h2c://ADDR[,h2c://ADDR...] [flags]
  velox proxy --listen ADDR --to https://ADDR[,https://ADDR...] [--to-ca FILE] [flags]
  velox proxy --protocol tcp --listen ADDR --to ADDR[,ADDR...] [flags]
  velox proxy --protocol dubbo|bolt|auto --listen ADDR --to ADDR[,ADDR...] [flags]
  velox proxy --listen ADDR --cert FILE --key FILE --to ADDR[,ADDR...] [flags]

Quick mode: every request accepted on --listen goes to the --to backends
(IP:port), balanced, without a config file (like caddy reverse-proxy).
Backends written h2c://ADDR are spoken to in HTTP/2 without TLS (prior
knowledge; gRPC servers), https://ADDR over TLS (HTTP/1.1 by ALPN; the
certificate verified for the host name, or for an IP address against its
IP SANs, by the system's roots or the CA bundle --to-ca): all of them or
none. An address ":PORT" means
every IPv4 address; write 127.0.0.1:PORT for loopback only. With
--protocol tcp, each connection goes to a backend as bytes, nothing parsed
(as nginx stream or HAProxy mode tcp). --cert and --key terminate TLS on
--listen (HTTP/1.1 and HTTP/2 by ALPN; with --protocol tcp, the bytes
inside TLS go to the backends).

Flags:
`

// parseFlags parses args with fs. -h and --help print the usage and the
// flags to stdout and report help (the caller then exits 0); other errors
// come back without flag's own printing, naming where help is.
func parseFlags(fs *flag.FlagSet, usage string, args []string) (help bool, err error) {
	fs.SetOutput(io.Discard)
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(os.Stdout, fs, usage)
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w (%s -h lists the flags)", err, fs.Name())
	}
	return false, nil
}

// printUsage writes usage and then every flag of fs with its default.
func printUsage(w io.Writer, fs *flag.FlagSet, usage string) {
	io.WriteString(w, usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// Package tlsllib measures github.com/lesismal/llib v1.2.5's non-blocking
// fork of crypto/tls on the workloads of velox's tlsloop/bench_test.go
// (handshakes; keep-alive echo of 12 B, 4 KiB and 64 KiB), so that the
// two engines are compared on the same machine with the same crypto/tls
// client. It is a module of its own so that llib never enters velox's main
// module; nothing imports it. Run:
//
//	cd bench/tlsllib && go test -run '^$' -bench . -benchmem
//
// See bench/README.md, "TLS engine: crypto/tls on the loop vs llib".
package tlsllib

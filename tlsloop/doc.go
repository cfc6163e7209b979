// Package tlsloop terminates TLS on velox's event loops without a goroutine
// per connection. It is built on crypto/tls, and nothing in it implements
// the TLS protocol: the handshake runs off the loop in a bounded pool, and
// afterwards records are opened and sealed on the loop, through the
// eventloop.Transform hook, so a Handler sees plaintext and calls the same
// Write, Writev, Gather and Flush as on a plain connection.
//
// Imported by whoever wires listeners (proxy, cmd/velox); it imports
// eventloop only. Read next: handshake.go (the Acceptor, the pool, what
// happens when a handshake ends), session.go (the record layer on the loop,
// Info), transport.go (the in-memory net.Conn under each tls.Conn and why
// its "ran dry" error is safe), server.go (Config, certificates by SNI,
// ticket keys), errors.go and metrics.go; eventloop/transform.go for the
// hook.
//
// # How it works
//
// Each connection's tls.Conn runs over a transport of our own, not a
// socket. During the handshake the transport blocks the pool goroutine
// until the loop feeds it the socket's bytes, and hands what the handshake
// writes back to the loop (Loop.Execute). The pool runs at most
// Config.MaxHandshakes of them, one goroutine each, with
// Config.HandshakeQueue more waiting; a connection that has sent nothing
// yet holds no goroutine, and Config.HandshakeTimeout (a loop timer) ends
// any handshake, queued or running. When it ends, the loop installs the
// Session as the connection's Transform and the next Acceptor's Handler,
// and the goroutine takes the next queued handshake or exits.
//
// After the handshake the transport's Read returns what the loop fed and
// then a net.Error whose Temporary() is true. crypto/tls returns it from
// tls.Conn.Read without remembering it (conn.go, readRecordOrCCS: only a
// non-temporary error is set with setErrorLocked), so the same tls.Conn
// reads the rest of a record once it is fed: TestDryErrorNotSticky checks
// this on every cut of a record, and fails if a future Go makes the error
// sticky. The eventloop reads each tls.Conn until it runs dry after every
// socket read, so no plaintext waits inside it and PauseRead, ResumeRead and
// MaxInput apply to plaintext unchanged. Post-handshake messages (TLS 1.3
// KeyUpdate) are handled inside tls.Conn.Read, on the loop; their answers
// are written like any output. A close_notify is the peer's EOF
// (HalfCloser works); CloseWrite and CloseAfterFlush send one. tls.Conn's
// locks are taken by one goroutine only once the handshake is over, so they
// never contend.
//
// # Choosing the engine (measured, not assumed)
//
// Two ways were measured on the same 2-core machine, with the same
// crypto/tls client, ECDSA P-256, in memory (no sockets), one goroutine for
// records: this package, and github.com/lesismal/llib v1.2.5, whose
// std/crypto/tls is a fork of crypto/tls with a non-blocking mode (Append
// the socket's bytes, Read returns 0 when a record is incomplete, the
// handshake advancing inside Read on the loop). Benchmarks:
// tlsloop/bench_test.go and bench/tlsllib (a module of its own, so llib
// never enters velox's go.mod); figures and commands in bench/README.md,
// "TLS engine: crypto/tls on the loop vs llib".
//
// Records (keep-alive echo, server time per request+response, TLS 1.2
// AES-128-GCM): 12 B about 1.0–1.4 µs here against 1.9–2.8 µs for llib;
// 4 KiB about 3.9 µs against 9.7 µs; 64 KiB about 40 µs against 250 µs.
// Allocations: crypto/tls allocates one 24-byte reader per network read
// (2 per request here, 0 bytes of buffers); llib's default allocator
// allocates its record buffers (about 2.2× the payload in bytes per op).
// With TLS 1.3 llib's server picks ChaCha20-Poly1305 even on AES-NI
// hardware, which costs it more again.
//
// Handshakes (client and server CPU together): the same within noise,
// as both are crypto/tls's code (full TLS 1.3 about 1.2 ms of CPU,
// resumed TLS 1.2 about 0.09 ms) — but llib runs them on the loop, where a
// full handshake stalls every other connection of that loop for about a
// millisecond, while here they run on the pool and the loop only copies
// bytes.
//
// Trust: crypto/tls is upstream, reviewed, fuzzed, FIPS-capable, and fixed
// with every Go security release; velox gets those fixes by rebuilding.
// llib's fork is a snapshot (about Go 1.24: it has X25519MLKEM768 and
// ECH) with its own copy of ML-KEM, and it builds on golang.org/x/crypto
// and x/net of May 2021; every crypto/tls fix since must be ported into it
// by hand, and it trails them. So: crypto/tls, with the handshake off the
// loop. What it costs: a goroutine (a few KiB of stack) per handshake in
// progress, and tls.Conn's own buffers per connection, which it keeps
// while idle (BenchmarkIdle measures them).
package tlsloop

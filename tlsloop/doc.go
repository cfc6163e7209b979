// Package tlsloop terminates TLS on velox's event loops, and originates it
// on dialled connections to upstreams, without a goroutine per connection.
// It is built on crypto/tls, and nothing in it implements
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
// ticket keys), client.go (the dialling side: ClientConfig, a session
// cache shared by all loops), errors.go and metrics.go;
// eventloop/transform.go for the hook.
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
// A Client is the same machinery the other way round (one handshaker, the
// side interface says what differs): Client.Handler wraps the Handler of a
// connection being dialled, the handshake is submitted to the pool when the
// connect succeeds (the client speaks first), and when it is done the
// Session is installed and the wrapped Handler's OnOpen runs; a failure
// reaches its OnClose as a *HandshakeError. One tls.ClientSessionCache
// serves every loop, so a session made on one loop resumes on another.
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
// handshake advancing inside Read on the loop). One harness
// (bench/tlsbench) runs both: tlsloop/bench_test.go, and bench/tlsllib, a
// module of its own so that llib never enters velox's go.mod; figures and
// commands in bench/README.md,
// "TLS engine: crypto/tls on the loop vs llib".
//
// Records (keep-alive echo, the server's time per request and answer,
// medians of 5 rounds; TLS 1.2 held to AES-128-GCM for both): 12 B 624 ns
// against llib's 1,574 (2.5×), 4 KiB 2.7 µs against 6.5 µs (2.4×), 64 KiB
// 34 µs against 84 µs (2.5×): 3.9 GB/s of records per server CPU-second
// against 1.6. With TLS 1.3 llib's server picks ChaCha20-Poly1305 even on
// AES-NI hardware and trails by 1.9–4.8×. Allocations of the server per
// request: 2 here (crypto/tls's 24-byte reader per network read, no
// buffers), 4 for llib, whose default allocator allocates its record
// buffers (9 KB per 4 KiB request).
//
// Handshakes (client and server CPU together): a tie within the machine's
// noise, as both are crypto/tls's handshake code (full TLS 1.3 with
// X25519MLKEM768 about 0.9–1.1 ms, resumed TLS 1.2 about 0.07–0.09 ms). The
// difference is where it runs: llib's on the loop, where a full handshake
// stalls every other connection of that loop for its duration; here on the
// pool, while the loop only copies bytes. 5,000 idle TLS connections hold
// no goroutine (BenchmarkIdle).
//
// Trust: crypto/tls is upstream, reviewed, fuzzed, FIPS-capable, and fixed
// with every Go security release; velox gets those fixes by rebuilding.
// llib's fork is a snapshot (about Go 1.24: it has X25519MLKEM768 and
// ECH) with its own copy of ML-KEM, and it builds on golang.org/x/crypto
// and x/net of May 2021; every crypto/tls fix since must be ported into it
// by hand, and it trails them. So: crypto/tls, with the handshake off the
// loop. What it costs: a goroutine (a few KiB of stack) per handshake in
// progress, and tls.Conn's own buffers per connection, which it keeps
// while idle (17 KiB per connection, client and server together, in
// BenchmarkIdle).
package tlsloop

module github.com/velox-proxy/velox/bench/tlsllib

go 1.26.8

require (
	github.com/lesismal/llib v1.2.5
	github.com/velox-proxy/velox v0.0.0
)

require (
	golang.org/x/crypto v0.0.0-20210513122933-cd7d49e622d5 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

// The harness (bench/tlsbench) is velox's; velox never requires llib.
replace github.com/velox-proxy/velox => ../..

# velox — build, test, bench. `make test` is what CI runs (.ci/run).
GO ?= go
PKGS := ./...

.PHONY: all build test vet fmt-check deps-test deps-npm deps-dubbopeer bench run fuzz

all: build

build:
	$(GO) build -o bin/velox ./cmd/velox

run: build
	./bin/velox

# Tools the tests need beyond Go: curl (end-to-end tests drive the proxy with it),
# nghttp2-client (h2load, nghttp for HTTP/2), iperf3 (a real protocol through a tcp
# listener) and haproxy (a real sender of the PROXY protocol). One apt-get update for
# whatever is missing.
# h2spec is a Go tool pinned in tools/go.mod (internal/h2spec builds it).
deps-test:
	@pkgs=""; \
	command -v curl >/dev/null 2>&1 || pkgs="$$pkgs curl"; \
	command -v h2load >/dev/null 2>&1 || pkgs="$$pkgs nghttp2-client"; \
	command -v iperf3 >/dev/null 2>&1 || pkgs="$$pkgs iperf3"; \
	command -v haproxy >/dev/null 2>&1 || pkgs="$$pkgs haproxy"; \
	if [ -n "$$pkgs" ]; then \
	  echo "installing$$pkgs"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkgs) >/dev/null; \
	fi

# The npm packages of the RPC test peers (internal/rpcpeer/node: sofa-bolt-node as
# sofa-rpc-node@2.10.0 brings it, apache-dubbo-js, hessian.js), exactly as package-lock.json
# pins them; npm ci again whenever the lockfile is newer than the install. Needs node and npm;
# without node the differential tests against them skip.
RPCPEER_NODE := internal/rpcpeer/node
deps-npm:
	@if command -v npm >/dev/null 2>&1 && \
	  [ ! $(RPCPEER_NODE)/node_modules/.package-lock.json -nt $(RPCPEER_NODE)/package-lock.json ]; then \
	  echo "npm ci in $(RPCPEER_NODE)"; \
	  (cd $(RPCPEER_NODE) && npm ci --no-audit --no-fund >/dev/null); \
	fi

# The dubbo-go v3.3.2 test peer (internal/dubbopeer: its own module, pinned by its go.sum, so that
# dubbo-go's dependencies stay out of velox's go.mod), built once before the tests that run it
# (they build it too, from the warm cache). A cold build takes about 4 minutes on 2 cores.
DUBBOPEER := internal/dubbopeer
deps-dubbopeer:
	cd $(DUBBOPEER) && GOWORK=off GOFLAGS=-mod=readonly $(GO) build -o .bin/dubbopeer .

fmt-check:
	@out=$$(gofmt -l . | grep -v '^bench/results/' || true); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)
	$(GO) vet -tags veloxdebug ./eventloop ./cmd/velox

# The race detector allocates, so the zero-allocation tests run again without it.
# The veloxdebug pass builds the loop-ownership assertions in (eventloop/debug_on.go:
# loop-owned state touched off its loop panics) and runs the packages that drive loops; cmd/velox
# then builds the binary it runs with the same tag.
DEBUG_PKGS := ./eventloop ./upstream ./proxy ./cmd/velox

test: deps-test deps-npm deps-dubbopeer fmt-check vet
	$(GO) test -race -count=1 -timeout 14m $(PKGS)
	$(GO) test -count=1 -timeout 5m -run 'Alloc' $(PKGS)
	$(GO) test -count=1 -timeout 5m -tags veloxdebug $(DEBUG_PKGS)

# Short native fuzzing of every parser (not part of CI).
fuzz:
	$(GO) test ./h1 -run '^$$' -fuzz FuzzParseRequest -fuzztime 30s
	$(GO) test ./h1 -run '^$$' -fuzz FuzzParseResponse -fuzztime 30s
	$(GO) test ./h1 -run '^$$' -fuzz FuzzChunked -fuzztime 30s
	$(GO) test ./proxy/pathnorm -run '^$$' -fuzz FuzzNormalizePath -fuzztime 30s
	$(GO) test ./h2 -run '^$$' -fuzz FuzzReadFrame -fuzztime 30s
	$(GO) test ./h2 -run '^$$' -fuzz FuzzHeadDecode -fuzztime 30s
	$(GO) test ./h2 -run '^$$' -fuzz FuzzConnServer -fuzztime 30s
	$(GO) test ./h2/hpack -run '^$$' -fuzz FuzzDecodeBlock -fuzztime 30s
	$(GO) test ./tlshello -run '^$$' -fuzz FuzzServerName -fuzztime 30s
	$(GO) test ./proxyproto -run '^$$' -fuzz FuzzParse -fuzztime 30s
	$(GO) test ./rpcx -run '^$$' -fuzz FuzzDubboDecode -fuzztime 30s
	$(GO) test ./rpcx -run '^$$' -fuzz FuzzBoltDecode -fuzztime 30s
	$(GO) test ./rpcx/hessian2 -run '^$$' -fuzz FuzzReader -fuzztime 30s

bench: build
	./bench/run.sh

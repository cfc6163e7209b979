#!/usr/bin/env bash
# velox side-by-side benchmark (issue 3): `make bench` or ./bench/run.sh.
#
# Installs what is missing (nginx, haproxy, wrk, h2load, iperf3; ghz for the
# grpc phase, with go install), builds the bench tools and velox, and runs
# bench/cmd/benchdrive, which starts every server on 127.0.0.1 only, on free
# ports, pinned with taskset, and writes
# bench/results/<date>-<sha>.md (+ .png, .json) and bench/results/latest.md.
#
# Environment:
#   ROUNDS=3         interleaved rounds
#   ENGINE_ROUNDS=5  interleaved rounds of the engine yardstick (its runs are
#                    cheap, and its engines close: more rounds, steadier medians)
#   DURATION=10s     measured time of each run
#   WARMUP=1s        warm-up before each run
#   SCENARIOS=       comma-separated subset of get-12b,get-4k,get-64k,conns-1000,post-4k,close-12b
#   PHASES=http,idle,engine  (also: h2, h2h2, h2idle, the HTTP/2 phases, and
#                    grpc: ghz against a grpc-go server, direct and through
#                    velox and HAProxy; tcp: iperf3 streams, direct and
#                    through velox's tcp listener and HAProxy mode tcp;
#                    tls, tlshs, tlsidle: TLS keep-alive (wrk, h2load),
#                    handshakes per second (tlsload) and idle TLS connections,
#                    velox beside nginx and HAProxy; rpc: Dubbo and Bolt,
#                    rpcload against rpcserve, direct and through velox, and
#                    MOSN when MOSN_BIN is set, then idle RPC connections)
#   MOSN_BIN=        a MOSN binary built by hand outside the repository: the
#                    rpc phase also runs it, configured from
#                    bench/conf/mosn-rpc.json.tmpl
#   IDLE_CONNS=10000 idle connections per target
#   QUICK=1          smoke test: 1 round of 3 s, 1,000 idle connections
#   VELOX_BASE=REV   also build velox at git revision REV and measure it as
#                    target velox-base beside velox (a change's before/after
#                    in one run)
#   VELOX_BIN=       use this velox binary (default: bin/velox under make, else
#                    ./cmd/velox built into bench/work/bin/velox)
#   PROFILE=1        after the rounds, CPU-profile velox during one more run of
#                    each scenario (bench/work/run/pprof/velox-SCENARIO.pprof)
#   NICE=0           niceness of every benchmarked process and load generator
#                    (e.g. NICE=-10 when other work shares the machine)
#   ENGINE_CPU=0.5   share of one core each yardstick server may use (a cgroup
#                    CPU quota, so the server and not the load is the limit);
#                    0 = no cap
set -euo pipefail

cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
ENGINE_ROUNDS=${ENGINE_ROUNDS:-5}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-1s}
SCENARIOS=${SCENARIOS:-}
PHASES=${PHASES:-http,idle,engine}
IDLE_CONNS=${IDLE_CONNS:-10000}
QUICK=${QUICK:-0}
VELOX_BIN=${VELOX_BIN:-}
VELOX_BASE=${VELOX_BASE:-}
NICE=${NICE:-0}
PROFILE=${PROFILE:-0}
ENGINE_CPU=${ENGINE_CPU:-0.5}
WORK=bench/work
BIN=$WORK/bin

log() { echo "bench: $*" >&2; }

# One run at a time: a run clears bench/work/run.
mkdir -p "$WORK"
exec 9>"$WORK/.lock"
if ! flock -n 9; then
	log "another benchmark run holds $WORK/.lock"
	exit 1
fi
rm -f "$WORK/run/pids" # a previous run's, whose processes are gone

driver_pid=
policy_rc_d=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $driver_pid ]] && kill -0 "$driver_pid" 2>/dev/null; then
		kill -TERM "$driver_pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$driver_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$driver_pid" 2>/dev/null || true
	fi
	# Whatever the driver started and could not stop itself.
	if [[ -s $WORK/run/pids ]]; then
		while read -r pid; do
			[[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
		done <"$WORK/run/pids"
	fi
	[[ -n $policy_rc_d ]] && rm -f "$policy_rc_d"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. Tools: install only what is missing, apt-get update once.
missing=()
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
command -v iperf3 >/dev/null 2>&1 || missing+=(iperf3)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
if ((${#missing[@]})); then
	log "installing ${missing[*]}"
	SUDO=
	[[ $(id -u) -ne 0 ]] && SUDO=sudo
	# Keep the packages' init scripts from starting system services.
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		policy_rc_d=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy_rc_d" >/dev/null
		$SUDO chmod +x "$policy_rc_d"
	fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Limits: 1,000-connection runs and 10,000 idle connections.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# 3. Build. The yardstick and velox are optional while velox is being written:
# the report then says what could not run.
mkdir -p "$BIN"
log "building bench tools"
go build -o "$BIN/" ./bench/cmd/benchdrive ./bench/cmd/goproxy ./bench/cmd/idleconns ./bench/cmd/echoload ./bench/cmd/grpcserve ./bench/cmd/tlsload \
	./bench/cmd/rpcload ./bench/cmd/rpcserve
# ghz, the gRPC load generator of the grpc phase, pinned, from the module proxy.
GHZ_VERSION=v0.121.0
if [[ ,$PHASES, == *,grpc,* ]] && ! go version -m "$BIN/ghz" 2>/dev/null | grep -q "github.com/bojand/ghz[[:space:]]*$GHZ_VERSION"; then
	log "installing ghz $GHZ_VERSION"
	if ! GOBIN=$(pwd)/$BIN go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION" 2>"$WORK/ghz-install.log"; then
		log "ghz does not install (see $WORK/ghz-install.log): the grpc phase will fail"
	fi
fi
if ! go build -o "$BIN/" ./bench/cmd/engineserve 2>"$WORK/engineserve-build.log"; then
	log "eventloop does not build (see $WORK/engineserve-build.log): yardstick without velox"
	go build -tags novelox -o "$BIN/" ./bench/cmd/engineserve
fi
if [[ -z $VELOX_BIN && -n ${MAKELEVEL:-} && -x bin/velox ]]; then
	VELOX_BIN=bin/velox # `make bench` has just built it
fi
if [[ -z $VELOX_BIN ]]; then
	VELOX_BIN=$BIN/velox
	rm -f "$VELOX_BIN"
	if ! go build -o "$VELOX_BIN" ./cmd/velox 2>"$WORK/velox-build.log"; then
		log "cmd/velox does not build (see $WORK/velox-build.log): benchmarking without velox"
	fi
fi

base_bin=
if [[ -n $VELOX_BASE ]]; then
	base_src=$WORK/base-src
	rm -rf "$base_src"
	mkdir -p "$base_src"
	git archive "$VELOX_BASE" | tar -x -C "$base_src"
	base_bin=$(pwd)/$BIN/velox-base
	(cd "$base_src" && go build -o "$base_bin" ./cmd/velox)
	log "velox-base: $VELOX_BASE ($(git rev-parse --short "$VELOX_BASE"))"
fi

# 4. Run, bounded in time.
quick=false
[[ $QUICK == 1 ]] && quick=true
cmd="ROUNDS=$ROUNDS DURATION=$DURATION"
[[ $QUICK == 1 ]] && cmd="QUICK=1"
[[ -n $SCENARIOS ]] && cmd+=" SCENARIOS=$SCENARIOS"
[[ $PHASES != http,idle,engine ]] && cmd+=" PHASES=$PHASES"
[[ $NICE != 0 ]] && cmd+=" NICE=$NICE"
[[ $PROFILE == 1 ]] && cmd+=" PROFILE=1"
[[ $ENGINE_CPU != 0.5 ]] && cmd+=" ENGINE_CPU=$ENGINE_CPU"
[[ $ENGINE_ROUNDS != 5 ]] && cmd+=" ENGINE_ROUNDS=$ENGINE_ROUNDS"
[[ -n $VELOX_BASE ]] && cmd+=" VELOX_BASE=$VELOX_BASE"
[[ -n ${MOSN_BIN:-} ]] && cmd+=" MOSN_BIN=$MOSN_BIN"
profile=false
[[ $PROFILE == 1 ]] && profile=true
cmd+=" ./bench/run.sh"
[[ -n ${MAKELEVEL:-} ]] && cmd="make bench ($cmd)"

"$BIN/benchdrive" -bench bench -bin "$BIN" -velox "$VELOX_BIN" -velox-base "$base_bin" \
	-rounds "$ROUNDS" -engine-rounds "$ENGINE_ROUNDS" -duration "$DURATION" -warmup "$WARMUP" -scenarios "$SCENARIOS" \
	-phases "$PHASES" -idle-conns "$IDLE_CONNS" -quick="$quick" -command "$cmd" \
	-nice "$NICE" -profile="$profile" -engine-cpu "$ENGINE_CPU" -max-time 28m &
driver_pid=$!
wait "$driver_pid"

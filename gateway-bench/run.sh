#!/usr/bin/env bash
# The gateway's benchmark suite (issue 6): builds, then measures every figure against its target and
# prints one Markdown table.
#
#   gateway-bench/run.sh                 full suite (8 to 11 minutes), overload scenario included
#   gateway-bench/run.sh --quick         about 3 minutes (short warm-ups, 6 s per scenario)
#   gateway-bench/run.sh --no-build      use the jars already built
#   gateway-bench/run.sh --jmh           also the JMH micro-benchmarks, short settings
#   gateway-bench/run.sh --jmh-only      only the JMH micro-benchmarks
#   gateway-bench/run.sh --soak          also the soak: half the max rate for 10 min (2 with --quick)
#   gateway-bench/run.sh --only overload[,soak] [--max-rate 120000]
#                                        only the overload (3x the max rate for 60 s, then 0.5x) and/or
#                                        the soak; without --max-rate the HTTP protobuf max-rate row runs first
#   Any other argument goes to the suite, e.g. --fsync interval, --no-durability, --concurrency 32,
#   --gateway-jvm "-XX:+ExitOnOutOfMemoryError -Xmx256m", --overload-seconds 30, --overload-jvm "-Xmx512m",
#   --overload-protocol grpc, --soak-minutes 30, --max-inflight-bytes 64MiB
#   (see: java -cp gateway-bench/target/benchmarks.jar io.ccotel.gateway.bench.LoadGen suite --help).
#
# What it does: ./mvnw -q -DskipTests package at the root (gateway-app/target/gateway.jar and
# gateway-bench/target/benchmarks.jar), then `LoadGen suite`, which for each scenario writes a
# config (gRPC, HTTP and /metrics on free 127.0.0.1 ports; durability on in a temp dir; prometheus
# with state_file ""; logs to a Loki-protocol fixture it runs itself), starts
# `java -jar gateway-app/target/gateway.jar run --config <it>`, measures the time to the first
# successful export, drives it (gRPC, HTTP protobuf, HTTP JSON, events; max rate and fixed rate),
# reads its CPU and RSS from /proc and its /metrics, records it with JFR (jcmd), and stops it.
# Results, per-scenario reports and JFR hot spots: <work dir>/results.md.
#
# Environment: JAVA (default: java), BENCH_WORK_DIR (default: a new temp dir),
# LOADGEN_JAVA_OPTS (default: -Xmx4g; the request pools are pre-encoded in memory).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

build=1
quick=0
jmh=0
suite=1
args=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    --quick) quick=1; args+=("--quick") ;;
    --jmh) jmh=1 ;;
    --jmh-only) jmh=1; suite=0 ;;
    -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
    *) args+=("$a") ;;
  esac
done

java_bin="${JAVA:-java}"
bench_jar="gateway-bench/target/benchmarks.jar"
gateway_jar="gateway-app/target/gateway.jar"

if [ "$build" = 1 ]; then
  echo "== build: ./mvnw -q -B -DskipTests package"
  ./mvnw -q -B -DskipTests package
fi
for f in "$bench_jar" "$gateway_jar"; do
  [ -f "$f" ] || { echo "missing $f: build first (drop --no-build)" >&2; exit 2; }
done

work="${BENCH_WORK_DIR:-$(mktemp -d -t gateway-bench-XXXXXX)}"
mkdir -p "$work"
echo "== work dir: $work"
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (other processes make figures noisy)"

if [ "$suite" = 1 ]; then
  # shellcheck disable=SC2086
  "$java_bin" ${LOADGEN_JAVA_OPTS:--Xmx4g} -Dfixtures.dir="$root/src-test-fixtures/captures/claude-code" \
    -cp "$bench_jar" io.ccotel.gateway.bench.LoadGen suite --jar "$gateway_jar" --work-dir "$work" ${args[@]+"${args[@]}"}
fi

if [ "$jmh" = 1 ]; then
  echo "== JMH (short settings: -wi 2 -i 3 -f 1 -w 2s -r 3s); results also in $work/jmh.txt"
  if [ "$quick" = 1 ]; then
    jmh_args=(-wi 1 -i 2 -f 1 -w 1s -r 2s)
  else
    jmh_args=(-wi 2 -i 3 -f 1 -w 2s -r 3s)
  fi
  "$java_bin" -Dfixtures.dir="$root/src-test-fixtures/captures/claude-code" -Djava.io.tmpdir="$work" \
    -jar "$bench_jar" "${jmh_args[@]}" -rf text -rff "$work/jmh.txt" | grep --line-buffered -E '^(Benchmark|[A-Z][A-Za-z]+Benchmark\.|\[|# Run progress)' || true
  echo "== JMH results: $work/jmh.txt"
fi

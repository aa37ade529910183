#!/usr/bin/env bash
# Broker benchmark (issue #3): velocity-broker driven by librdkafka (velocity_broker_bench),
# 1 KiB messages, acks=all, with --durability sync and none, against the loopback TCP limit
# measured in the same run. Prints a table of medians and ratios, writes
# bench/reports/<date>-broker.md and the raw figures as <date>-broker.csv beside it.
# Usage: bench/broker/run_broker_bench.sh [build-dir]   (knobs: see "Knobs" below)
set -euo pipefail

build=${1:-build}
bench_bin=$build/bin/velocity_broker_bench
broker_bin=$build/bin/velocity-broker
for binary in "$bench_bin" "$broker_bin"; do
  [ -x "$binary" ] || { echo "broker bench: $binary is missing; build with -DVELOCITY_BENCH=ON" >&2; exit 1; }
done

# Knobs. The defaults keep the whole run near five minutes on two cores.
reps=${VELOCITY_BENCH_REPS:-3}                         # repetitions of every measurement
warmup=${VELOCITY_BENCH_WARMUP_SECONDS:-10}            # pipelined produce before measuring
latency_seconds=${VELOCITY_BENCH_LATENCY_SECONDS:-5}   # one-in-flight producer, per repetition
seconds=${VELOCITY_BENCH_SECONDS:-8}                   # pipelined producer, per repetition
loopback_seconds=${VELOCITY_BENCH_LOOPBACK_SECONDS:-2}
consume_max=${VELOCITY_BENCH_CONSUME_MESSAGES:-500000} # backlog read per consume repetition
partitions=${VELOCITY_BENCH_PARTITIONS:-8}
memory_partitions=${VELOCITY_BENCH_MEMORY_PARTITIONS:-100}
memory_clients=${VELOCITY_BENCH_MEMORY_CLIENTS:-50}
message_bytes=1024
data=${VELOCITY_BENCH_DIR:-$build/bench-data}/broker
report_dir=${VELOCITY_BENCH_REPORT_DIR:-$(dirname "$(dirname "$0")")/reports}

# Broker on core 1, clients on core 0, so neither steals the other's CPU.
server_pin=()
client_pin=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_pin=(taskset -c 1)
  client_pin=(taskset -c 0)
fi
clock_ticks=$(getconf CLK_TCK)

broker_pid=""
stop_broker() {
  [ -n "$broker_pid" ] || return 0
  kill -TERM "$broker_pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=""
}
trap 'stop_broker; rm -rf "$data"' EXIT
trap 'exit 130' INT TERM

rm -rf "$data"
mkdir -p "$data" "$report_dir"
stamp=$(date +%Y-%m-%d)
csv=$report_dir/$stamp-broker.csv
report=$report_dir/$stamp-broker.md
echo "scenario,mode,rep,metric,value" >"$csv"

# start_broker LABEL DURABILITY: a fresh broker on a free port; sets broker_pid and bootstrap.
start_broker() {
  local label=$1 durability=$2 port
  port=$("$bench_bin" free-port)
  mkdir -p "$data/$label"
  "${server_pin[@]}" "$broker_bin" --listen "127.0.0.1:$port" --data-dir "$data/$label" \
    --durability "$durability" --auto-create-topics false --log-level warn >"$data/$label.log" 2>&1 &
  broker_pid=$!
  bootstrap=127.0.0.1:$port
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "broker bench: velocity-broker did not start; its log:" >&2
  cat "$data/$label.log" >&2
  exit 1
}

broker_cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$broker_pid/stat"; }
broker_peak_mib() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$broker_pid/status"; }

# record SCENARIO MODE REP KEY=VALUE...: appends figures to the CSV.
record() {
  local scenario=$1 mode=$2 rep=$3 pair
  shift 3
  for pair in "$@"; do echo "$scenario,$mode,$rep,${pair%%=*},${pair#*=}" >>"$csv"; done
}

# measure SCENARIO MODE REP ARGS...: one client run pinned to the client core; records its
# figures and the broker's CPU use over the same interval.
measure() {
  local scenario=$1 mode=$2 rep=$3 line ticks_before ticks_after started finished
  shift 3
  ticks_before=$(broker_cpu_ticks)
  started=$(date +%s.%N)
  line=$(timeout 600 "${client_pin[@]}" "$bench_bin" "$@")
  finished=$(date +%s.%N)
  ticks_after=$(broker_cpu_ticks)
  # shellcheck disable=SC2086  # the line is key=value words by construction
  record "$scenario" "$mode" "$rep" $line \
    "broker_cpu_pct=$(awk -v t="$((ticks_after - ticks_before))" -v hz="$clock_ticks" -v a="$started" -v b="$finished" \
      'BEGIN { printf "%.1f", 100 * t / hz / (b - a) }')"
  printf '  %-22s %-5s rep %s: %s\n' "$scenario" "$mode" "$rep" "$line"
}

# The 1-minute load average before and after: on a shared machine it says how much of the two
# cores other work took, which the CPU columns of the table show per process.
record machine - 1 "loadavg_start=$(cut -d' ' -f1 /proc/loadavg)"

echo "== Broker (bench/broker): loopback baseline"
for rep in $(seq "$reps"); do
  for chunk in 65536 1024; do
    line=$("$bench_bin" loopback --chunk-bytes "$chunk" --seconds "$loopback_seconds")
    # shellcheck disable=SC2086
    record "loopback_$chunk" - "$rep" $line
    printf '  %-22s rep %s: %s\n' "loopback_$chunk" "$rep" "$line"
  done
done

for durability in sync none; do
  echo "== Broker: --durability $durability, $partitions partitions, ${message_bytes}-byte messages, acks=all"
  start_broker "$durability" "$durability"
  "$bench_bin" create-topic --bootstrap "$bootstrap" --topic bench --partitions "$partitions"
  target=(--bootstrap "$bootstrap" --topic bench --partitions "$partitions")
  "${client_pin[@]}" "$bench_bin" produce-throughput "${target[@]}" --seconds "$warmup" >/dev/null
  for rep in $(seq "$reps"); do
    measure produce_latency "$durability" "$rep" produce-latency "${target[@]}" --seconds "$latency_seconds"
  done
  for rep in $(seq "$reps"); do
    measure produce_throughput "$durability" "$rep" produce-throughput "${target[@]}" --seconds "$seconds"
  done
  for rep in $(seq "$reps"); do
    measure consume "$durability" "$rep" consume "${target[@]}" --max-messages "$consume_max"
  done
  record peak_memory "$durability" 1 "vmhwm_mib=$(broker_peak_mib)"
  stop_broker
done

echo "== Broker: --durability sync, $memory_partitions partitions, $memory_clients producer clients"
start_broker memory sync
"$bench_bin" create-topic --bootstrap "$bootstrap" --topic bench --partitions "$memory_partitions"
for rep in $(seq "$reps"); do
  measure many_clients sync "$rep" produce-throughput --bootstrap "$bootstrap" --topic bench \
    --partitions "$memory_partitions" --producers "$memory_clients" --seconds "$seconds"
done
record peak_memory many_clients 1 "vmhwm_mib=$(broker_peak_mib)"
stop_broker
record machine - 1 "loadavg_end=$(cut -d' ' -f1 /proc/loadavg)"

"$(dirname "$0")/summarize_broker_bench.sh" "$csv" "$report" \
  "reps=$reps warmup=${warmup}s latency=${latency_seconds}s throughput=${seconds}s consume=${consume_max} msgs" \
  "$memory_partitions" "$memory_clients"

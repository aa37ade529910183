#!/usr/bin/env bash
# Turns the raw CSV of run_broker_bench.sh (scenario,mode,rep,metric,value) into the printed
# table of medians, spreads and ratios, and writes the Markdown report that links the CSV.
# Usage: summarize_broker_bench.sh CSV REPORT SETTINGS MEMORY_PARTITIONS MEMORY_CLIENTS
set -euo pipefail
csv=$1
report=$2
settings=$3
memory_partitions=$4
memory_clients=$5

# One line per scenario/mode/metric: median, min, max, count.
stats=$(awk -F, 'NR > 1 { key = $1 "," $2 "," $4; values[key] = values[key] " " $5 }
  END {
    for (key in values) {
      n = split(substr(values[key], 2), v, " ")
      for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] + 0 > x + 0; j--) v[j + 1] = v[j]; v[j + 1] = x }
      median = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
      printf "%s,%s,%s,%s,%d\n", key, median, v[1], v[n], n
    }
  }' "$csv" | sort)

# get SCENARIO MODE METRIC [FIELD]: FIELD 4 = median (default), 5 = min, 6 = max.
get() {
  awk -F, -v s="$1" -v m="$2" -v k="$3" -v f="${4:-4}" '$1 == s && $2 == m && $3 == k { print $f; found = 1 }
    END { if (!found) print "nan" }' <<<"$stats"
}
# spread SCENARIO MODE METRIC: (max - min) / median in percent.
spread() {
  awk -v a="$(get "$1" "$2" "$3" 5)" -v b="$(get "$1" "$2" "$3" 6)" -v m="$(get "$1" "$2" "$3")" \
    'BEGIN { if (m + 0 == 0) print "-"; else printf "%.0f%%", 100 * (b - a) / m }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.3f", a / b }'; }

# whole SCENARIO MODE METRIC: the median rounded, or "-" where it was not measured.
whole() { awk -v v="$(get "$1" "$2" "$3")" 'BEGIN { if (v == "nan") print "-"; else printf "%.0f", v }'; }

row() {  # LABEL SCENARIO MODE
  local label=$1 s=$2 m=$3
  printf '%-36s %10.0f %8.1f %7s %9s %9s %9s %7s %7s\n' "$label" \
    "$(get "$s" "$m" msgs_per_s)" "$(get "$s" "$m" mb_per_s)" "$(spread "$s" "$m" msgs_per_s)" \
    "$(whole "$s" "$m" p50_us)" "$(whole "$s" "$m" p99_us)" "$(whole "$s" "$m" p999_us)" \
    "$(whole "$s" "$m" broker_cpu_pct)" "$(whole "$s" "$m" client_cpu_pct)"
}

loop_big=$(get loopback_65536 - mb_per_s)
loop_small_writes=$(get loopback_1024 - writes_per_s)
table=$(
  reps=$(get produce_throughput sync msgs_per_s 7)
  echo "medians of $reps runs; spread = (max - min) / median of msgs/s; MB = 10^6 payload bytes;"
  echo "latency = produce call to ack, one message in flight; CPU in % of one core"
  printf '%-36s %10s %8s %7s %9s %9s %9s %7s %7s\n' workload msgs/s MB/s spread "p50 us" "p99 us" \
    "p99.9 us" broker client
  printf '%-36s %10.0f %8.1f %7s\n' "loopback TCP, 64 KiB writes" "$(get loopback_65536 - writes_per_s)" \
    "$loop_big" "$(spread loopback_65536 - mb_per_s)"
  printf '%-36s %10.0f %8.1f %7s\n' "loopback TCP, 1 KiB writes" "$loop_small_writes" \
    "$(get loopback_1024 - mb_per_s)" "$(spread loopback_1024 - mb_per_s)"
  row "produce 1 in flight, sync" produce_latency sync
  row "produce 1 in flight, no-sync" produce_latency none
  row "produce pipelined, sync" produce_throughput sync
  row "produce pipelined, no-sync" produce_throughput none
  row "consume backlog, sync broker" consume sync
  row "consume backlog, no-sync broker" consume none
  row "produce $memory_clients clients, $memory_partitions parts, sync" many_clients sync
  echo
  echo "broker peak RSS (VmHWM): sync run $(get peak_memory sync vmhwm_mib) MiB, no-sync run" \
    "$(get peak_memory none vmhwm_mib) MiB, $memory_clients clients x $memory_partitions partitions" \
    "$(get peak_memory many_clients vmhwm_mib) MiB (goal < 200 MiB)"
  echo "machine load average (1 min, $(nproc) cores): $(get machine - loadavg_start) at start," \
    "$(get machine - loadavg_end) at end"
  echo
  echo "ratios (same run):"
  printf '  %-58s sync %6s   no-sync %6s\n' \
    "pipelined produce MB/s / loopback 64 KiB MB/s" \
    "$(ratio "$(get produce_throughput sync mb_per_s)" "$loop_big")" \
    "$(ratio "$(get produce_throughput none mb_per_s)" "$loop_big")"
  printf '  %-58s sync %6s   no-sync %6s\n' \
    "pipelined produce msgs/s / loopback 1 KiB writes/s" \
    "$(ratio "$(get produce_throughput sync msgs_per_s)" "$loop_small_writes")" \
    "$(ratio "$(get produce_throughput none msgs_per_s)" "$loop_small_writes")"
  printf '  %-58s sync %6s   no-sync %6s\n' \
    "consume MB/s / loopback 64 KiB MB/s" \
    "$(ratio "$(get consume sync mb_per_s)" "$loop_big")" \
    "$(ratio "$(get consume none mb_per_s)" "$loop_big")"
  printf '  %-58s %6s\n' "durable / no-sync, pipelined produce msgs/s" \
    "$(ratio "$(get produce_throughput sync msgs_per_s)" "$(get produce_throughput none msgs_per_s)")"
  printf '  %-58s %6s\n' "durable / no-sync, 1-in-flight msgs/s" \
    "$(ratio "$(get produce_latency sync msgs_per_s)" "$(get produce_latency none msgs_per_s)")"
  printf '  %-58s %6s\n' "durable / no-sync, ack latency p50" \
    "$(ratio "$(get produce_latency sync p50_us)" "$(get produce_latency none p50_us)")"
  printf '  %-58s %6s\n' "durable / no-sync, ack latency p99" \
    "$(ratio "$(get produce_latency sync p99_us)" "$(get produce_latency none p99_us)")"
  printf '  %-58s %6s\n' "$memory_clients clients x $memory_partitions partitions / 1 client x 8, sync msgs/s" \
    "$(ratio "$(get many_clients sync msgs_per_s)" "$(get produce_throughput sync msgs_per_s)")"
)
echo "$table"

{
  echo "# Broker benchmark, $(date +%Y-%m-%d)"
  echo
  echo "velocity-broker driven by librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo '?')" \
    "(\`velocity_broker_bench\`), 1 topic, 1 KiB messages, acks=all; broker pinned to core 1," \
    "clients to core 0 ($(nproc) cores, Linux $(uname -r)). Settings: $settings."
  echo "Command: \`make bench\` (this part alone: \`bench/broker/run_broker_bench.sh [build-dir]\`)."
  echo "Raw figures, one line per repetition and metric: [$(basename "$csv")]($(basename "$csv"))."
  echo
  echo '```'
  echo "$table"
  echo '```'
  echo
  echo "All metrics (median, min, max over the repetitions):"
  echo
  echo "| scenario | mode | metric | median | min | max | runs |"
  echo "|---|---|---|---|---|---|---|"
  awk -F, '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' <<<"$stats"
} >"$report"
echo "report: $report"

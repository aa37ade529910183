#!/usr/bin/env python3
"""Turns the raw CSV of bench/peers/run into <out>.md (tables of medians and ratios, goals)
and <out>-*.svg charts. Python standard library only."""
import argparse
import csv
import datetime
import math
import os
import statistics
from collections import defaultdict

SYSTEMS = [
    # id, label, durable (fsync before ack)
    ("velocity-sync", "velocity-broker, --durability sync", True),
    ("redis-always", "Redis, AOF appendfsync always", True),
    ("velocity-none", "velocity-broker, --durability none", False),
    ("redis-everysec", "Redis, AOF appendfsync everysec", False),
    ("redis-noaof", "Redis, no AOF (memory only)", False),
    ("nats-file", "NATS JetStream, file store (no per-message fsync)", False),
]
LABEL = {s: label for s, label, _ in SYSTEMS}
DURABLE = {s: durable for s, _, durable in SYSTEMS}
COLOR = {"velocity-sync": "#1f5fbf", "velocity-none": "#6fa8ff", "redis-always": "#b22222",
         "redis-everysec": "#e8735a", "redis-noaof": "#f4b6a6", "nats-file": "#2e8b57"}
PERCENTILES = [("p50", 50), ("p90", 90), ("p99", 99), ("p999", 99.9), ("p9999", 99.99)]


class Figures:
    def __init__(self, path):
        self.values = defaultdict(list)
        self.systems, self.partitions = [], []
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                key = (row["system"], row["partitions"], row["workload"], row["metric"])
                self.values[key].append(float(row["value"]))
                if row["system"] in LABEL and row["system"] not in self.systems:
                    self.systems.append(row["system"])
                if row["partitions"] not in ("-",) and row["partitions"] not in self.partitions:
                    self.partitions.append(row["partitions"])
        self.systems.sort(key=lambda s: [x for x, _, _ in SYSTEMS].index(s))

    def all(self, system, partitions, workload, metric):
        return self.values.get((system, str(partitions), workload, metric), [])

    def median(self, system, partitions, workload, metric):
        v = self.all(system, partitions, workload, metric)
        return statistics.median(v) if v else None

    def spread(self, system, partitions, workload, metric):
        v = self.all(system, partitions, workload, metric)
        if len(v) < 2 or not statistics.median(v):
            return None
        return (max(v) - min(v)) / statistics.median(v)


def fmt(value, digits=0):
    if value is None:
        return "–"
    if digits == 0:
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.{digits}f}"


def pct(value):
    return "–" if value is None else f"{100 * value:.0f} %"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def rfmt(value):
    return "–" if value is None else f"{value:.2f}×"


def raw_sync_mb_per_s(fig, batch):
    """Raw write+fdatasync MB/s at `batch` bytes per sync, log-interpolated between sizes."""
    points = []
    for (system, _, workload, metric), _ in fig.values.items():
        if system == "limits" and workload == "disk" and metric.startswith("fsync_") and metric.endswith("_mb_per_s"):
            size = int(metric.split("_")[1])
            points.append((size, fig.median("limits", "-", "disk", metric)))
    points.sort()
    if not points or batch is None:
        return None
    if batch <= points[0][0]:
        return points[0][1] * batch / points[0][0]  # one sync per batch: bandwidth scales with size
    for (s0, v0), (s1, v1) in zip(points, points[1:]):
        if s0 <= batch <= s1:
            t = math.log(batch / s0) / math.log(s1 / s0)
            return v0 + t * (v1 - v0)
    return points[-1][1]


def bytes_per_sync(fig, system, partitions):
    """Payload bytes per fsync/fdatasync of the server during pipelined produce (perf counts)."""
    messages = fig.all(system, partitions, "pipelined", "messages")
    syncs = fig.all(system, partitions, "pipelined", "server_syncs")
    per = [m * 1024 / n for m, n in zip(messages, syncs) if n]
    return statistics.median(per) if per else None


def saturated(fig, system, partitions, rate_seconds):
    """A majority of the fixed-rate repetitions fell behind: the server more than 0.5 s of
    messages behind (flag), or the client sent under 95 % of the messages due."""
    flags = fig.all(system, partitions, "rate", "saturated")
    sent = fig.all(system, partitions, "rate", "sent")
    target = fig.all(system, partitions, "rate", "rate_target")
    behind = 0
    for i, flag in enumerate(flags):
        due = target[i] * rate_seconds if i < len(target) and rate_seconds else 0
        if flag >= 0.5 or (due and i < len(sent) and sent[i] < 0.95 * due):
            behind += 1
    return behind * 2 > len(flags)


# ---------------------------------------------------------------- SVG
def nice_step(raw):
    """1, 2 or 5 times a power of ten, at least `raw`."""
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def svg_bars(path, title, unit, groups, systems, values, errors):
    """Grouped vertical bars: groups x systems; values[(g, s)] with errors[(g, s)] = (lo, hi)."""
    width, height, left, bottom, top = 900, 420, 95, 70, 40
    top_value = max([errors.get(k, (0, v))[1] or 0 for k, v in values.items() if v] + [1])
    step = nice_step(top_value / 5)
    vmax = step * math.ceil(top_value / step)
    plot_w, plot_h = width - left - 20, height - top - bottom
    gw = plot_w / max(len(groups), 1)
    bw = gw * 0.8 / max(len(systems), 1)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 20 * len(systems)}" font-family="sans-serif" font-size="12">',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="15">{title}</text>']
    ticks = round(vmax / step)
    for i in range(ticks + 1):
        v = step * i
        y = top + plot_h - plot_h * v / vmax
        out.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{fmt(v)}</text>')
    out.append(f'<text x="15" y="{top + plot_h / 2}" transform="rotate(-90 15 {top + plot_h / 2})" text-anchor="middle">{unit}</text>')
    for gi, group in enumerate(groups):
        x0 = left + gi * gw + gw * 0.1
        out.append(f'<text x="{left + gi * gw + gw / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{group}</text>')
        for si, system in enumerate(systems):
            v = values.get((group, system))
            if not v:
                continue
            x = x0 + si * bw
            h = plot_h * v / vmax
            out.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bw * 0.9:.1f}" height="{h:.1f}" fill="{COLOR.get(system, "#888")}"><title>{LABEL.get(system, system)}: {fmt(v)}</title></rect>')
            lo, hi = errors.get((group, system), (v, v))
            cx = x + bw * 0.45
            out.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{top + plot_h - plot_h * lo / vmax:.1f}" y2="{top + plot_h - plot_h * hi / vmax:.1f}" stroke="#000"/>')
    for si, system in enumerate(systems):
        y = height + 20 * si - 10
        out.append(f'<rect x="{left}" y="{y - 10}" width="12" height="12" fill="{COLOR.get(system, "#888")}"/>')
        out.append(f'<text x="{left + 18}" y="{y}">{LABEL.get(system, system)}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def svg_curves(path, title, series):
    """Latency percentile curves, log-log: series = [(name, color, dash, [(q, us)...])]."""
    width, height, left, bottom, top = 900, 460, 80, 50, 40
    plot_w, plot_h = width - left - 240, height - top - bottom
    xs = [math.log10(1 / (1 - q / 100)) for _, q in PERCENTILES]
    ys = [us for _, _, _, pts in series for _, us in pts if us and us > 0]
    if not ys:
        with open(path, "w") as f:
            f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60" font-family="sans-serif" '
                    f'font-size="14"><text x="10" y="35">{title}: no run kept the rate</text></svg>\n')
        return
    y_lo = 10 ** math.floor(math.log10(min(ys)))
    y_hi = 10 ** math.ceil(math.log10(max(ys)))
    def px(x):
        return left + plot_w * (x - xs[0]) / (xs[-1] - xs[0])
    def py(us):
        return top + plot_h - plot_h * (math.log10(us) - math.log10(y_lo)) / (math.log10(y_hi) - math.log10(y_lo))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<text x="{left + plot_w / 2}" y="20" text-anchor="middle" font-size="15">{title}</text>']
    decade = y_lo
    while decade <= y_hi * 1.001:
        y = py(decade)
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        label = f"{decade / 1000:g} ms" if decade >= 1000 else f"{decade:g} µs"
        out.append(f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
        decade *= 10
    for (name, q), x in zip(PERCENTILES, xs):
        out.append(f'<line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{top}" y2="{top + plot_h}" stroke="#eee"/>')
        out.append(f'<text x="{px(x):.1f}" y="{top + plot_h + 18}" text-anchor="middle">p{q:g}</text>')
    for i, (name, color, dash, pts) in enumerate(series):
        coords = [(px(math.log10(1 / (1 - q / 100))), py(us)) for q, us in pts if us and us > 0]
        if coords:
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2" stroke-dasharray="{dash}"/>')
        ly = top + 10 + 18 * i
        out.append(f'<line x1="{left + plot_w + 15}" x2="{left + plot_w + 40}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="2" stroke-dasharray="{dash}"/>')
        out.append(f'<text x="{left + plot_w + 45}" y="{ly + 4}">{name}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# ---------------------------------------------------------------- report
def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", required=True)
    parser.add_argument("--out", required=True, help="path prefix: <out>.md, <out>-*.svg")
    parser.add_argument("--settings", default="")
    parser.add_argument("--rate", type=float, default=50000, help="messages/s of workload (c)")
    parser.add_argument("--rate-seconds", type=float, default=0,
                        help="recorded seconds of a fixed-rate run: fewer messages sent than due means saturated")
    args = parser.parse_args()
    fig = Figures(args.csv)
    base = os.path.basename(args.out)
    parts = fig.partitions
    md = []
    w = md.append
    load0 = fig.median("machine", "-", "-", "loadavg_start")
    load1 = fig.median("machine", "-", "-", "loadavg_end")
    w(f"# velocity-broker beside Redis Streams, NATS JetStream and the machine's limits ({datetime.date.today()})\n")
    w("Produced by `bench/peers/run` (raw figures: "
      f"[{base}.csv]({base}.csv)). Settings: {args.settings}. 1 KiB messages, 1 topic (Kafka) or "
      "1 stream per partition (Redis keys `bench-<i>`, JetStream streams on `bench.<i>`). Servers pinned "
      "to core 1, clients to core 0; every figure is the median of the repetitions, spread = "
      "(max − min) / median. CPU in % of one core, server from /proc/PID/stat, client from getrusage.\n")
    w(f"**Shared, loaded machine**: {fig.median('machine', '-', '-', 'cores') and int(fig.median('machine', '-', '-', 'cores'))} "
      f"vCPUs shared with other engineers' builds; 1-minute load average {fmt(load0, 2)} at the start, "
      f"{fmt(load1, 2)} at the end. Compare the ratios, which were measured in the same run, not "
      "the absolute figures.\n")
    w("Clients: librdkafka (velocity-broker, acks=all, linger.ms=5 pipelined / 0 one-by-one / 1 at a "
      "fixed rate), hiredis pipelined on one non-blocking connection (Redis, XADD, up to 1024 "
      "in flight), nats.c `js_PublishAsync` with 1024 pending (JetStream publish acks). NATS "
      "2.9.10 from Debian cannot fsync per message, so it is compared only with no-sync modes.\n")

    # Limits
    w("## Physical limits (same run)\n")
    w("| limit | MB/s | syncs/s |\n|---|---:|---:|")
    sizes = sorted({int(m.split("_")[1]) for (s, _, wl, m) in fig.values if s == "limits" and wl == "disk" and m.startswith("fsync_")})
    for size in sizes:
        for kind, label in (("fsync", "write + fdatasync"), ("direct", "O_DIRECT write + fdatasync")):
            w(f"| {label}, {size // 1024} KiB per sync | {fmt(fig.median('limits', '-', 'disk', f'{kind}_{size}_mb_per_s'), 1)} | "
              f"{fmt(fig.median('limits', '-', 'disk', f'{kind}_{size}_syncs_per_s'))} |")
    loop128 = fig.median("limits", "-", "loopback_128K", "mb_per_s")
    loop1k = fig.median("limits", "-", "loopback_1K", "mb_per_s")
    memcpy = fig.median("limits", "-", "disk", "memcpy_mb_per_s")
    w(f"| loopback TCP, iperf3, 128 KiB writes | {fmt(loop128, 1)} | |")
    w(f"| loopback TCP, iperf3, 1 KiB writes | {fmt(loop1k, 1)} | |")
    w(f"| memcpy, 1 MiB blocks | {fmt(memcpy, 1)} | |\n")
    durable = [fig.median("limits", "-", "disk", f"rate_durable_{q}_us") for q in ("p50", "p99", "p999")]
    if durable[0] is not None:
        w(f"Durable latency at the fixed rate (c), the floor for its acks=all goal: messages written "
          f"at {fmt(args.rate)} msg/s into a pre-written file while one thread fdatasyncs in a loop, "
          f"from each write to the end of the first fdatasync after it, no broker and no network: "
          f"p50 / p99 / p99.9 = {' / '.join(fmt(v) for v in durable)} µs.\n")

    # (a)
    w("## (a) Produce throughput, pipelined\n")
    w("| system | partitions | msgs/s | MB/s | spread | server CPU | client CPU | KiB per fsync |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    for s in fig.systems:
        for p in parts:
            mb = fig.median(s, p, "pipelined", "mb_per_s")
            per_sync = bytes_per_sync(fig, s, p)
            per_sync = per_sync / 1024 if per_sync else None
            w(f"| {LABEL[s]} | {p} | {fmt(fig.median(s, p, 'pipelined', 'msgs_per_s'))} | {fmt(mb, 1)} | "
              f"{pct(fig.spread(s, p, 'pipelined', 'msgs_per_s'))} | {fmt(fig.median(s, p, 'pipelined', 'server_cpu_pct'))} | "
              f"{fmt(fig.median(s, p, 'pipelined', 'client_cpu_pct'))} | {fmt(per_sync)} |")
    w("")
    w("Ratios of pipelined produce msgs/s (velocity ÷ peer; > 1 means velocity is faster):\n")
    w("| ratio | " + " | ".join(f"{p} partition(s)" for p in parts) + " |\n|---|" + "---:|" * len(parts))
    pairs = [("velocity-sync", "redis-always"), ("velocity-sync", "redis-everysec"),
             ("velocity-none", "nats-file"), ("velocity-none", "redis-noaof"),
             ("velocity-none", "redis-everysec"), ("velocity-sync", "velocity-none")]
    for a, b in pairs:
        if a in fig.systems and b in fig.systems:
            w(f"| {a} ÷ {b} | " + " | ".join(rfmt(ratio(fig.median(a, p, 'pipelined', 'msgs_per_s'), fig.median(b, p, 'pipelined', 'msgs_per_s'))) for p in parts) + " |")
    for s in ("velocity-sync", "velocity-none"):
        if s in fig.systems:
            w(f"| {s} MB/s ÷ loopback TCP 128 KiB | " + " | ".join(rfmt(ratio(fig.median(s, p, 'pipelined', 'mb_per_s'), loop128)) for p in parts) + " |")
    raw_at = {}
    if "velocity-sync" in fig.systems:
        cells = []
        for p in parts:
            mb = fig.median("velocity-sync", p, "pipelined", "mb_per_s")
            batch = bytes_per_sync(fig, "velocity-sync", p)
            raw_at[p] = (batch, raw_sync_mb_per_s(fig, batch))
            cells.append(rfmt(ratio(mb, raw_at[p][1])) + (f" (at {batch / 1024:.0f} KiB)" if batch else ""))
        w("| velocity-sync MB/s ÷ raw write+fdatasync MB/s at the same bytes per sync | " + " | ".join(cells) + " |")
    w("")

    # Charts
    groups = [f"{p} partition(s)" for p in parts]
    values, errors = {}, {}
    for p, g in zip(parts, groups):
        for s in fig.systems:
            v = fig.all(s, p, "pipelined", "msgs_per_s")
            if v:
                values[(g, s)] = statistics.median(v)
                errors[(g, s)] = (min(v), max(v))
    svg_bars(f"{args.out}-produce.svg", "(a) pipelined produce, 1 KiB messages (median, min–max)", "messages/s", groups, fig.systems, values, errors)
    w(f"![pipelined produce throughput]({base}-produce.svg)\n")

    # (b)
    w("## (b) One synchronous producer: ack latency\n")
    w("| system | partitions | msgs/s | p50 µs | p99 µs | p99.9 µs | spread p50 | server CPU | client CPU |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in fig.systems:
        for p in parts:
            m = lambda k: fig.median(s, p, "one-by-one", k)
            w(f"| {LABEL[s]} | {p} | {fmt(m('msgs_per_s'))} | {fmt(m('p50_us'))} | {fmt(m('p99_us'))} | {fmt(m('p999_us'))} | "
              f"{pct(fig.spread(s, p, 'one-by-one', 'p50_us'))} | {fmt(m('server_cpu_pct'))} | {fmt(m('client_cpu_pct'))} |")
    w("\nLatency ratios (velocity ÷ peer; < 1 means velocity answers sooner), p50 / p99:\n")
    w("| ratio | " + " | ".join(f"{p} partition(s)" for p in parts) + " |\n|---|" + "---:|" * len(parts))
    for a, b in pairs[:5]:
        if a in fig.systems and b in fig.systems:
            w(f"| {a} ÷ {b} | " + " | ".join(
                f"{rfmt(ratio(fig.median(a, p, 'one-by-one', 'p50_us'), fig.median(b, p, 'one-by-one', 'p50_us')))} / "
                f"{rfmt(ratio(fig.median(a, p, 'one-by-one', 'p99_us'), fig.median(b, p, 'one-by-one', 'p99_us')))}" for p in parts) + " |")
    dashes = {parts[0]: "", parts[-1]: "6,3"} if parts else {}
    series = []
    for s in fig.systems:
        for p in parts:
            pts = [(q, fig.median(s, p, "one-by-one", f"{name}_us")) for name, q in PERCENTILES]
            series.append((f"{s}, {p} p", COLOR[s], dashes.get(p, ""), pts))
    svg_curves(f"{args.out}-ack-latency.svg", "(b) one message in flight: ack latency percentiles", series)
    w(f"\n![ack latency percentiles]({base}-ack-latency.svg)\n")

    # (c)
    rate_target = next((fig.median(s, p, "rate", "rate_target") for s in fig.systems for p in parts if fig.median(s, p, "rate", "rate_target")), None)
    w(f"## (c) Fixed rate {fmt(rate_target)} msg/s: latency from scheduled send time\n")
    w("Measured from each message's scheduled send time, so a stalled client or server is charged for "
      "every message it delayed (no coordinated omission). ack = producer's ack; e2e = a consumer "
      "reading along received it.\n")
    w("A repetition is *saturated* when the server falls more than 0.5 s of messages behind the "
      "schedule (the run then stops sending) or the client sends under 95 % of the messages due; "
      "where most repetitions are, the table shows the rate that was acked instead of latencies.\n")
    w("| system | partitions | kept the rate | received | ack p50 µs | ack p99 µs | ack p99.9 µs | e2e p50 µs | e2e p99 µs | e2e p99.9 µs | server CPU | client CPU |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in fig.systems:
        for p in parts:
            m = lambda k: fig.median(s, p, "rate", k)
            if m("saturated") is None:
                continue
            if saturated(fig, s, p, args.rate_seconds):
                w(f"| {LABEL[s]} | {p} | no: saturated at {fmt(m('acked_per_s'))} msg/s | – | – | – | – | – | – | – | {fmt(m('server_cpu_pct'))} | {fmt(m('client_cpu_pct'))} |")
                continue
            got = ratio(m("received"), m("sent"))
            w(f"| {LABEL[s]} | {p} | yes | {pct(got)} | {fmt(m('ack_p50_us'))} | {fmt(m('ack_p99_us'))} | {fmt(m('ack_p999_us'))} | "
              f"{fmt(m('e2e_p50_us'))} | {fmt(m('e2e_p99_us'))} | {fmt(m('e2e_p999_us'))} | {fmt(m('server_cpu_pct'))} | {fmt(m('client_cpu_pct'))} |")
    w("\nLatency ratios at the fixed rate (velocity ÷ peer), e2e p50 / e2e p99:\n")
    w("| ratio | " + " | ".join(f"{p} partition(s)" for p in parts) + " |\n|---|" + "---:|" * len(parts))
    def rate_ratio(a, b, p, key):
        if saturated(fig, a, p, args.rate_seconds) or saturated(fig, b, p, args.rate_seconds):
            return "saturated"
        return rfmt(ratio(fig.median(a, p, "rate", key), fig.median(b, p, "rate", key)))
    for a, b in pairs[:5]:
        if a in fig.systems and b in fig.systems:
            w(f"| {a} ÷ {b} | " + " | ".join(
                f"{rate_ratio(a, b, p, 'e2e_p50_us')} / {rate_ratio(a, b, p, 'e2e_p99_us')}" for p in parts) + " |")
    series = []
    for s in fig.systems:
        for p in parts:
            if saturated(fig, s, p, args.rate_seconds):
                continue
            pts = [(q, fig.median(s, p, "rate", f"e2e_{name}_us")) for name, q in PERCENTILES]
            series.append((f"{s}, {p} p", COLOR[s], dashes.get(p, ""), pts))
    svg_curves(f"{args.out}-e2e-latency.svg", f"(c) {fmt(rate_target)} msg/s: end-to-end latency percentiles", series)
    w(f"\n![end-to-end latency percentiles]({base}-e2e-latency.svg)\n")

    # (d)
    w("## (d) Consuming a backlog\n")
    w("The backlog is written first by the pipelined producer (its rate is the *fill* column), then "
      "read from the first message by one consumer, repeatedly.\n")
    w("| system | partitions | backlog msgs | fill msgs/s | consume msgs/s | consume MB/s | spread | server CPU | client CPU |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in fig.systems:
        for p in parts:
            m = lambda k: fig.median(s, p, "consume", k)
            w(f"| {LABEL[s]} | {p} | {fmt(m('messages'))} | {fmt(fig.median(s, p, 'fill', 'msgs_per_s'))} | {fmt(m('msgs_per_s'))} | {fmt(m('mb_per_s'), 1)} | "
              f"{pct(fig.spread(s, p, 'consume', 'msgs_per_s'))} | {fmt(m('server_cpu_pct'))} | {fmt(m('client_cpu_pct'))} |")
    w("\nRatios of consume MB/s:\n")
    w("| ratio | " + " | ".join(f"{p} partition(s)" for p in parts) + " |\n|---|" + "---:|" * len(parts))
    for a, b in pairs[:5]:
        if a in fig.systems and b in fig.systems:
            w(f"| {a} ÷ {b} | " + " | ".join(rfmt(ratio(fig.median(a, p, 'consume', 'mb_per_s'), fig.median(b, p, 'consume', 'mb_per_s'))) for p in parts) + " |")
    for s in ("velocity-sync", "velocity-none"):
        if s in fig.systems:
            w(f"| {s} ÷ loopback TCP 128 KiB | " + " | ".join(rfmt(ratio(fig.median(s, p, 'consume', 'mb_per_s'), loop128)) for p in parts) + " |")
            w(f"| {s} ÷ memcpy | " + " | ".join(rfmt(ratio(fig.median(s, p, 'consume', 'mb_per_s'), memcpy)) for p in parts) + " |")
    values, errors = {}, {}
    for p, g in zip(parts, groups):
        for s in fig.systems:
            v = fig.all(s, p, "consume", "msgs_per_s")
            if v:
                values[(g, s)] = statistics.median(v)
                errors[(g, s)] = (min(v), max(v))
    svg_bars(f"{args.out}-consume.svg", "(d) consuming a backlog, 1 KiB messages (median, min–max)", "messages/s", groups, fig.systems, values, errors)
    w(f"\n![consume throughput]({base}-consume.svg)\n")

    w("Server peak memory (VmHWM, MiB): " + ", ".join(
        f"{s} {p} p {fmt(fig.median(s, p, 'memory', 'vmhwm_mib'))}" for s in fig.systems for p in parts) + "\n")

    # Goals
    w("## Goals (reported, not asserted)\n")
    w("| goal | " + " | ".join(f"{p} partition(s)" for p in parts) + " |\n|---|" + "---|" * len(parts))
    def verdict(value, target):
        if value is None:
            return "–"
        return f"{value:.2f} ({'met' if value >= target else f'short by {100 * (1 - value / target):.0f} %'})"
    def goal(name, fn, target):
        w(f"| {name} | " + " | ".join(verdict(fn(p), target) for p in parts) + " |")
    goal("durable produce ≥ 2× Redis appendfsync always", lambda p: ratio(fig.median("velocity-sync", p, "pipelined", "msgs_per_s"), fig.median("redis-always", p, "pipelined", "msgs_per_s")), 2)
    goal("no-sync produce ≥ 2× NATS JetStream", lambda p: ratio(fig.median("velocity-none", p, "pipelined", "msgs_per_s"), fig.median("nats-file", p, "pipelined", "msgs_per_s")), 2)
    goal("no-sync produce ≥ Redis without AOF", lambda p: ratio(fig.median("velocity-none", p, "pipelined", "msgs_per_s"), fig.median("redis-noaof", p, "pipelined", "msgs_per_s")), 1)
    goal("durable produce ≥ 0.8 × raw fsync'd write bandwidth at the same batch size", lambda p: ratio(fig.median("velocity-sync", p, "pipelined", "mb_per_s"), raw_at.get(p, (None, None))[1]), 0.8)
    floor = durable[1]  # the disk alone at this rate, p99
    beside = f"; the disk alone: {floor / 1000:.2f} ms" if floor is not None else ""
    def p99_goal(key):
        cells = []
        for p in parts:
            v = fig.median("velocity-sync", p, "rate", key)
            if v is not None and saturated(fig, "velocity-sync", p, args.rate_seconds):
                cells.append(f"not kept: saturated at {fmt(fig.median('velocity-sync', p, 'rate', 'acked_per_s'))} msg/s")
                continue
            cells.append("–" if v is None else f"{v / 1000:.2f} ms ({'met' if v <= 2000 else f'{v / 2000:.1f}× the goal'}{beside})")
        return cells
    w("| acks=all p99 ≤ 2 ms at the fixed rate: producer ack | " + " | ".join(p99_goal("ack_p99_us")) + " |")
    w("| acks=all p99 ≤ 2 ms at the fixed rate: end to end | " + " | ".join(p99_goal("e2e_p99_us")) + " |")
    w("")
    with open(f"{args.out}.md", "w") as f:
        f.write("\n".join(md) + "\n")
    print(f"report: {args.out}.md")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prints scripts/bench.sh's table from the raw figures it collected.

    table.py WORK_DIR [--sections "efficiency async ..."] [--seconds N]

Each row: a figure, what it stands beside (the ideal, a floor measured in
the same run, a Python peer), their ratio, the target, and `ok`, `MISSED`,
or `-` for a figure without a target. A figure whose runs are missing
prints `n/a`. Standard library only.
"""

import argparse
import glob
import json
import os
import statistics

MODES = ["sequential", "async", "parallel", "hybrid", "threads"]
# A canvas: 240x160 pixels of orbit state, 24 bytes each (painter/src/canvas.rs).
CANVAS_KIB = 240 * 160 * 24 / 1024
BASE_RSS_KIB = 8 * 1024


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def loads(pattern):
    """Every JSON matching `pattern`; a run's `.meta.json` only when asked for."""
    paths = [p for p in sorted(glob.glob(pattern)) if pattern.endswith(".meta.json") or not p.endswith(".meta.json")]
    return [d for d in (load(p) for p in paths) if d is not None]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def runs_of(doc):
    """The runs in a coordinator JSON: `compare` has several, `run` is one."""
    return doc.get("runs", [doc]) if doc else []


class Table:
    def __init__(self):
        self.rows = []

    def section(self, title):
        self.rows.append(("section", title))

    def row(self, figure, measured, beside="", ratio="", target="", verdict="-"):
        self.rows.append(("row", (figure, measured, beside, ratio, target, verdict)))

    def note(self, text):
        self.rows.append(("note", text))

    def print(self):
        widths = [0] * 6
        for kind, content in self.rows:
            if kind == "row":
                widths = [max(w, len(c)) for w, c in zip(widths, content)]
        header = ("figure", "measured", "beside it", "ratio", "target", "")
        widths = [max(w, len(h)) for w, h in zip(widths, header)]
        line = lambda cells: "  ".join(c.ljust(w) if i != 1 and i != 3 else c.rjust(w)
                                       for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
        print(line(header))
        for kind, content in self.rows:
            if kind == "section":
                print(f"\n{content}")
            elif kind == "note":
                print(f"    {content}")
            else:
                print(line(content))


def verdict(ok):
    if ok is None:
        return "-"
    return "ok" if ok else "MISSED"


def fmt(value, spec, unit=""):
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def efficiency(t, work, reps_note):
    t.section(f"1. Efficiency = ideal / measured wall, median of {reps_note} (min-max)")
    for name, label in [("default", "default: 3 x (400ms paint, 800ms dry)"),
                        ("large", "large: 12 x 2 coats x (50ms paint, 100ms dry)")]:
        docs = loads(f"{work}/efficiency/{name}-*.json")
        for mode in MODES:
            runs = [r for d in docs for r in runs_of(d) if r["mode"] == mode]
            effs = [r["efficiency"] for r in runs]
            eff = median(effs)
            wall, ideal = median([r["wall_s"] for r in runs]), median([r["ideal_s"] for r in runs])
            targeted = name == "default" and mode in ("parallel", "hybrid", "async")
            spread = f" ({min(effs):.3f}-{max(effs):.3f})" if len(effs) > 1 else ""
            t.row(f"{name:<8}{mode}", fmt(eff, ".3f") + spread,
                  f"wall {fmt(wall, '.3f', 's')} vs ideal {fmt(ideal, '.3f', 's')}",
                  fmt(eff, ".3f"), ">= 0.97" if targeted else "",
                  verdict(eff >= 0.97 if targeted and eff is not None else None))
        t.note(label)


def async_parts(run, dry_s=1.0):
    """Where an async run's wall time beyond its painting went, from its
    segments: the start-up (spawn to the first stroke), the waits for the
    next painting between paint segments (its hand-out, a round trip
    through the coordinator), the last drying's lateness (its planned end
    to its end: the runtime's own late wake-up), and what followed it
    (saving, the last answer reaching the coordinator)."""
    segs = run["segments"]
    paints = sorted((s for s in segs if s["kind"] == "paint"), key=lambda s: s["start_s"])
    if not paints:
        return None
    painted = sum(s["end_s"] - s["start_s"] for s in paints)
    handout = sum(max(0.0, b["start_s"] - a["end_s"]) for a, b in zip(paints, paints[1:]))
    waits = [s for s in segs if s["kind"] in ("file_wait", "net_wait")]
    last_end = max((s["end_s"] for s in waits), default=paints[-1]["end_s"])
    last = [s for s in waits if s["end_s"] == last_end]
    late = None
    if last:
        first = min((s["start_s"] for s in waits if s["painting"] == last[0]["painting"]
                     and s["coat"] == last[0]["coat"]), default=None)
        late = None if first is None else last_end - (first + dry_s)
    return {
        "spawn": run["wall_s"] - (painted + dry_s),
        "stroke": run["wall_s"] - paints[0]["start_s"] - (painted + dry_s),
        "startup": paints[0]["start_s"],
        "handout": handout,
        "late": late,
        "after": run["wall_s"] - last_end,
    }


def async_overhead(t, work):
    t.section("2. Async overhead: 3 x (300ms paint, 1s dry), median; atelier and Python take turns")
    runs = [r for d in loads(f"{work}/async/atelier-*.json") for r in runs_of(d)]
    ours = median([r["wall_s"] - r["ideal_s"] for r in runs])
    parts = [p for p in (async_parts(r) for r in runs) if p]
    part = lambda key: median([p[key] for p in parts if p[key] is not None])
    py_runs = [r for d in loads(f"{work}/async/python*.json") for r in d.get("runs", [])]
    theirs = median([r["overhead_s"] for r in py_runs])
    theirs_painted = median([r["overhead_vs_painted_s"] for r in py_runs])
    ms = lambda v: None if v is None else v * 1000
    ratio = fmt(ours / theirs, ".2f", "x") if ours is not None and theirs and theirs > 0 else ""
    t.row("atelier async, vs ideal", fmt(ms(ours), ".1f", " ms"), f"Python asyncio.gather {fmt(ms(theirs), '.1f', ' ms')}",
          ratio, "<= 2 ms", verdict(None if ours is None else ours <= 0.002))
    stroke = part("stroke")
    ok = None if stroke is None or theirs_painted is None else stroke <= theirs_painted
    t.row("beyond the time painted, from the first stroke", fmt(ms(stroke), ".2f", " ms"),
          f"Python asyncio.gather {fmt(ms(theirs_painted), '.2f', ' ms')}",
          fmt(stroke / theirs_painted if ok is not None and theirs_painted > 0 else None, ".2f", "x"),
          "<= Python's", verdict(ok))
    t.row("  of which: waits for the next painting", fmt(ms(part("handout")), ".2f", " ms"),
          "late binding: a round trip through the coordinator")
    t.row("  of which: the last drying's late wake-up", fmt(ms(part("late")), ".2f", " ms"),
          "the runtime's own: planned end -> woken")
    t.row("  of which: after the last drying", fmt(ms(part("after")), ".2f", " ms"),
          "saving, the last answer reaching the coordinator")
    t.row("beyond the time painted, from the spawn", fmt(ms(part("spawn")), ".2f", " ms"),
          f"start-up {fmt(ms(part('startup')), '.2f', ' ms')} (section 3) included")
    t.note("'vs ideal' includes calibration error (the stroke time, or Python's loop speed, measured once")
    t.note("beforehand) and the time another program held the core. 'Beyond the time painted' = wall - (the")
    t.note("paint segments + 1 s of drying), counted as Python's is: from the first stroke, in a process")
    t.note("already started; the line 'from the spawn' adds the painter's start.")


def startup(t, work):
    t.section("3. Start-up: painter spawn -> Hello, median, next to spawn -> exit of /bin/true")
    pipe = load(f"{work}/pipe.json") or {}
    pool = load(f"{work}/pool.json") or {}
    ms = lambda us: None if us is None else us / 1000
    # Through the coordinator: against /bin/true timed between those runs.
    def started(pattern):
        return [p["startup_s"] * 1000 for d in loads(f"{work}/startup/{pattern}") for r in runs_of(d)
                for p in r["painters"]]

    def floors(pattern):
        return [s * 1000 for d in loads(f"{work}/startup/{pattern}") for s in d.get("true_spawn_wait_s", [])]

    painters, between = started("run-*.json"), floors("floor-[0-9]*.json")
    dynamic, dynamic_between = started("dynamic-*.json"), floors("floor-dynamic-*.json")
    # Alone: both timed in the pipe bench, taking turns.
    rows = [(f"via coordinator ({len(painters)} painters)", median(painters),
             f"/bin/true between the runs ({len(between)})", median(between), True),
            (f"linked dynamically, via coordinator ({len(dynamic)})", median(dynamic),
             f"/bin/true between the runs ({len(dynamic_between)})", median(dynamic_between), False),
            ("via cargo bench pipe", ms(pipe.get("startup.painter_hello.median_us")),
             "/bin/true (Rust, same bench)", ms(pipe.get("startup.true_spawn_wait.median_us")), True)]
    for label, value, floor_label, floor_ms, targeted in rows:
        ok = None if value is None or floor_ms is None else value <= 1.5 * floor_ms
        t.row(f"painter {label}", fmt(value, ".2f", " ms"), f"{floor_label} {fmt(floor_ms, '.2f', ' ms')}",
              fmt(value / floor_ms if ok is not None else None, ".2f", "x"), "<= 1.5x floor" if targeted else "",
              verdict(ok if targeted else None))
    py_floor = pool.get("spawn_true_s")
    py_pool = pool.get("pool2_startup_s")
    t.row("Python Pool(2) -> first result", fmt(py_pool and py_pool * 1000, ".2f", " ms"),
          f"/bin/true (posix_spawn) {fmt(py_floor and py_floor * 1000, '.2f', ' ms')}",
          fmt(py_pool / py_floor if py_pool and py_floor else None, ".2f", "x"))
    t.note(f"Python start method: {pool.get('start_method', 'n/a')}. The painter is linked statically by default")
    t.note("(painter/build.rs); 'linked dynamically' is the same built with ATELIER_PAINTER_DYNAMIC=1, for comparison")


def roundtrip(t, work):
    t.section("4. Protocol round trip, median (p99), alternating blocks in one process")
    pipe = load(f"{work}/pipe.json") or {}
    job, job99 = pipe.get("roundtrip.painter_job_first_event.median_us"), pipe.get("roundtrip.painter_job_first_event.p99_us")
    cat, cat99 = pipe.get("roundtrip.cat_pingpong_16b.median_us"), pipe.get("roundtrip.cat_pingpong_16b.p99_us")
    ok = None if job is None or cat is None else job <= 1.3 * cat
    t.row("empty Job -> first Event", f"{fmt(job, '.1f')} ({fmt(job99, '.0f')}) us",
          f"cat 16-byte ping-pong {fmt(cat, '.1f')} ({fmt(cat99, '.0f')}) us",
          fmt(job / cat if ok is not None else None, ".1f", "x"), "<= 1.3x", verdict(ok))
    t.note("the painter reads, acts and answers on one thread (painter/src/inbox.rs, outbox.rs)")


def rate(run):
    """Empty paintings a second from the first one handed out to the last
    answer: the run's wall time less its painters' start-up."""
    span = run["wall_s"] - run.get("startup_s", 0.0)
    return len(run["paintings"]) / span if span > 0 else None


def throughput(t, work, paintings_note):
    t.section("5. Tiny-job throughput: empty jobs (0 strokes, 0 waits, 1 coat) per second, by chunk")
    pipe = load(f"{work}/pipe.json") or {}
    pool = load(f"{work}/pool.json") or {}
    for chunk, pattern, peer, peer_label in [
            ("1", "throughput/chunk1-*.json", "map_chunksize1_per_s", "chunksize=1"),
            ("16", "throughput/chunk16-*.json", "map_chunksize16_per_s", "chunksize=16"),
            ("256", "throughput/chunk256-*.json", "map_chunksize256_per_s", "chunksize=256"),
            ("auto", "throughput/run-*.json", "map_default_per_s", "default chunksize")]:
        runs = [r for d in loads(f"{work}/{pattern}") for r in runs_of(d)]
        ours = median([rate(r) for r in runs])
        theirs = pool.get(peer)
        used = sorted({r.get("chunk") for r in runs if r.get("chunk")})
        guided = any(r.get("chunk_guided") for r in runs)
        chose = "guided, up to" if guided else "chose"
        label = f"--chunk {chunk}" + (f" ({chose} {', '.join(map(str, used))})" if chunk == "auto" and used else "")
        target, ok = "", None
        if chunk == "auto":
            target, ok = ">= 5,000,000/s", None if ours is None else ours >= 5_000_000
        elif chunk == "1":
            target, ok = ">= 500,000/s", None if ours is None else ours >= 500_000
        t.row(f"coordinator, parallel, {label}", fmt(ours, ",.0f", "/s"), f"Pool(2).map {peer_label} {fmt(theirs, ',.0f', '/s')}",
              fmt(ours / theirs if ours and theirs else None, ".2f", "x"), target, verdict(ok))
        cost = median([r["coordinator_cpu_s"] / len(r["paintings"]) * 1e6 for r in runs if r.get("paintings")])
        if chunk in ("1", "auto"):
            t.row(f"  coordinator CPU per painting, {label}", fmt(cost, ".3f", " us"), "", "",
                  "< 0.2 us" if chunk == "auto" else "", verdict(None if cost is None or chunk != "auto" else cost < 0.2))
    # A million, atelier and Python taking turns in the same run.
    runs = [r for d in loads(f"{work}/million/run-*.json") for r in runs_of(d)]
    ours = median([rate(r) for r in runs])
    theirs = median([d.get("map_default_per_s") for d in loads(f"{work}/million/python-*.json")])
    ratio = ours / theirs if ours and theirs else None
    chunks = sorted({r.get("chunk") for r in runs if r.get("chunk")})
    guided = "guided, " if any(r.get("chunk_guided") for r in runs) else ""
    label = f"a million, --chunk auto ({guided}up to {', '.join(map(str, chunks))})" if chunks else "a million"
    t.row(f"coordinator, parallel, {label}", fmt(ours, ",.0f", "/s"),
          f"Pool(2).map default, taking turns {fmt(theirs, ',.0f', '/s')}", fmt(ratio, ".2f", "x"), ">= 1.2x Pool",
          verdict(None if ratio is None else ratio >= 1.2))
    cost = median([r["coordinator_cpu_s"] / len(r["paintings"]) * 1e6 for r in runs if r.get("paintings")])
    t.row("  coordinator CPU per painting, a million", fmt(cost, ".3f", " us"), "", "", "<= 0.1 us",
          verdict(None if cost is None else cost <= 0.1))
    bench = pipe.get("throughput.painters2_jobs_per_s")
    t.row("2 painters, pipelined Jobs, no coordinator (bench)", fmt(bench, ",.0f", "/s"))
    cat = pipe.get("throughput.cat_frames_per_s")
    t.row("pipe ceiling: 16-byte frames via cat", fmt(cat, ",.0f", "/s"))
    for name, label in [("chunk1", "--chunk 1"), ("auto", "auto chunks")]:
        doc = load(f"{work}/lesson/{name}.json")
        walls = {r["mode"]: r["wall_s"] for r in runs_of(doc)}
        if "sequential" in walls and "parallel" in walls:
            verdict_text = "parallel wins" if walls["parallel"] < walls["sequential"] else "parallel loses"
            t.row(f"compare 100000 empty paintings, {label}", f"parallel {walls['parallel']:.3f} s",
                  f"sequential {walls['sequential']:.3f} s", fmt(walls["sequential"] / walls["parallel"], ".2f", "x"),
                  verdict_text)
    parts = [("rgb", "rgb"), ("fnv1a", "checksum"), ("png_save", "PNG save")]
    costs = [(label, pipe.get(f"painted.{key}.median_us")) for key, label in parts]
    if all(v is not None for _, v in costs):
        total = sum(v for _, v in costs)
        t.row("delivering a painted picture", f"{total:.0f} us", " + ".join(f"{label} {v:.0f}" for label, v in costs))
    t.note(f"{paintings_note} per run (--chunk 1: a tenth); a rate counts from the first painting handed out to the")
    t.note("last answer (wall time less the painters' start-up). An empty painting (0 strokes) has no canvas and no")
    t.note("file: these jobs measure the machinery alone. Python's rates are measured in the same run.")

def held_at_once(run, index):
    """The most paintings painter `index` held at once: from its first
    paint of a painting to the end of that painting's last segment."""
    spans = {}
    for seg in run.get("segments", []):
        if seg.get("painter") != index:
            continue
        start, end = spans.get(seg["painting"], (seg["start_s"], seg["end_s"]))
        spans[seg["painting"]] = (min(start, seg["start_s"]), max(end, seg["end_s"]))
    edges = sorted([(a, 1) for a, _ in spans.values()] + [(b, -1) for _, b in spans.values()])
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def memory(t, work):
    t.section("6. Memory: peak resident set")
    docs = [d for p in sorted(glob.glob(f"{work}/**/*.json", recursive=True))
            if not p.endswith(".meta.json") for d in [load(p)] if isinstance(d, dict)]
    # Each painter: its peak, and the target for it: 8 MiB + one canvas per painting held at once.
    painters = [(p["max_rss_kib"], held_at_once(r, i), r.get("mode"))
                for d in docs for r in runs_of(d) if isinstance(r, dict)
                for i, p in enumerate(r.get("painters", [])) if isinstance(p, dict) and "max_rss_kib" in p]
    if painters:
        over = [(rss - (BASE_RSS_KIB + max(held, 1) * CANVAS_KIB), rss, held, mode) for rss, held, mode in painters]
        worst = max(over)
        single = [rss for rss, held, _ in painters if held <= 1]
        t.row(f"painter, max of {len(single)} holding <= 1 painting", fmt(max(single, default=None), ",", " KiB"),
              f"median {fmt(median(single), ',.0f', ' KiB')}", "",
              f"<= {BASE_RSS_KIB + CANVAS_KIB:,.0f} KiB", verdict(None if not single else max(single) <= BASE_RSS_KIB + CANVAS_KIB))
        t.row(f"painter, worst of {len(painters)} vs 8 MiB + k canvases", fmt(worst[1], ",", " KiB"),
              f"{worst[3]} painter holding k={worst[2]}", "",
              f"<= {BASE_RSS_KIB + max(worst[2], 1) * CANVAS_KIB:,.0f} KiB", verdict(worst[0] <= 0))
    else:
        t.row("painter", "n/a")
    t.note(f"a canvas is 240x160 pixels of orbit state, 24 bytes each ({CANVAS_KIB:.0f} KiB); a painter holds one")
    t.note("per painting between its first stroke and its delivery: an async painter holds every painting")
    t.note("it has started and not delivered, so its target is 8 MiB + k canvases, k read from its segments")
    for label, patterns in [("coordinator, default compare", ["efficiency/default-*", "memory/default"]),
                            ("coordinator, many empty paintings", ["throughput/run-*", "memory/many"])]:
        metas = [m for p in patterns for m in loads(f"{work}/{p}.meta.json")]
        own = max((m["own_hwm_kib"] for m in metas), default=None)
        tree = max((m["tree_maxrss_kib"] or 0 for m in metas), default=None)
        t.row(label, fmt(own, ",", " KiB"), f"with its painters (ru_maxrss) {fmt(tree, ',', ' KiB')}")

def scaling(t, work, cores):
    t.section(f"7. Scaling: 8 x (100ms paint, 100ms dry), median; {cores} cores here")
    for mode in ("parallel", "hybrid"):
        counts = sorted({int(os.path.basename(p).split("-")[1]) for p in glob.glob(f"{work}/scaling/{mode}-*-*.json")
                         if not p.endswith(".meta.json")})
        base = None
        for n in counts:
            runs = [r for d in loads(f"{work}/scaling/{mode}-{n}-[0-9].json") for r in runs_of(d)]
            wall, ideal = median([r["wall_s"] for r in runs]), median([r["ideal_s"] for r in runs])
            eff = median([r["efficiency"] for r in runs])
            if base is None:
                base = (wall, ideal)
            speedup = base[0] / wall if wall else None
            ideal_speedup = base[1] / ideal if ideal else None
            t.row(f"{mode}, {n} painter{'s' if n > 1 else ''}", f"eff {fmt(eff, '.3f')}",
                  f"wall {fmt(wall, '.3f', 's')}, ideal {fmt(ideal, '.3f', 's')}",
                  f"{fmt(speedup, '.2f', 'x')} (ideal {fmt(ideal_speedup, '.2f', 'x')})",
                  "speedup over 1 painter" if n == counts[0] else "")
    t.note(f"Past {cores} painters the cores, not the painters, bound the speedup: painters share cores.")


def codec(t, work):
    t.section("8. Codec (cargo bench codec): encode + decode, ns per message, median")
    c = load(f"{work}/codec.json") or {}
    for name, label in [("job", "Job (codec::encode/decode)"), ("event", "Event (codec::encode/decode)"),
                        ("job_framed", "Job (MessageCodec, framed)"), ("event_framed", "Event (MessageCodec, framed)")]:
        t.row(label, fmt(c.get(f"codec.{name}.ns"), ".0f", " ns"), fmt(c.get(f"codec.{name}.bytes"), ".0f", " bytes"))


def states_cost(t, work, reps_note):
    t.section(f"9. Measuring the threads' states: the same work measured and not, in turns, median of {reps_note}")

    def figures(name):
        runs = [r for d in loads(f"{work}/states/{name}-[0-9]*.json") for r in runs_of(d)]
        cpu = median([sum(p["cpu_s"] or 0 for p in r["painters"]) for r in runs])
        painting = median([sum(s["end_s"] - s["start_s"] for s in r["segments"] if s["kind"] == "paint") for r in runs])
        wall = median([r["wall_s"] for r in runs])
        return cpu, painting, wall

    off_cpu, off_painting, _ = figures("paint-off")
    for how, label in [("on", "switch events"), ("self", "self-measured")]:
        cpu, painting, _ = figures(f"paint-{how}")
        ratio = cpu / off_cpu if cpu and off_cpu else None
        t.row(f"painter CPU, 4 x 8000 strokes, {label}", fmt(cpu, ".3f", " s"), f"not measured {fmt(off_cpu, '.3f', ' s')}",
              fmt(ratio, ".4f"), "<= 1.01", verdict(ratio <= 1.01 if ratio is not None else None))
        ratio = painting / off_painting if painting and off_painting else None
        t.row(f"  painting time, {label}", fmt(painting, ".3f", " s"), f"not measured {fmt(off_painting, '.3f', ' s')}",
              fmt(ratio, ".4f"))
    on_cpu, _, on_wall = figures("empty-on")
    off_cpu, _, off_wall = figures("empty-off")
    ratio = on_cpu / off_cpu if on_cpu and off_cpu else None
    t.row("painters' CPU, empty paintings, switch events", fmt(on_cpu, ".3f", " s"),
          f"not measured {fmt(off_cpu, '.3f', ' s')}", fmt(ratio, ".4f"))
    ratio = on_wall / off_wall if on_wall and off_wall else None
    t.row("  wall, empty paintings, switch events", fmt(on_wall, ".3f", " s"),
          f"not measured {fmt(off_wall, '.3f', ' s')}", fmt(ratio, ".4f"))
    t.note("ATELIER_PAINTER_STATES=off turns measuring off; ATELIER_PAINTER_FAULT=no-perf refuses the switch events.")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("work")
    parser.add_argument("--sections", default="efficiency async startup roundtrip throughput memory scaling codec")
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--quick", default="0")
    args = parser.parse_args()
    work, sections, quick = args.work, args.sections.split(), args.quick == "1"
    t = Table()
    if "efficiency" in sections:
        efficiency(t, work, "1 run (--quick)" if quick else "5 runs")
    if "async" in sections:
        async_overhead(t, work)
    if "startup" in sections:
        startup(t, work)
    if "roundtrip" in sections:
        roundtrip(t, work)
    if "throughput" in sections:
        throughput(t, work, "20000 paintings" if quick else "200000 paintings")
    if "memory" in sections:
        memory(t, work)
    if "scaling" in sections:
        scaling(t, work, args.cores)
    if "codec" in sections:
        codec(t, work)
    if "states" in sections:
        states_cost(t, work, "2 rounds (--quick)" if quick else "5 rounds")
    t.print()
    load_before = open(f"{work}/load-before.txt").read().split("load average:")[-1].strip()
    load_after = open(f"{work}/load-after.txt").read().split("load average:")[-1].strip()
    print(f"\n{args.cores} cores; load average {load_before} before, {load_after} after;"
          f" {args.seconds}s in all (build included)." if args.seconds is not None else "")


if __name__ == "__main__":
    main()

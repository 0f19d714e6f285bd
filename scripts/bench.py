#!/usr/bin/env python3
"""The benchmark behind `scripts/bench`: runs the release binaries under mpirun with --json,
takes the median compute time of several runs, and prints a table (also saved as CSV).

Rates are per core: pairs or pixel-iterations per second divided by ranks x threads (mandel's
computed iterations per second per core in the last column). The reference
kernels (dist-cities --kernel haversine, mandel --kernel scalar) run on a smaller workload of the
same kind and are compared by rate. Peak memory per rank comes from the programs' own reports
(`rank_peak_rss_bytes`: getrusage on every rank), so no other tool is needed.

Then the Benchmarks Game problem (16000x16000, 50 iterations, x in [-1.5, 0.5], y in [-1, 1]) at
1 and 2 ranks, without output and with --out: computing time, wall time (launch to exit, MPI's
start-up included; a 1x1 render's wall time is measured beside it and subtracted in the ratios),
and rank 0's peak memory.

`--only reference` (run only so): the reference orbit's cost per iteration, ours
(`reference_orbit_s / reference_iterations`) against the same z^2 + c in MPFR at the same
precision (scripts/mpfr-orbit.c, compiled here with `cc -O2 ... -lmpfr -lgmp`; Debian's
libmpfr-dev is installed when missing and we may), from 320 to 132,992 bits.

`--only serial` (run only so): the serial share of the deep locations 1e50, 5e227 and 1e1086 at
1024x1024, one thread a rank: `reference_s` at 2 ranks over `computing_time_s` at 1 rank (best
of 3 each), and the speed-up Amdahl's law then allows at 16, 64 and 256 ranks.

Beside the CSV it writes a Markdown record (--record, default bench.md): a header naming the
command line, the commit, the date and the machine (CPU, cores, the instruction set the fast
kernels chose, memory, OS, MPI, rustc), then each part's tables as the Markdown files show them, one
section per part between `<!-- bench:PART -->` and `<!-- /bench:PART -->`, each opening with a
line naming the command, commit and machine. scripts/readme-figures pastes those sections into
the Markdown files that hold the same markers (README.md and the folder READMEs beside the code).
"""
import argparse
import csv
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


PARTS = ["kernels", "game", "deep", "reference", "serial", "cities", "reading", "big"]


class Record:
    """What one run measured, for bench.md: a header block and, per part, Markdown chunks."""

    def __init__(self, args, root):
        self.args, self.root = args, root
        self.started = time.time()
        self.sections = {}  # part -> list of Markdown chunks, in order of the run
        self.isas = set()   # what the programs' --json reports said about the kernels' ISA
        self.commit = git_commit(root)
        self.command = command_line(args)

    def add(self, part, text):
        self.sections.setdefault(part, []).append(text.rstrip("\n"))

    def table(self, part, header, rows):
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        self.add(part, "\n".join(lines))

    def note(self, part, text):
        self.add(part, "- " + text)

    def write(self, path):
        m = machine(self.isas)
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.started))
        took = time.time() - self.started
        short = f"{m['cpu']} ({m['cores']} cores, {m['isa_short']}), {m['os']}, {m['mpi_short']}"
        out = ["# Benchmark record", "",
               f"- Command: `{self.command}`" + (" (smoke test: --quick workloads)" if self.args.quick else ""),
               f"- Commit: {self.commit}",
               f"- Date: {when} (the run took {took:.0f} s)",
               f"- CPU: {m['cpu']}, {m['cores']} cores ({m['usable']} usable by this run)",
               f"- Kernels' instruction set: {m['isa']}",
               f"- Memory: {m['memory']}",
               f"- OS: {m['os']}, kernel {platform.release()}",
               f"- MPI: {m['mpi']}",
               f"- Rust: {m['rustc']}",
               ""]
        for part in PARTS:
            if part not in self.sections:
                continue
            out += [f"<!-- bench:{part} -->",
                    f"Measured with `{self.command}` at commit {self.commit} on {short}, {when[:10]}"
                    + (" (--quick: a smoke test, not figures)" if self.args.quick else "") + ".", ""]
            out += ["\n\n".join(self.sections[part]), f"<!-- /bench:{part} -->", ""]
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join(out))
        os.replace(tmp, path)
        print(f"bench: record written to {path}")


def command_line(args):
    """The command as a user types it: the environment that changes what is measured, then
    scripts/bench (when the wrapper started us) and the arguments after its --root."""
    env = [f"{k}={shlex.quote(os.environ[k])}" for k in
           ("MPI_IMPL", "CITIES_REAL", "RUST_FRACTAL", "BENCHMARKS_GAME_C", "BENCHMARKS_GAME_CFLAGS")
           if os.environ.get(k) and not (k == "MPI_IMPL" and os.environ[k] == "openmpi")]
    argv = sys.argv[1:]
    if "--root" in argv and os.environ.get("BENCH_COMMAND"):
        k = argv.index("--root")
        argv = argv[:k] + argv[k + 2:]
    name = os.environ.get("BENCH_COMMAND") or "python3 scripts/bench.py"
    return " ".join(env + [name] + [shlex.quote(a) for a in argv])


def git_commit(root):
    """`git rev-parse --short HEAD`, with +dirty when tracked files differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


def first_line(cmd):
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        lines = (done.stdout or done.stderr).strip().splitlines()
        return lines[0].strip() if lines else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine(isas):
    """The machine's description for the record's header."""
    cpu, flags = "", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and not cpu:
                    cpu = value.strip()
                elif key.strip() in ("flags", "Features") and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    if not cpu:
        for line in first_line(["sh", "-c", "lscpu | grep -i 'model name'"]).splitlines():
            cpu = line.partition(":")[2].strip()
    cpu = cpu or platform.processor() or platform.machine()
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    if isas:
        isa = ", ".join(sorted(isas)) + " (from the programs' --json reports)"
        isa_short = "/".join(sorted(isas))
    else:
        # The programs do not report it: simd::Isa::detect takes AVX-512F, else AVX2, else the portable loop.
        chosen = "avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else "portable"
        isa = (f"{chosen} (not in the programs' reports; simd::Isa::detect's rule applied to the CPU's flags: "
               "avx512f, else avx2, else portable)")
        isa_short = chosen
    memory = "unknown"
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except (OSError, ValueError):
        pass
    os_name = platform.system()
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    mpi = first_line([os.environ.get("MPIRUN", "mpirun"), "--version"])
    mpi_short = re.sub(r"^\S*(mpirun|mpiexec)\S*\s*", "", mpi).replace("(", "").replace(")", "") or mpi
    mpi_short = mpi_short.replace("OpenRTE", "Open MPI")
    if mpi.startswith("HYDRA"):  # MPICH's hydra: "HYDRA build details:", then "Version: 4.0.2"
        version = first_line(["sh", "-c", f"{shlex.quote(os.environ.get('MPIRUN', 'mpirun'))} --version"
                                          " | grep -m1 'Version:'"])
        mpi_short = "MPICH " + version.partition(":")[2].strip()
        mpi = f"{mpi} {version}"
    return {"cpu": cpu, "cores": cores, "usable": usable, "isa": isa, "isa_short": isa_short,
            "memory": memory, "os": os_name, "mpi": mpi, "mpi_short": mpi_short,
            "rustc": first_line(["rustc", "--version"])}


RECORD = None


def launch(args, root, ranks, threads, program, prog_args, unbound=False, check=True):
    """One run; returns (report dict, list of peak RSS in MB per rank or [], wall seconds). A
    failed run exits with its stderr, or with check=False returns (None, its stderr, wall)."""
    cmd = [os.environ.get("MPIRUN", "mpirun"), "-n", str(ranks)]
    if (threads > 1 or unbound) and os.environ.get("MPI_FLAVOUR") == "openmpi":
        cmd += ["--bind-to", "none"]  # Open MPI binds each rank to one core otherwise
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    cmd += [os.path.join(target, "release", program)] + prog_args + ["--json", "--threads", str(threads)]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=args.timeout)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        if not check:
            return None, done.stderr, wall
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{done.stderr}")
    report = json.loads(done.stdout)
    for key in ("isa", "simd", "kernel_isa"):
        if RECORD is not None and isinstance(report.get(key), str):
            RECORD.isas.add(report[key])
    rss = [b / 2**20 for b in report.get("rank_peak_rss_bytes", [])]
    return report, rss, wall


def median_wall(runs, cmd, what, **run_args):
    """The median wall time of `runs` runs of another program `cmd` (output discarded); exits
    with its stderr if it fails."""
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **run_args)
        walls.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"bench: {what} failed:\n{done.stderr}")
    return statistics.median(walls)


def measure(args, root, ranks, threads, program, prog_args, runs):
    reports, peak = [], 0.0
    for _ in range(runs):
        report, rss, _ = launch(args, root, ranks, threads, program, prog_args)
        reports.append(report)
        peak = max([peak] + rss)
    times = [r["computing_time_s"] for r in reports]
    median = statistics.median(times)
    chosen = min(reports, key=lambda r: abs(r["computing_time_s"] - median))
    return median, chosen, peak


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=os.getcwd())
    p.add_argument("--runs", type=int, default=5, help="runs per configuration (median)")
    p.add_argument("--out", default="bench.csv", help="CSV file to write")
    p.add_argument("--record", default="bench.md",
                   help="Markdown record to write: command, commit, machine and every table of the run")
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--quick", action="store_true", help="smaller workloads, 3 runs (a smoke test)")
    p.add_argument("--only", choices=PARTS,
                   help="run only the kernel table, the Benchmarks Game rows, the deep-zoom rows, the "
                        "reference orbit's cost per iteration against MPFR (run only so), the deep locations' "
                        "serial share and what Amdahl's law allows at 16-256 ranks (run only so), the dist-cities "
                        "rows at scale (tree against brute force, 10M points, reading, wgs84), "
                        "just the reading speed against pandas, or 'big' (never run otherwise: the "
                        "48000x48000 image at 2 ranks, checked with scripts/check-png)")
    args = p.parse_args()
    root = args.root
    global RECORD
    RECORD = Record(args, root)
    try:
        run_parts(args, root)
    finally:
        if RECORD.sections:
            RECORD.write(args.record)


def run_parts(args, root):
    runs = 3 if args.quick else args.runs
    cities = os.path.join(root, "data", "cities15000.csv")
    tmp = tempfile.mkdtemp(prefix="bench-")
    if args.only == "reading":
        path = os.path.join(tmp, "uniform-1000000.csv")
        subprocess.run([sys.executable, os.path.join(root, "scripts", "gen-cities"), "1000000", "2026", path],
                       check=True, timeout=args.timeout)
        reading_vs_pandas(args, root, tmp, "uniform 1,000,000", path, "reading")
        shutil.rmtree(tmp, ignore_errors=True)
        return
    if args.only in ("game", "deep", "reference", "serial", "cities", "big"):
        {"game": benchmarks_game, "deep": deep_zoom, "reference": reference_cost, "serial": serial_share,
         "cities": cities_at_scale, "big": big_image}[args.only](args, root, runs, tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    # The haversine reference runs on a prefix of the full file (scaled by rate).
    prefix_rows = 4000 if args.quick else 8000
    prefix = os.path.join(tmp, f"cities-{prefix_rows}.csv")
    with open(cities, encoding="utf-8") as src, open(prefix, "w", encoding="utf-8") as dst:
        for k, line in enumerate(src):
            if k > prefix_rows:
                break
            dst.write(line)

    side = 1000 if args.quick else 4000
    mandel_default = ["--width", str(side), "--height", str(side), "--max-iter", "1000"]
    mandel_small = ["--width", str(side // 4), "--height", str(side // 4), "--max-iter", "1000"]
    # A view with no pixel in the main cardioid or the period-2 bulb, so the skip does not count.
    # (Seahorse valley at scale 0.008: checked to have no skipped pixel, computed == pixel + escaped.)
    noskip = ["--center", "-0.7453,0.1127", "--scale", "0.008", "--max-iter", "1000"]
    noskip_big = noskip + ["--width", str(side // 4), "--height", str(side // 4)]
    noskip_small = noskip + ["--width", str(side // 8), "--height", str(side // 8)]

    layouts = [(1, 1), (2, 1), (1, 2)]
    plan = [
        # (program, kernel, workload name, args, reference args, unit, layouts)
        ("dist-cities", "haversine", f"first {prefix_rows} cities", [prefix, "--kernel", "haversine"], None, "pairs", [(1, 1)]),
        ("dist-cities", "fast", "cities15000.csv", [cities, "--kernel", "fast", "--algorithm", "brute"], "haversine", "pairs", layouts),
        ("mandel", "scalar", f"default view {side // 4}^2, 1000 it", mandel_small + ["--kernel", "scalar"], None, "pixel-iterations", [(1, 1)]),
        ("mandel", "fast", f"default view {side}^2, 1000 it", mandel_default + ["--kernel", "fast"], "scalar", "pixel-iterations", layouts),
        ("mandel", "scalar", f"no-skip view {side // 8}^2, 1000 it", noskip_small + ["--kernel", "scalar"], None, "pixel-iterations", [(1, 1)]),
        ("mandel", "fast", f"no-skip view {side // 4}^2, 1000 it", noskip_big + ["--kernel", "fast"], "scalar-noskip", "pixel-iterations", [(1, 1)]),
    ]
    # The record's names for the workloads, as the Markdown table has them.
    md_names = {f"no-skip view {n}^2, 1000 it": f"seahorse valley {n}², 1000 it, nothing skipped" for n in (side // 8, side // 4)}
    md_names.update({f"default view {n}^2, 1000 it": f"default view {n}², 1000 it" for n in (side // 4, side)})
    rows, ref_rate, one_rank_time, md_rows, computed_md = [], {}, {}, [], []
    for program, kernel, workload, prog_args, ref, unit, lays in plan:
        for k, (ranks, threads) in enumerate(lays):
            median, report, peak = measure(args, root, ranks, threads, program, prog_args, runs)
            # The rate of useful work (pairs, or pixel-iterations: the sum of the escape counts) is
            # what kernels are compared by; mandel's computed iterations (the iterations its
            # kernel really ran, skipped pixels not counted) get their own column.
            cores = ranks * threads
            work = report["pairs"] if unit == "pairs" else report["pixel_iterations"]
            rate = work / median / cores
            computed = report.get("computed_iterations")
            computed_rate = f"{computed / median / cores:.3e}" if computed is not None else ""
            key = (program, kernel, workload)
            if (ranks, threads) == (1, 1):
                one_rank_time[key] = median
                if ref is None:
                    ref_rate[(program, kernel + ("-noskip" if "no-skip" in workload else ""))] = rate
            ratio = ""
            if ref is not None:
                base = ref_rate.get((program, ref))
                ratio = f"{rate / base:.1f}x" if base else ""
            speedup = one_rank_time[key] / median if key in one_rank_time else 1.0
            rows.append({
                "program": program, "kernel": kernel, "workload": workload, "ranks": ranks, "threads": threads,
                "compute_s": f"{median:.4f}", "unit": unit, "rate_per_core": f"{rate:.3e}",
                "computed_iterations_per_core": computed_rate,
                "vs_reference_per_core": ratio, "speedup_vs_1x1": f"{speedup:.2f}",
                "load_balance": f"{report['load_balance']:.3f}",
                "peak_rss_mb_per_rank": f"{peak:.1f}" if peak else "n/a",
            })
            r = rows[-1]
            name = md_names.get(workload, workload)
            if unit == "pairs" and k == 0:
                name += f" ({report['pairs']:,} pairs)"
            md_rows.append([program, kernel, name, f"{ranks}x{threads}", f"{median:.3f} s",
                            f"{rate:.2e} {'pairs' if unit == 'pairs' else 'pixel-it'}/s".replace("e+0", "e").replace("e+", "e"),
                            "" if not ratio else (f"{rate / base:.0f}x" if rate / base >= 20 else ratio),
                            "" if ref is None else r["speedup_vs_1x1"], r["load_balance"],
                            f"{peak:.0f} MB" if peak else "n/a"])
            if computed is not None and kernel == "fast" and (ranks, threads) == (1, 1):
                computed_md.append(f"{computed / median / cores:.2e} on the {name.split(',')[0]}".replace("e+0", "e"))
            print(f"{program:11} {kernel:9} {workload:28} {ranks}x{threads}  {r['compute_s']:>8} s  "
                  f"{r['rate_per_core']:>9} {unit}/s/core  {ratio:>7}  x{r['speedup_vs_1x1']:>5}  "
                  f"lb {r['load_balance']}  {r['peak_rss_mb_per_rank']:>5} MB  {computed_rate}", flush=True)
    with open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    print("columns: program, kernel, workload, ranks x threads, compute time (median, scatter to gather),"
          " rate per core, ratio to the reference kernel's rate, speedup over 1x1, load balance,"
          " peak RSS per rank, mandel computed iterations/s/core")
    print(f"bench: {len(rows)} configurations, median of {runs} runs each; written to {args.out}")
    RECORD.table("kernels", ["program", "kernel", "workload", "ranks x threads", "compute time", "rate per core",
                             "vs reference", "speedup", "balance", "peak RSS/rank"], md_rows)
    RECORD.note("kernels", f"Median of {runs} runs each. The mandel fast kernel's computed iterations (what it "
                           "really iterated, the cardioid and bulb skipped) per second per core, 1x1: "
                           + " and ".join(computed_md) + ".")
    if args.only != "kernels":
        benchmarks_game(args, root, runs, tmp)
        deep_zoom(args, root, runs, tmp)
    shutil.rmtree(tmp, ignore_errors=True)


def deep_zoom(args, root, runs, tmp):
    """Deep-zoom rows: the public benchmark locations (rust-fractal-core's benchmarks/, also
    Kalles Fraktaler's) at 1024x1024 (256x256 with --quick), 1 and 2 ranks, one thread each:
    computing time (median), the reference's time and share of it, the iterations BLA skipped,
    and computed iterations (perturbation and BLA steps) per second per core. Then the
    acceptance row: 1e50 at 512x512, one process and one thread, wall time (MPI start-up
    included), beside rust-fractal-core itself when $RUST_FRACTAL names its binary."""
    side = 256 if args.quick else 1024
    deep_runs = 1 if args.quick else min(runs, 3)
    print(f"\ndeep zoom: {side}x{side}, median of {deep_runs} runs; the reference (orbit and BLA table) is part of the computing time")
    print(f"{'location':9} {'ranks':>5} {'compute s':>10} {'reference s':>12} {'share':>6} {'ref it':>9} {'bits':>5} {'BLA skipped':>12} {'computed it/s/core':>19} {'peak MB':>8}")
    md = []
    for loc in ["1e14", "1e50", "5e113", "5e227"]:
        path = os.path.join(root, "data", "locations", f"{loc}.toml")
        for ranks in [1, 2]:
            median, rep, peak = measure(args, root, ranks, 1, "mandel",
                                        ["--location", path, "--width", str(side), "--height", str(side)], deep_runs)
            share = rep["reference_s"] / median if median > 0 else 0.0
            skipped = rep["bla_skipped_iterations"] / max(1, rep["pixel_iterations"])
            per_core = rep["computed_iterations"] / median / ranks
            print(f"{loc:9} {ranks:>5} {median:>10.3f} {rep['reference_s']:>12.3f} {100 * share:>5.1f}% "
                  f"{rep['reference_iterations']:>9} {rep['precision_bits']:>5} {100 * skipped:>11.2f}% "
                  f"{per_core:>19.3e} {peak:>8.0f}", flush=True)
            first = ranks == 1
            md.append([loc, ranks, three_digits(median), f"{rep['reference_s']:.3f} ({100 * share:.1f}%)",
                       f"{rep['reference_iterations']:,}, {rep['precision_bits']}" if first else "",
                       f"{100 * skipped:.2f}%" if first else "", f"{per_core:.1e}".replace("e+0", "e").replace("e+", "e")])
    RECORD.add("deep", f"{side}x{side}, one thread a rank, default 24-bit BLA, median of {deep_runs} run{'s' if deep_runs > 1 else ''}.")
    RECORD.table("deep", ["location", "ranks", "computing s", "reference s (share)", "reference iterations, bits",
                          "BLA skipped", "computed it/s/core"], md)
    # The acceptance row: wall time of the whole command, beside rust-fractal-core's.
    loc = os.path.join(root, "data", "locations", "1e50.toml")
    walls = []
    for _ in range(deep_runs if args.quick else 3):
        _, _, wall = launch(args, root, 1, 1, "mandel", ["--location", loc, "--width", "512", "--height", "512"])
        walls.append(wall)
    ours = statistics.median(walls)
    rfc = os.environ.get("RUST_FRACTAL")
    if not rfc:
        print(f"1e50 at 512x512, 1 process, 1 thread: mandel {ours:.2f} s wall; rust-fractal-core: set "
              "RUST_FRACTAL=/path/to/its/target/release/main (fetch github:rust-fractal/rust-fractal-core, "
              "`cargo update`, `cargo update -p clap --precise 3.0.0-beta.2`, `cargo build --release`; it needs m4)")
        RECORD.note("deep", f"1e50 at 512x512, one process, one thread, wall time with MPI start-up (median of "
                            f"{len(walls)}): mandel {ours:.2f} s (rust-fractal-core not run: RUST_FRACTAL unset).")
        return
    bench_dir = os.path.join(tmp, "rfc")
    os.makedirs(os.path.join(bench_dir, "output"), exist_ok=True)  # where it writes, export or not
    # Its own benchmark settings (512x512, no export), from the repository the binary was built in.
    settings = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(rfc)))),
                            "benchmarks", "512.toml")
    if not os.path.exists(settings):
        sys.exit(f"bench: {settings} not found (RUST_FRACTAL should be <repo>/target/release/main)")
    t = median_wall(3, [rfc, "-o", settings, loc], "rust-fractal-core", cwd=bench_dir,
                    env=dict(os.environ, RAYON_NUM_THREADS="1"), timeout=args.timeout)
    print(f"1e50 at 512x512, 1 process, 1 thread (wall, median of 3): mandel {ours:.2f} s, "
          f"rust-fractal-core {t:.2f} s: mandel is {t / ours:.2f}x as fast")
    RECORD.note("deep", f"The acceptance row, 1e50 at 512x512, one process, one thread, wall time with MPI start-up, "
                        f"the two run alternately, median of 3: **mandel {ours:.2f} s, rust-fractal-core {t:.2f} s: "
                        f"{t / ours:.2f}x as fast**.")


# The reference-cost views: --scale 1e-K for these K give the precisions of issue 21's table (read
# back from the JSON's precision_bits; 132,992 bits is past today's limit, and the row says so).
REFERENCE_SCALES = [50, 227, 1000, 3000, 10000, 40000]
REFERENCE_CENTRE = ("-0.75", "0.0001")
# -0.75 + 1e-4 i escapes after about pi / 1e-4 iterations (31,417 at every one of these depths), so
# a larger --max-iter changes nothing and every precision runs the same orbit.
REFERENCE_MAX_ITER = 100_000


def build_mpfr_orbit(args, root, tmp):
    """Compiles scripts/mpfr-orbit.c into the bench's temp folder; MPFR's and GMP's headers are
    installed with apt-get when they are missing and we may (root, or sudo without a password),
    else the bench stops with one line saying what to install."""
    exe = os.path.join(tmp, "mpfr-orbit")
    cmd = [os.environ.get("CC", "cc"), "-O2", os.path.join(root, "scripts", "mpfr-orbit.c"), "-o", exe,
           "-lmpfr", "-lgmp"]

    def compile_it():
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        except OSError as e:
            return str(e)
        if done.returncode == 0:
            return None
        errors = [l for l in done.stderr.splitlines() if "error" in l]
        return (errors or done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[0]

    def may_install():
        if os.geteuid() == 0:
            return True
        return bool(shutil.which("sudo")) and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0

    error = compile_it()
    if error and re.search(r"mpfr|gmp", error) and shutil.which("apt-get") and may_install():
        print("bench: MPFR's headers are missing: installing libmpfr-dev and libgmp-dev with apt-get", flush=True)
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install = sudo + ["apt-get", "install", "-y", "-qq", "libmpfr-dev", "libgmp-dev"]
        if subprocess.run(install, capture_output=True, env=env).returncode != 0:
            subprocess.run(sudo + ["apt-get", "update", "-qq"], capture_output=True, env=env)
            subprocess.run(install, capture_output=True, env=env)
        error = compile_it()
    if error:
        sys.exit("bench: the reference part needs a C compiler and MPFR with its headers (Debian: apt-get install "
                 f"libmpfr-dev libgmp-dev; Fedora: dnf install mpfr-devel): {' '.join(cmd)} failed: {error}")
    return exe


def reference_cost(args, root, runs, tmp):
    """The reference orbit's cost per iteration against MPFR (run only with --only reference):
    mandel at one rank and one thread on --center -0.75,0.0001 at --scale 1e-K (16x12, --max-iter
    100000, perturbation), for precisions from 320 to 33,344 bits (and 132,992 without --quick),
    our `reference_orbit_s / reference_iterations` beside scripts/mpfr-orbit.c, the same z^2 + c
    with three squarings in MPFR at the same precision, from the same centre, for the same number
    of iterations; the two run alternately, best of 3 each."""
    exe = build_mpfr_orbit(args, root, tmp)
    scales = REFERENCE_SCALES[:-1] if args.quick else REFERENCE_SCALES
    tries = 3
    print(f"\nreference cost: --center {','.join(REFERENCE_CENTRE)} --scale 1e-K, --max-iter {REFERENCE_MAX_ITER}, "
          f"one thread; ns per iteration, best of {tries}, ours and MPFR alternately")
    print(f"{'K':>6} {'bits':>7} {'iterations':>10} {'ours ns/it':>11} {'MPFR wall':>10} {'MPFR CPU':>10} "
          f"{'ours/wall':>9} {'ours/CPU':>9}")
    md, versions, acceptance = [], None, {}
    for k in scales:
        view = ["--center", ",".join(REFERENCE_CENTRE), "--scale", f"1e-{k}", "--width", "16", "--height", "12",
                "--max-iter", str(REFERENCE_MAX_ITER), "--kernel", "perturbation"]
        ours, walls, cpus, refused, bits, n, mpfr_n = [], [], [], None, None, None, None
        for _ in range(tries):
            if refused is None:
                rep, err, _ = launch(args, root, 1, 1, "mandel", view, check=False)
                if rep is None:
                    need = re.search(r"needs (\d+) bits of precision, past the limit of (\d+)", err)
                    if not need:
                        sys.exit(f"bench: mandel failed at --scale 1e-{k}:\n{err}")
                    # What our rule would take (whole 64-bit limbs), for MPFR to run at.
                    refused = (int(need.group(1)), int(need.group(2)))
                    bits, n = 64 * -(-refused[0] // 64), REFERENCE_MAX_ITER
                else:
                    bits, n = rep["precision_bits"], rep["reference_iterations"]
                    ours.append(rep["reference_orbit_s"] / n * 1e9)
            done = subprocess.run([exe, str(bits), *REFERENCE_CENTRE, str(n)], capture_output=True, text=True,
                                  timeout=args.timeout)
            if done.returncode != 0:
                sys.exit(f"bench: {exe} {bits} {' '.join(REFERENCE_CENTRE)} {n} failed:\n{done.stderr}")
            theirs = json.loads(done.stdout)
            walls.append(theirs["wall_ns_per_iteration"])
            cpus.append(theirs["cpu_ns_per_iteration"])
            mpfr_n, versions = theirs["iterations"], (theirs["mpfr"], theirs["gmp"])
        wall, cpu = min(walls), min(cpus)
        its = f"{mpfr_n:,}" if refused or mpfr_n == n else f"{n:,} (MPFR {mpfr_n:,})"
        if refused:
            print(f"{k:>6} {bits:>7} {mpfr_n:>10} {'refused':>11} {wall:>10.0f} {cpu:>10.0f}", flush=True)
            md.append([f"1e-{k}", f"{bits:,}", its,
                       f"refused (needs {refused[0]:,} bits, past the limit of {refused[1]:,})",
                       f"{wall:,.0f} ({cpu:,.0f})", "", ""])
            continue
        best = min(ours)
        print(f"{k:>6} {bits:>7} {n:>10} {best:>11.0f} {wall:>10.0f} {cpu:>10.0f} {best / wall:>8.2f}x "
              f"{best / cpu:>8.2f}x", flush=True)
        md.append([f"1e-{k}", f"{bits:,}", its, f"{best:,.0f}", f"{wall:,.0f} ({cpu:,.0f})",
                   f"**{best / wall:.2f}x**", f"{best / cpu:.2f}x"])
        acceptance[k] = best / wall
    RECORD.add("reference", f"`mandel --center {','.join(REFERENCE_CENTRE)} --scale 1e-K --width 16 --height 12 "
                            f"--max-iter {REFERENCE_MAX_ITER} --kernel perturbation --threads 1 --json` at one rank "
                            "(the centre escapes at the same iteration at every depth), ours "
                            "`reference_orbit_s / reference_iterations` (wall time around the orbit, one thread), "
                            f"beside `scripts/mpfr-orbit.c` (MPFR {versions[0]} on GMP {versions[1]}, `cc -O2`): the "
                            "same z² + c with three squarings from the same decimal centre, for the same number of "
                            "iterations, timed around its loop (wall, and the thread's CPU time). Best of "
                            f"{tries} each, the two run alternately; nanoseconds per iteration. Bits: our "
                            "`precision_bits` are the fixed point's fraction bits (64 a limb; each squaring also "
                            "carries the integer limb and truncates), given to MPFR as its mantissa's bits (as many "
                            "limbs, a floating exponent, rounded to nearest): where a component is between 1/2 and 2 "
                            "both keep about that many significant bits, and below that MPFR keeps more.")
    RECORD.table("reference", ["scale", "bits", "iterations", "ours ns/it", "MPFR ns/it wall (CPU)",
                               "ours / MPFR wall", "ours / MPFR CPU"], md)
    if 10000 in acceptance:
        RECORD.note("reference", f"Issue 21's acceptance asks ours / MPFR wall at most 1.2x at 33,344 bits "
                                 f"(here {acceptance[10000]:.2f}x) and at most 1.5x at about 133,000 bits (1e-40000"
                                 + (f": here {acceptance[40000]:.2f}x)." if 40000 in acceptance else
                                    ": not measured here)." if args.quick else ": refused here)."))


# The serial share's locations (data/locations/) and the rank counts Amdahl's law is applied to.
SERIAL_LOCATIONS = ["1e50", "5e227", "1e1086"]
SERIAL_RANKS = [16, 64, 256]
# Issue 21's acceptance: the share's ceiling, and the reference's length's, by location.
SERIAL_SHARE_MAX = {"5e227": 0.03, "1e1086": 0.08}
SERIAL_ITERATIONS_MAX = {"1e50": 100_000, "5e227": 600_000}


def amdahl(s, p):
    """The speed-up over one rank that a serial share `s` allows at `p` ranks: 1 / (s + (1 - s) / p)."""
    return 1.0 / (s + (1.0 - s) / p)


def serial_share(args, root, runs, tmp):
    """The serial share of a deep render (run only with --only serial): the deep locations at
    1024x1024 (256x256 with --quick), one thread a rank, each at 1 rank and at 2 ranks, best of
    3 runs (1 with --quick). The share s is `reference_s` at 2 ranks (the reference orbit and its
    BLA table: the part that does not shrink with the ranks) over `computing_time_s` at 1 rank
    (the whole render, reference included), and Amdahl's law gives the speed-up over one rank
    that s allows at 16, 64 and 256 ranks, 1 / (s + (1 - s) / p)."""
    side = 256 if args.quick else 1024
    tries = 1 if args.quick else 3
    print(f"\nserial share: {side}x{side}, one thread a rank, best of {tries}; s = reference_s at 2 ranks / "
          "computing_time_s at 1 rank; Amdahl's speed-up 1 / (s + (1 - s) / p)")
    print(f"{'location':9} {'bits':>5} {'ref it':>9} {'1 rank s':>9} {'2 ranks s':>10} {'ref s (2)':>10} "
          f"{'orbit s':>8} {'BLA s':>7} {'share':>7} " + " ".join(f"{'x' + str(p):>6}" for p in SERIAL_RANKS))
    rows, md, verdicts = [], [], []
    for loc in SERIAL_LOCATIONS:
        view = ["--location", os.path.join(root, "data", "locations", f"{loc}.toml"),
                "--width", str(side), "--height", str(side)]
        one = [launch(args, root, 1, 1, "mandel", view)[0] for _ in range(tries)]
        two = [launch(args, root, 2, 1, "mandel", view)[0] for _ in range(tries)]
        computing_1 = min(r["computing_time_s"] for r in one)
        computing_2 = min(r["computing_time_s"] for r in two)
        ref = min(two, key=lambda r: r["reference_s"])  # its orbit and table times go with it
        s = ref["reference_s"] / computing_1
        speedups = [amdahl(s, p) for p in SERIAL_RANKS]
        its, bits = ref["reference_iterations"], ref["precision_bits"]
        print(f"{loc:9} {bits:>5} {its:>9} {computing_1:>9.3f} {computing_2:>10.3f} {ref['reference_s']:>10.3f} "
              f"{ref['reference_orbit_s']:>8.3f} {ref['reference_bla_s']:>7.3f} {100 * s:>6.2f}% "
              + " ".join(f"{x:>6.1f}" for x in speedups), flush=True)
        rows.append({"location": loc, "side": side, "precision_bits": bits, "reference_iterations": its,
                     "computing_time_s_1_rank": f"{computing_1:.4f}", "computing_time_s_2_ranks": f"{computing_2:.4f}",
                     "reference_s_2_ranks": f"{ref['reference_s']:.4f}",
                     "reference_orbit_s_2_ranks": f"{ref['reference_orbit_s']:.4f}",
                     "reference_bla_s_2_ranks": f"{ref['reference_bla_s']:.4f}", "serial_share": f"{s:.5f}",
                     **{f"amdahl_{p}": f"{x:.2f}" for p, x in zip(SERIAL_RANKS, speedups)}})
        md.append([loc, f"{its:,}, {bits:,}", three_digits(computing_1), three_digits(computing_2),
                   f"{ref['reference_s']:.3f} ({ref['reference_orbit_s']:.3f} + {ref['reference_bla_s']:.3f})",
                   f"**{100 * s:.1f}%**"] + [f"{x:.1f}x" for x in speedups])
        if loc in SERIAL_SHARE_MAX:
            limit = SERIAL_SHARE_MAX[loc]
            verdicts.append(f"{loc}'s share at most {100 * limit:.0f}%: {100 * s:.1f}%, "
                            + ("met" if s <= limit else "not met"))
        if loc in SERIAL_ITERATIONS_MAX:
            limit = SERIAL_ITERATIONS_MAX[loc]
            verdicts.append(f"{loc}'s `reference_iterations` at most {limit:,}: {its:,}, "
                            + ("met" if its <= limit else "not met"))
    with open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    print(f"bench: {len(rows)} locations written to {args.out}")
    for v in verdicts:
        print(f"acceptance (issue 21): {v}")
    size_note = "" if side == 1024 else f" (not the issue's 1024x1024: {side}x{side})"
    RECORD.add("serial", f"`mandel --location data/locations/LOC.toml --width {side} --height {side} --threads 1 "
                         f"--json`{size_note}, one thread a rank, at 1 rank and at 2 ranks, best of {tries} "
                         f"run{'s' if tries > 1 else ''} each (the least of each time). The serial share s is "
                         "`reference_s` at 2 ranks (rank 0's time from the start of the reference until it holds "
                         "the orbit and its BLA table, `reference_orbit_s` + `reference_bla_s`, of the run with the "
                         "least `reference_s`; every rank computes the same reference at once, so it does not shrink "
                         "with the ranks) over `computing_time_s` at 1 rank (the whole render, reference included). "
                         "Amdahl's law then bounds the speed-up over one rank at p ranks by 1 / (s + (1 - s) / p); "
                         "the bound assumes the rest divides perfectly, so real runs land below it.")
    RECORD.table("serial", ["location", "reference iterations, bits", "computing s, 1 rank", "computing s, 2 ranks",
                            "reference s at 2 ranks (orbit + BLA)", "serial share s"]
                 + [f"Amdahl at {p} ranks" for p in SERIAL_RANKS], md)
    RECORD.note("serial", "Issue 21's acceptance (1024x1024): `reference_s` at 2 ranks over `computing_time_s` at 1 "
                          "rank at most 3% for 5e227 and at most 8% for 1e1086; `reference_iterations` at most "
                          "600,000 at 5e227 and 100,000 at 1e50. Here: " + "; ".join(verdicts) + ".")


def cities_at_scale(args, root, runs, tmp):
    """dist-cities at scale: uniform random points on the sphere from scripts/gen-cities (and the
    real files given in $CITIES_REAL, colon-separated, e.g. from scripts/fetch-coastline), the
    exact tree against brute force at 100k and 1M points, 1 and 2 ranks, one thread each (the
    tree's answer checked identical to the bit), the tree alone at 10M (wall time, reading
    included, and peak memory per rank); rank 0's reading speed beside pandas.read_csv on the
    same file; and the WGS84 overhead (--earth wgs84 against the sphere, tree)."""
    sizes = [100_000, 1_000_000] if not args.quick else [20_000, 100_000]
    big = 10_000_000 if not args.quick else 1_000_000
    files = []
    for n in sizes + [big]:
        path = os.path.join(tmp, f"uniform-{n}.csv")
        subprocess.run([sys.executable, os.path.join(root, "scripts", "gen-cities"), str(n), "2026", path],
                       check=True, timeout=args.timeout)
        files.append((f"uniform {n:,}", path, n))
    real = [f for f in os.environ.get("CITIES_REAL", "").split(":") if f]
    print(f"\ndist-cities at scale: one thread a rank; brute force is one run, the tree the median of "
          f"{min(runs, 3)}; 'same' compares the distance's bits and the two indices")
    print(f"{'points':22} {'ranks':>5} {'brute s':>9} {'tree s':>8} {'ratio':>7} {'same':>5} {'read s':>7} "
          f"{'MB/s':>6} {'peak MB':>8}")
    answer = lambda r: (r["max_distance_km"], r["farthest"][0]["index"], r["farthest"][1]["index"])
    md = []
    targets = files[:-1] + [(os.path.basename(f), f, None) for f in real]
    for name, path, count in targets:
        size_mb = os.path.getsize(path) / 1e6
        for ranks in (1, 2):
            tree_t, tree_rep, peak = measure(args, root, ranks, 1, "dist-cities",
                                             [path, "--algorithm", "tree"], min(runs, 3))
            brute_rep, _, _ = launch(args, root, ranks, 1, "dist-cities", [path, "--algorithm", "brute"])
            brute_t = brute_rep["computing_time_s"]
            same = "yes" if answer(brute_rep) == answer(tree_rep) else "NO"
            read = tree_rep["read_s"]
            print(f"{name:22} {ranks:>5} {brute_t:>9.2f} {tree_t:>8.3f} {brute_t / tree_t:>6.0f}x {same:>5} "
                  f"{read:>7.3f} {size_mb / read:>6.0f} {peak:>8.0f}", flush=True)
            md.append([name if count else f"{name} ({tree_rep['cities']:,})", ranks, f"{brute_t:.2f}", f"{tree_t:.3f}", f"{brute_t / tree_t:.0f}x", same,
                       f"{read:.3f} ({size_mb / read:.0f})", f"{peak:.0f}"])
    RECORD.add("cities", f"One thread a rank; brute force (the fast kernel) is one run, the tree the median of "
                         f"{min(runs, 3)}; times are `computing_time_s`, building the tree included; \"same\" "
                         "compares the distance's bits and both indices.")
    RECORD.table("cities", ["points", "ranks", "brute force s", "tree s", "tree vs brute", "same", "read s (MB/s)",
                            "peak MB/rank"], md)
    big_runs = []
    name, path, _ = files[-1]
    size_mb = os.path.getsize(path) / 1e6
    for ranks in (1, 2):
        rep, rss, wall = launch(args, root, ranks, 1, "dist-cities", [path])
        print(f"{name} ({size_mb:.0f} MB), {ranks} rank(s), auto ({rep['algorithm']}): wall {wall:.1f} s, "
              f"computing {rep['computing_time_s']:.2f} s, reading {rep['read_s']:.2f} s "
              f"({size_mb / rep['read_s']:.0f} MB/s), peak per rank {max(rss):.0f} MB", flush=True)
        big_runs.append(f"{ranks} rank{'s' if ranks > 1 else ''} {wall:.1f} s wall (computing "
                        f"{rep['computing_time_s']:.2f} s, reading {rep['read_s']:.2f} s), peak {max(rss):.0f} MB per rank")
    RECORD.note("cities", f"**{name.replace('uniform ', '')} uniform points** (a {size_mb:.0f} MB CSV), "
                          f"`--algorithm auto` ({rep['algorithm']}), one run each: " + "; ".join(big_runs) + ".")
    # Reading: rank 0's read_s against pandas on the 1M file.
    name, path, _ = files[-2]
    reading_vs_pandas(args, root, tmp, name, path, "cities")
    # WGS84 overhead on the 1M file, tree, 1 rank.
    sphere, _, _ = measure(args, root, 1, 1, "dist-cities", [path, "--algorithm", "tree"], min(runs, 3))
    wgs, rep, _ = measure(args, root, 1, 1, "dist-cities", [path, "--algorithm", "tree", "--earth", "wgs84"],
                          min(runs, 3))
    print(f"wgs84 on {name}, tree, 1 rank: {wgs:.3f} s against {sphere:.3f} s on the sphere "
          f"(+{100 * (wgs / sphere - 1):.0f}%), {rep['max_distance_m']:.3f} m")
    RECORD.note("cities", f"**WGS84** on the {name.replace('uniform ', '')} uniform points, tree, 1 rank (median of "
                          f"{min(runs, 3)}): {wgs:.3f} s against {sphere:.3f} s on the sphere "
                          f"(+{100 * (wgs / sphere - 1):.0f}%); the geodesic {rep['max_distance_m']:.3f} m.")


def three_digits(x):
    """Seconds to three significant digits, as src/mandel/deep/README.md's table has them."""
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def reading_vs_pandas(args, root, tmp, name, path, part):
    """Rank 0's reading time (JSON read_s, median of 3) beside pandas.read_csv's (best of 3) on
    the same file; pandas is installed privately for the run when it is missing."""
    size_mb = os.path.getsize(path) / 1e6
    ours = statistics.median(launch(args, root, 1, 1, "dist-cities", [path])[0]["read_s"] for _ in range(3))
    code = ("import sys, time, pandas; best = 1e9\n"
            "for _ in range(3):\n"
            "    t = time.perf_counter(); pandas.read_csv(sys.argv[1], usecols=['name', 'latitude', 'longitude'])\n"
            "    best = min(best, time.perf_counter() - t)\n"
            "print(best, pandas.__version__)")
    env = dict(os.environ)
    if subprocess.run([sys.executable, "-c", "import pandas"], capture_output=True).returncode != 0:
        # Not installed: a private copy for this run (pip --target into the bench's temp folder).
        lib = os.path.join(tmp, "pylib")
        print("bench: pandas is not installed; installing a private copy for this run (pip --target)", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", lib, "pandas"],
                       capture_output=True, text=True, timeout=args.timeout)
        env["PYTHONPATH"] = lib + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, timeout=args.timeout,
                          env=env)
    if done.returncode == 0:
        theirs, version = done.stdout.split()
        theirs = float(theirs)
        print(f"reading {name} ({size_mb:.0f} MB): dist-cities {ours:.3f} s ({size_mb / ours:.0f} MB/s, median of 3), "
              f"pandas {version} read_csv {theirs:.3f} s ({size_mb / theirs:.0f} MB/s, best of 3); "
              f"{theirs / ours:.1f}x")
        RECORD.note(part, f"**Reading** {name.replace('uniform ', '')} generated cities ({size_mb:.0f} MB), rank 0's "
                          f"`read_s`: dist-cities {ours:.3f} s ({size_mb / ours:.0f} MB/s, median of 3), pandas "
                          f"{version} `read_csv` of the same three columns {theirs:.3f} s ({size_mb / theirs:.0f} MB/s, "
                          f"best of 3): {theirs / ours:.1f}x.")
    else:
        print(f"reading {name} ({size_mb:.0f} MB): dist-cities {ours:.3f} s ({size_mb / ours:.0f} MB/s); "
              f"pandas not available ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'failed'})")
        RECORD.note(part, f"**Reading** {name.replace('uniform ', '')} generated cities ({size_mb:.0f} MB), rank 0's "
                          f"`read_s`: dist-cities {ours:.3f} s ({size_mb / ours:.0f} MB/s, median of 3); pandas was "
                          "not available.")


def benchmarks_game(args, root, runs, tmp):
    """The Benchmarks Game's Mandelbrot problem, the whole job: compute, stream, encode, write."""
    side = 4000 if args.quick else 16000
    problem = ["--width", str(side), "--height", str(side), "--max-iter", "50",
               "--xmin", "-1.5", "--xmax", "0.5", "--ymin", "-1", "--ymax", "1"]
    png = os.path.join(tmp, "bg.png")
    # MPI's start-up and a trivial render: subtracted from the wall times in the ratios.
    startup = statistics.median(launch(args, root, 1, 1, "mandel", ["--width", "1", "--height", "1"])[2]
                                for _ in range(runs))
    print(f"\nBenchmarks Game problem {side}x{side}, 50 iterations (1x1 render's wall time: {startup:.3f} s,"
          f" subtracted below; ranks unbound so the PNG encoder may use the spare cores)")
    print("ranks  output   compute_s   wall_s  (wall-startup)/compute_no_out  finish_s  rank0_peak_MB  png_MB")
    rows, md = [], []
    for ranks in (1, 2):
        base = None
        for output in ("none", "png"):
            extra = ["--out", png] if output == "png" else []
            results = [launch(args, root, ranks, 1, "mandel", problem + extra, unbound=True) for _ in range(runs)]
            compute = statistics.median(r[0]["computing_time_s"] for r in results)
            wall = statistics.median(r[2] for r in results)
            finish = statistics.median(r[0].get("finish_s", 0.0) for r in results)
            peak0 = max(r[1][0] for r in results if r[1])
            if base is None:
                base = compute
            size = os.path.getsize(png) / 1e6 if output == "png" else 0.0
            ratio = (wall - startup) / base
            rows.append((ranks, output, compute, wall, ratio, finish, peak0, size))
            print(f"{ranks:5}  {output:6} {compute:10.3f} {wall:8.3f}  {ratio:29.2f}  {finish:8.3f}  {peak0:13.1f}"
                  f"  {size:6.1f}", flush=True)
            md.append([ranks, "`--out`" if output == "png" else "none", f"{compute:.3f} s", f"{wall:.3f} s",
                       f"{ratio:.2f}", f"{peak0:.0f} MB", f"{size:.1f} MB" if output == "png" else ""])
    if os.path.exists(png):
        os.unlink(png)
    RECORD.add("game", f"{side}x{side}, 50 iterations, median of {runs} runs, the ranks unbound (so the PNG encoder "
                       "may use a spare core).")
    RECORD.table("game", ["ranks", "output", "`Computing time`", "wall", "(wall - start-up) / no-output `Computing time`",
                          "rank 0 peak", "PNG"], md)
    RECORD.note("game", f"Start-up is a 1x1 render's wall time, {startup:.3f} s (median of {runs}).")
    c_program = os.environ.get("BENCHMARKS_GAME_C")
    if c_program:
        # A Benchmarks Game C program (e.g. its "C gcc #1"), side by side with mandel's 1-rank rows.
        exe = os.path.join(tmp, "bg-c")
        flags = os.environ.get("BENCHMARKS_GAME_CFLAGS", "-O3 -march=native -fopenmp").split()
        subprocess.run(["gcc", *flags, c_program, "-o", exe, "-lm"], check=True)
        c_wall = median_wall(runs, [exe, str(side)], os.path.basename(c_program),
                             env=dict(os.environ, OMP_NUM_THREADS="1"))
        print(f"C program {os.path.basename(c_program)} (1 thread): {c_wall:.3f} s wall; mandel 1 rank,"
              f" no output: Computing time {rows[0][2] / c_wall:.2f}x, wall {rows[0][3] / c_wall:.2f}x of it")
        RECORD.note("game", f"C program `{os.path.basename(c_program)}` (`gcc {' '.join(flags)}`, 1 thread): "
                            f"{c_wall:.3f} s wall; mandel at 1 rank without output: `Computing time` "
                            f"{rows[0][2] / c_wall:.2f}x, wall {rows[0][3] / c_wall:.2f}x of it.")
    else:
        print("(set BENCHMARKS_GAME_C=/path/to/mandelbrot.c, e.g. the Benchmarks Game's C gcc #1 program,"
              " to time it beside these rows)")
    return rows


def big_image(args, root, runs, tmp):
    """The image that does not fit rank 0's memory (never run unless --only big): 48000x48000 at
    20 iterations, 2 ranks, written as a PNG (12000x12000 with --quick), one run: wall time, rank
    peaks, PNG size, then scripts/check-png on the file. Needs the PNG's size free in the temp
    folder ($TMPDIR), a few hundred MB."""
    side = 12000 if args.quick else 48000
    png = os.path.join(tmp, "big.png")
    rep, rss, wall = launch(args, root, 2, 1, "mandel", ["--width", str(side), "--height", str(side),
                                                         "--max-iter", "20", "--out", png])
    size = os.path.getsize(png) / 1e6
    start = time.perf_counter()
    check = subprocess.run([os.path.join(root, "scripts", "check-png"), png], capture_output=True, text=True,
                           timeout=max(args.timeout, 3600))
    check_s = time.perf_counter() - start
    verdict = (check.stdout.strip() or check.stderr.strip()).splitlines()
    verdict = verdict[-1].replace(png, "big.png") if verdict else f"exit {check.returncode}"
    os.unlink(png)
    line = (f"`mpirun -n 2 mandel --width {side} --height {side} --max-iter 20 --out big.png` "
            f"({side * side:,} pixels, {3 * side * side / 1e9:.1f} GB of RGB): {wall:.1f} s wall "
            f"(computing {rep['computing_time_s']:.1f} s), peaks of {rss[0]:.0f} MB on rank 0 and {rss[1]:.0f} MB "
            f"on rank 1, a {size:.0f} MB PNG; `scripts/check-png` ({check_s:.0f} s, exit {check.returncode}): {verdict}")
    print(f"\nbig image: {line}", flush=True)
    RECORD.note("big", line)
    if check.returncode != 0:
        sys.exit(f"bench: scripts/check-png failed on the {side}x{side} PNG:\n{check.stderr}")


if __name__ == "__main__":
    main()

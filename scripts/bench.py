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
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def launch(args, root, ranks, threads, program, prog_args, unbound=False):
    """One run; returns (report dict, list of peak RSS in MB per rank or [], wall seconds)."""
    cmd = [os.environ.get("MPIRUN", "mpirun"), "-n", str(ranks)]
    if (threads > 1 or unbound) and os.environ.get("MPI_FLAVOUR") == "openmpi":
        cmd += ["--bind-to", "none"]  # Open MPI binds each rank to one core otherwise
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    cmd += [os.path.join(target, "release", program)] + prog_args + ["--json", "--threads", str(threads)]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=args.timeout)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{done.stderr}")
    report = json.loads(done.stdout)
    rss = [b / 2**20 for b in report.get("rank_peak_rss_bytes", [])]
    return report, rss, wall


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
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--quick", action="store_true", help="smaller workloads, 3 runs (a smoke test)")
    p.add_argument("--only", choices=["kernels", "game", "deep", "cities", "reading"],
                   help="run only the kernel table, the Benchmarks Game rows, the deep-zoom rows or the "
                        "dist-cities rows at scale (tree against brute force, reading, wgs84) or just "
                        "the reading speed against pandas")
    args = p.parse_args()
    root = args.root
    runs = 3 if args.quick else args.runs
    cities = os.path.join(root, "data", "cities15000.csv")
    tmp = tempfile.mkdtemp(prefix="bench-")
    if args.only == "reading":
        path = os.path.join(tmp, "uniform-1000000.csv")
        subprocess.run([sys.executable, os.path.join(root, "scripts", "gen-cities"), "1000000", "2026", path],
                       check=True, timeout=args.timeout)
        reading_vs_pandas(args, root, tmp, "uniform 1,000,000", path)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    if args.only in ("game", "deep", "cities"):
        {"game": benchmarks_game, "deep": deep_zoom, "cities": cities_at_scale}[args.only](args, root, runs, tmp)
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
        ("dist-cities", "fast", "cities15000.csv", [cities, "--kernel", "fast"], "haversine", "pairs", layouts),
        ("mandel", "scalar", f"default view {side // 4}^2, 1000 it", mandel_small + ["--kernel", "scalar"], None, "pixel-iterations", [(1, 1)]),
        ("mandel", "fast", f"default view {side}^2, 1000 it", mandel_default + ["--kernel", "fast"], "scalar", "pixel-iterations", layouts),
        ("mandel", "scalar", f"no-skip view {side // 8}^2, 1000 it", noskip_small + ["--kernel", "scalar"], None, "pixel-iterations", [(1, 1)]),
        ("mandel", "fast", f"no-skip view {side // 4}^2, 1000 it", noskip_big + ["--kernel", "fast"], "scalar-noskip", "pixel-iterations", [(1, 1)]),
    ]
    rows, ref_rate, one_rank_time = [], {}, {}
    for program, kernel, workload, prog_args, ref, unit, lays in plan:
        for ranks, threads in lays:
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
        return
    bench_dir = os.path.join(tmp, "rfc")
    os.makedirs(os.path.join(bench_dir, "output"), exist_ok=True)  # where it writes, export or not
    # Its own benchmark settings (512x512, no export), from the repository the binary was built in.
    settings = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(rfc)))),
                            "benchmarks", "512.toml")
    if not os.path.exists(settings):
        sys.exit(f"bench: {settings} not found (RUST_FRACTAL should be <repo>/target/release/main)")
    theirs = []
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run([rfc, "-o", settings, loc], cwd=bench_dir, capture_output=True, text=True,
                              env=dict(os.environ, RAYON_NUM_THREADS="1"), timeout=args.timeout)
        theirs.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"bench: rust-fractal-core failed:\n{done.stderr}")
    t = statistics.median(theirs)
    print(f"1e50 at 512x512, 1 process, 1 thread (wall, median of 3): mandel {ours:.2f} s, "
          f"rust-fractal-core {t:.2f} s: mandel is {t / ours:.2f}x as fast")


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
    targets = files[:-1] + [(os.path.basename(f), f, None) for f in real]
    for name, path, _ in targets:
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
    name, path, _ = files[-1]
    size_mb = os.path.getsize(path) / 1e6
    for ranks in (1, 2):
        rep, rss, wall = launch(args, root, ranks, 1, "dist-cities", [path])
        print(f"{name} ({size_mb:.0f} MB), {ranks} rank(s), auto ({rep['algorithm']}): wall {wall:.1f} s, "
              f"computing {rep['computing_time_s']:.2f} s, reading {rep['read_s']:.2f} s "
              f"({size_mb / rep['read_s']:.0f} MB/s), peak per rank {max(rss):.0f} MB", flush=True)
    # Reading: rank 0's read_s against pandas on the 1M file.
    name, path, _ = files[-2]
    reading_vs_pandas(args, root, tmp, name, path)
    # WGS84 overhead on the 1M file, tree, 1 rank.
    sphere, _, _ = measure(args, root, 1, 1, "dist-cities", [path, "--algorithm", "tree"], min(runs, 3))
    wgs, rep, _ = measure(args, root, 1, 1, "dist-cities", [path, "--algorithm", "tree", "--earth", "wgs84"],
                          min(runs, 3))
    print(f"wgs84 on {name}, tree, 1 rank: {wgs:.3f} s against {sphere:.3f} s on the sphere "
          f"(+{100 * (wgs / sphere - 1):.0f}%), {rep['max_distance_m']:.3f} m")


def reading_vs_pandas(args, root, tmp, name, path):
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
    else:
        print(f"reading {name} ({size_mb:.0f} MB): dist-cities {ours:.3f} s ({size_mb / ours:.0f} MB/s); "
              f"pandas not available ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'failed'})")


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
    rows = []
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
    if os.path.exists(png):
        os.unlink(png)
    c_program = os.environ.get("BENCHMARKS_GAME_C")
    if c_program:
        # A Benchmarks Game C program (e.g. its "C gcc #1"), side by side with mandel's 1-rank rows.
        exe = os.path.join(tmp, "bg-c")
        flags = os.environ.get("BENCHMARKS_GAME_CFLAGS", "-O3 -march=native -fopenmp").split()
        subprocess.run(["gcc", *flags, c_program, "-o", exe, "-lm"], check=True)
        walls = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([exe, str(side)], stdout=subprocess.DEVNULL, check=True,
                           env=dict(os.environ, OMP_NUM_THREADS="1"))
            walls.append(time.perf_counter() - start)
        c_wall = statistics.median(walls)
        print(f"C program {os.path.basename(c_program)} (1 thread): {c_wall:.3f} s wall; mandel 1 rank,"
              f" no output: Computing time {rows[0][2] / c_wall:.2f}x, wall {rows[0][3] / c_wall:.2f}x of it")
    else:
        print("(set BENCHMARKS_GAME_C=/path/to/mandelbrot.c, e.g. the Benchmarks Game's C gcc #1 program,"
              " to time it beside these rows)")
    return rows


if __name__ == "__main__":
    main()

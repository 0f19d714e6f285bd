#!/usr/bin/env python3
"""The benchmark behind `scripts/bench`: runs the release binaries under mpirun with --json,
takes the median compute time of several runs, and prints a table (also saved as CSV).

Rates are per core: pairs or pixel-iterations per second divided by ranks x threads (mandel's
computed iterations per second per core in the last column). The reference
kernels (dist-cities --kernel haversine, mandel --kernel scalar) run on a smaller workload of the
same kind and are compared by rate. Peak memory per rank comes from /usr/bin/time when present.
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


def launch(args, root, ranks, threads, program, prog_args):
    """One run; returns (report dict, list of peak RSS in MB per rank or [])."""
    cmd = [os.environ.get("MPIRUN", "mpirun"), "-n", str(ranks)]
    if threads > 1 and os.environ.get("MPI_FLAVOUR") == "openmpi":
        cmd += ["--bind-to", "none"]  # Open MPI binds each rank to one core otherwise
    timer = shutil.which("time", path="/usr/bin")
    rss_file = tempfile.NamedTemporaryFile(prefix="bench-rss-", delete=False).name
    if timer:
        # Each rank's `time` appends one line to the same file (O_APPEND keeps lines whole).
        cmd += [timer, "-a", "-o", rss_file, "-f", "BENCH_MAXRSS_KB %M"]
    cmd += [os.path.join(root, "target", "release", program)] + prog_args + ["--json", "--threads", str(threads)]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=args.timeout)
    if done.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{done.stderr}")
    with open(rss_file) as f:
        rss = [int(l.split()[1]) / 1024 for l in f if l.startswith("BENCH_MAXRSS_KB ")]
    os.unlink(rss_file)
    return json.loads(done.stdout), rss


def measure(args, root, ranks, threads, program, prog_args, runs):
    reports, peak = [], 0.0
    for _ in range(runs):
        report, rss = launch(args, root, ranks, threads, program, prog_args)
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
    args = p.parse_args()
    root = args.root
    runs = 3 if args.quick else args.runs
    cities = os.path.join(root, "data", "cities15000.csv")
    tmp = tempfile.mkdtemp(prefix="bench-")
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
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

//! mandel under mpirun: byte-identical output for every rank count and schedule, counts against
//! independent references (plain Rust here, NumPy in tests/numpy_mandel.py), the file formats,
//! and every bad input.

mod common;

use common::{
    assert_refused_at, launch_with, listing, mpirun_n, outputs, read_counts, read_outputs, root,
    strs, Outcome, SameEveryRun, LAUNCHES,
};
use std::path::Path;
use std::time::Duration;

use mpi_examples::threads::node_cpus;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mandel");

/// The notebook's formula, written out independently of the library.
fn reference_counts(
    xmin: f64,
    xmax: f64,
    ymin: f64,
    ymax: f64,
    w: u32,
    h: u32,
    max_iter: u32,
) -> Vec<u32> {
    let dx = (xmax - xmin) / w as f64;
    let dy = (ymax - ymin) / h as f64;
    let mut out = Vec::with_capacity((w * h) as usize);
    for r in 0..h {
        let ci = ymin + (h - 1 - r) as f64 * dy;
        for j in 0..w {
            let cr = xmin + j as f64 * dx;
            let (mut zr, mut zi) = (0.0f64, 0.0f64);
            let mut n = max_iter;
            for i in 0..max_iter {
                let (nr, ni) = (zr * zr - zi * zi + cr, zr * zi + zi * zr + ci);
                (zr, zi) = (nr, ni);
                if zr * zr + zi * zi >= 4.0 {
                    n = i;
                    break;
                }
            }
            out.push(n);
        }
    }
    out
}

/// Reads mandel's counts file (a version-1.0 `.npy` of `<u4`, checked by `common::read_counts`):
/// returns (shape, values).
fn read_npy(path: &Path) -> ((usize, usize), Vec<u32>) {
    let bytes = std::fs::read(path).expect("npy file");
    let (npy, values) = read_counts(&bytes);
    assert_eq!(npy.shape.len(), 2, "{}", npy.header);
    ((npy.shape[0], npy.shape[1]), values)
}

fn run_ok(ranks: Option<u32>, args: &[&str]) -> Outcome {
    let out = launch_with(BIN, ranks, args);
    out.assert_success();
    out
}

#[test]
fn output_is_byte_identical_for_every_rank_count_and_schedule() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = ["--width", "360", "--height", "240", "--max-iter", "120"];
    for extra in [&[][..], &["--smooth", "--colormap", "magma"][..]] {
        let mut files = SameEveryRun::default();
        for schedule in ["block", "cyclic", "dynamic"] {
            for ranks in LAUNCHES {
                let png = dir.path().join(format!("{schedule}-{ranks:?}.png"));
                let npy = dir.path().join(format!("{schedule}-{ranks:?}.npy"));
                let out = outputs(&png, &npy);
                run_ok(
                    ranks,
                    &[&base[..], extra, &["--schedule", schedule], &strs(&out)].concat(),
                );
                let what = format!("{schedule} at {ranks:?} ranks {extra:?}");
                files.check(read_outputs(&png, &npy), &what);
            }
        }
    }
}

#[test]
fn counts_match_the_plain_formula_and_images_decode() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The default (notebook) view, and an asymmetric zoom with a few hundred iterations.
    let views: [(f64, f64, f64, f64, u32, u32, u32); 2] = [
        (-2.0, 1.0, -1.0, 1.0, 300, 200, 80),
        (-0.75, -0.7, 0.1, 0.14, 400, 320, 500),
    ];
    for (k, &(x0, x1, y0, y1, w, h, it)) in views.iter().enumerate() {
        let npy = dir.path().join(format!("v{k}.npy"));
        let png = dir.path().join(format!("v{k}.png"));
        let (npy_s, png_s) = (npy.display().to_string(), png.display().to_string());
        let nums = [x0, x1, y0, y1].map(|v| v.to_string());
        let (ws, hs, its) = (w.to_string(), h.to_string(), it.to_string());
        let out = run_ok(
            Some(3),
            &[
                "--xmin",
                &nums[0],
                "--xmax",
                &nums[1],
                "--ymin",
                &nums[2],
                "--ymax",
                &nums[3],
                "--width",
                &ws,
                "--height",
                &hs,
                "--max-iter",
                &its,
                "--counts",
                &npy_s,
                "--out",
                &png_s,
                "--json",
            ],
        );
        let (shape, counts) = read_npy(&npy);
        assert_eq!(shape, (h as usize, w as usize));
        let want = reference_counts(x0, x1, y0, y1, w, h, it);
        let differ = counts.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert_eq!(
            differ, 0,
            "view {k}: {differ} counts differ from the plain formula"
        );
        let total: u64 = want.iter().map(|&c| c as u64).sum();
        let v = out.json();
        assert_eq!(v["pixel_iterations"].as_u64(), Some(total));
        let per_rank: u64 = v["rank_pixel_iterations"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|x| x.as_u64())
            .sum();
        assert_eq!(per_rank, total);
        let img = image::open(&png).expect("png decodes").to_rgb8();
        assert_eq!(img.dimensions(), (w, h));
    }
}

#[test]
fn row_zero_is_the_top_of_the_view() {
    // The view's upper half-plane only: the top row is far from the set (large y), the bottom row
    // sits on the real axis, inside the set at x = -0.5.
    let dir = tempfile::tempdir().expect("temp dir");
    let npy = dir.path().join("o.npy");
    let npy_s = npy.display().to_string();
    run_ok(
        Some(2),
        &[
            "--xmin", "-1", "--xmax", "0", "--ymin", "0", "--ymax", "2", "--width", "2",
            "--height", "4", "--counts", &npy_s,
        ],
    );
    let (_, counts) = read_npy(&npy);
    // Rows sample y = 1.5, 1.0, 0.5, 0.0; columns x = -1.0, -0.5.
    assert_eq!(
        counts[6..8],
        [80, 80],
        "bottom row (y = 0) is inside the set: {counts:?}"
    );
    assert!(
        counts[0] < 3 && counts[1] < 3,
        "top row (y = 1.5) escapes at once: {counts:?}"
    );
}

/// The first Python that can import NumPy: `$PYTHON`, then `python3`, then the system's.
fn numpy_python() -> Option<String> {
    let candidates = std::env::var("PYTHON")
        .ok()
        .into_iter()
        .chain(["python3".to_string(), "/usr/bin/python3".to_string()]);
    candidates.into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import numpy"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn counts_match_an_independent_numpy_implementation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let npy = dir.path().join("c.npy");
    let npy_s = npy.display().to_string();
    let view = ["-0.75", "-0.7", "0.1", "0.14", "400", "320", "500"];
    run_ok(
        Some(3),
        &[
            "--xmin",
            view[0],
            "--xmax",
            view[1],
            "--ymin",
            view[2],
            "--ymax",
            view[3],
            "--width",
            view[4],
            "--height",
            view[5],
            "--max-iter",
            view[6],
            "--counts",
            &npy_s,
        ],
    );
    let script = root().join("tests/numpy_mandel.py");
    let python = numpy_python().unwrap_or_else(|| {
        panic!("no Python with NumPy found (tried $PYTHON, python3, /usr/bin/python3): run scripts/setup, which installs it")
    });
    let out = Command::new(&python)
        .arg(&script)
        .arg(&npy)
        .args(view)
        .output()
        .expect("python runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(": 0 of 128000 counts differ"), "{text}");
}

#[test]
fn center_and_scale_give_the_same_view_as_its_corners() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a.npy"), dir.path().join("b.npy"));
    let (a_s, b_s) = (a.display().to_string(), b.display().to_string());
    // Centre -0.5,0 and scale 3 on 300x200: x in [-2, 1), y in [-1, 1), exactly representable.
    run_ok(
        Some(2),
        &[
            "--center", "-0.5,0", "--scale", "3", "--width", "300", "--height", "200", "--counts",
            &a_s,
        ],
    );
    run_ok(
        Some(2),
        &["--width", "300", "--height", "200", "--counts", &b_s],
    );
    assert_eq!(std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
}

#[test]
fn block_is_unbalanced_and_cyclic_balanced_on_the_default_view() {
    let work_balance = |schedule: &str| {
        let v = run_ok(Some(4), &["--schedule", schedule, "--json"]).json();
        assert_eq!(
            (
                v["width"].as_u64(),
                v["height"].as_u64(),
                v["max_iter"].as_u64()
            ),
            (Some(1200), Some(800), Some(80))
        );
        assert_eq!(v["ranks"].as_u64(), Some(4));
        assert_eq!(v["schedule"], schedule);
        assert_eq!(v["rank_compute_s"].as_array().map(Vec::len), Some(4));
        assert!(v["computing_time_s"].as_f64().is_some() && v["load_balance"].as_f64().is_some());
        v["work_balance"].as_f64().expect("work_balance")
    };
    let (block, cyclic) = (work_balance("block"), work_balance("cyclic"));
    assert!(block < 0.8, "block work balance {block}");
    assert!(cyclic > 0.99, "cyclic work balance {cyclic}");
}

#[test]
fn colormap_list_names_the_maps() {
    let out = run_ok(Some(2), &["--colormap", "list"]);
    let names: Vec<&str> = out.stdout.lines().collect();
    for want in ["jet", "gray", "viridis", "magma", "inferno", "turbo"] {
        assert_eq!(
            names.iter().filter(|n| **n == want).count(),
            1,
            "{want} once in {names:?}"
        );
    }
}

#[test]
fn every_bad_input_fails_cleanly_and_leaves_no_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("existing.png"), b"keep me").expect("existing");
    std::fs::write(d.join("afile"), b"").expect("a file");
    let out = |name: &str| d.join(name).display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--width".into(), "0".into()],
            "--width 0 must be at least 1",
        ),
        (
            vec!["--height".into(), "0".into()],
            "--height 0 must be at least 1",
        ),
        (
            vec!["--xmin".into(), "1".into(), "--xmax".into(), "-1".into()],
            "--xmin 1 must be less than --xmax -1",
        ),
        (
            vec!["--ymin".into(), "0.5".into(), "--ymax".into(), "0.5".into()],
            "--ymin 0.5 must be less than --ymax 0.5",
        ),
        (
            vec!["--xmin".into(), "nan".into()],
            "--xmin NaN must be a finite number",
        ),
        (
            vec!["--ymax".into(), "inf".into()],
            "must be a finite number",
        ),
        (vec!["--max-iter".into(), "0".into()], "--max-iter"),
        (vec!["--colormap".into(), "rainbowish".into()], "rainbowish"),
        (vec!["--out".into(), out("set.jpg")], "must end in .png"),
        (vec!["--counts".into(), out("c.txt")], "must end in .npy"),
        (
            vec!["--out".into(), out("nowhere/set.png")],
            "output folder does not exist",
        ),
        (
            vec!["--out".into(), out("afile/set.png")],
            "is a file, not a folder",
        ),
        (
            vec!["--height".into(), "3000000000".into()],
            "the most pixels a PNG side may have",
        ),
        (
            vec![
                "--width".into(),
                "2000000000".into(),
                "--height".into(),
                "1".into(),
            ],
            "rows of 2000000000 pixels need at least",
        ),
        (
            vec![
                "--out".into(),
                out("existing.png"),
                "--width".into(),
                "0".into(),
            ],
            "--width 0",
        ),
    ];
    let before = listing(d);
    let new_png = out("new.png");
    for (args, want) in &cases {
        for ranks in [1, 4] {
            let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
            if !all.contains(&"--out") {
                all.extend_from_slice(&["--out", &new_png]);
            }
            assert_refused_at(BIN, &[ranks], &all, 2, want);
            assert_eq!(
                listing(d),
                before,
                "{args:?} at {ranks} ranks: a file was left behind"
            );
        }
    }
    assert_eq!(
        std::fs::read(d.join("existing.png")).expect("existing"),
        b"keep me"
    );
    // Clap's own refusals (negative size, a missing value) also exit 2.
    for args in [&["--width", "-5"][..], &["--center", "1,2"][..]] {
        let o = mpirun_n(BIN, 4, args);
        assert_eq!(o.code, Some(2), "{args:?}: {}", o.stderr);
    }
}

#[test]
fn a_good_run_replaces_an_existing_file_with_ordinary_permissions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let png = dir.path().join("set.png");
    std::fs::write(&png, b"old").expect("old");
    let png_s = png.display().to_string();
    run_ok(
        Some(2),
        &["--width", "120", "--height", "80", "--out", &png_s],
    );
    let img = image::open(&png).expect("decodes").to_rgb8();
    assert_eq!(img.dimensions(), (120, 80));
    assert_eq!(
        listing(dir.path()),
        vec!["set.png".to_string()],
        "no temporary file left"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&png).expect("meta").permissions().mode() & 0o777;
    // What the umask makes of an ordinary new file, measured the same way.
    let probe = dir.path().join("probe");
    std::fs::write(&probe, b"").expect("probe");
    let ordinary = std::fs::metadata(&probe)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(
        mode, ordinary,
        "mode {mode:o}, an ordinary new file gets {ordinary:o}"
    );
}

#[test]
fn kernels_threads_and_ranks_give_identical_bytes() {
    // A boundary-heavy view with part of the cardioid, so the fast kernel's skip is exercised.
    let dir = tempfile::tempdir().expect("temp dir");
    let view = [
        "--xmin",
        "-0.8",
        "--xmax",
        "-0.2",
        "--ymin",
        "-0.1",
        "--ymax",
        "0.5",
        "--width",
        "203",
        "--height",
        "157",
        "--max-iter",
        "700",
    ];
    // Smooth colouring too: the PNG then shows the smooth values, which the fast kernel gets by
    // replaying each escaped pixel's last block.
    let mut files = SameEveryRun::default();
    let mut computed = Vec::new();
    for (kernel, ranks, threads, schedule) in [
        ("scalar", Some(1), "1", "cyclic"),
        ("fast", Some(1), "1", "cyclic"),
        ("fast", Some(1), "3", "block"),
        ("fast", Some(2), "2", "dynamic"),
        ("fast", Some(3), "1", "cyclic"),
        ("scalar", Some(2), "2", "block"),
        ("fast", None, "2", "cyclic"),
    ] {
        let npy = dir
            .path()
            .join(format!("{kernel}-{ranks:?}-{threads}-{schedule}.npy"));
        let png = npy.with_extension("png");
        let out = outputs(&png, &npy);
        let run = [
            "--kernel",
            kernel,
            "--threads",
            threads,
            "--schedule",
            schedule,
        ];
        let args = [&view[..], &run, &["--smooth", "--json"], &strs(&out)].concat();
        let v = run_ok(ranks, &args).json();
        assert_eq!(v["kernel"], kernel);
        // More threads than the node has CPUs are clamped to them (mpi_examples::threads).
        let want = threads.parse::<usize>().expect("number").min(node_cpus());
        assert_eq!(v["threads"].as_u64(), Some(want as u64));
        computed.push((
            kernel,
            v["computed_iterations"].as_u64().expect("computed"),
            v["pixel_iterations"].as_u64().expect("pixel"),
        ));
        let what = format!("{kernel} {ranks:?}x{threads} {schedule}");
        files.check(read_outputs(&png, &npy), &what);
    }
    // The pixel-iterations never depend on the kernel; the fast kernel computes fewer iterations
    // than the scalar one here because it skips the cardioid.
    assert!(
        computed.windows(2).all(|w| w[0].2 == w[1].2),
        "{computed:?}"
    );
    let (scalar, fast) = (computed[0].1, computed[1].1);
    assert!(fast < scalar, "{computed:?}");
}

#[test]
fn counts_beyond_16_bits_survive_every_rank_count() {
    // Counts travel between ranks as u16 when max_iter allows; beyond that they must stay u32.
    let dir = tempfile::tempdir().expect("temp dir");
    let view = [
        "--xmin", "-0.8", "--xmax", "-0.7", "--ymin", "0.05", "--ymax", "0.15", "--width", "41",
        "--height", "29",
    ];
    let mut counts_every_run = SameEveryRun::default();
    for ranks in [Some(1), Some(3), None] {
        let npy = dir.path().join(format!("{ranks:?}.npy"));
        let npy_s = npy.display().to_string();
        let mut args = view.to_vec();
        args.extend_from_slice(&["--max-iter", "70000", "--counts", &npy_s]);
        run_ok(ranks, &args);
        let (_, counts) = read_npy(&npy);
        assert!(counts.contains(&70000), "some pixels stay in the set");
        counts_every_run.check(counts, &format!("{ranks:?} ranks"));
    }
    let want = reference_counts(-0.8, -0.7, 0.05, 0.15, 41, 29, 70000);
    assert_eq!(counts_every_run.first().expect("ran"), &want);
}

#[test]
fn counts_larger_than_the_disk_are_refused_up_front() {
    // 2e9 x 2e9 counts take 16 EB: no disk has that room, and the run must say so before
    // computing a row (images past 2^31 pixels are fine otherwise; the disk is the limit).
    let dir = tempfile::tempdir().expect("temp dir");
    let npy = dir.path().join("huge.npy");
    let huge = [
        "--width",
        "2000000000",
        "--height",
        "2000000000",
        "--counts",
    ];
    let args = [&huge[..], &[npy.to_str().expect("utf-8")]].concat();
    let want = "output needs 16.00 EB but its folder has";
    for (ranks, o) in assert_refused_at(BIN, &[1, 4], &args, 2, want) {
        assert!(o.error_lines()[0].contains("huge.npy"), "{}", o.stderr);
        assert!(
            o.elapsed.as_secs() < 10,
            "{ranks} ranks: refused only after {:?}",
            o.elapsed
        );
        assert!(!npy.exists());
    }
}

/// `--threads` far above the node's CPUs is clamped to them, with one note from rank 0, at once
/// (4096 threads once took 11-59 s for a 32x24 image), and gives the same bytes as one thread.
#[test]
fn thousands_of_threads_are_clamped_to_the_node_in_a_moment() {
    let dir = tempfile::tempdir().expect("temp dir");
    let [one, many] = ["one.png", "many.png"].map(|name| dir.path().join(name));
    let size = ["--width", "32", "--height", "24"];
    for ranks in [None, Some(2)] {
        run_ok(
            ranks,
            &[&size[..], &["--out", &one.to_string_lossy()]].concat(),
        );
        let out = run_ok(
            ranks,
            &[
                &size[..],
                &[
                    "--threads",
                    "4096",
                    "--json",
                    "--out",
                    &many.to_string_lossy(),
                ],
            ]
            .concat(),
        );
        assert!(
            out.elapsed < Duration::from_secs(5),
            "{ranks:?}: {:?}",
            out.elapsed
        );
        assert_eq!(
            out.json()["threads"].as_u64(),
            Some(node_cpus().min(4096) as u64)
        );
        let notes: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("note: --threads 4096"))
            .collect();
        assert_eq!(notes.len(), 1, "{ranks:?}: {}", out.stderr);
        assert_eq!(
            std::fs::read(&one).expect("png"),
            std::fs::read(&many).expect("png")
        );
    }
    // A refused request says only its one error: the note waits for an accepted one.
    let bad = ["--threads", "4096", "--width", "0"];
    for (ranks, o) in assert_refused_at(BIN, &[1, 4], &bad, 2, "width") {
        assert!(!o.stderr.contains("note:"), "{ranks} ranks: {}", o.stderr);
    }
}

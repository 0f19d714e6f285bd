//! The deep-zoom renderer under mpirun: the same bytes at any rank count, thread count and
//! schedule beyond 1e-300 and at 1e50 (where neighbouring pixels start in lock step); location
//! files of both formats; bad ones refused with one line.

mod common;

use std::path::Path;

use common::{
    assert_refused_at, json_report, launch_with, outputs, read_counts, read_outputs, root, strings,
    strs, SameEveryRun,
};

const BIN: &str = env!("CARGO_BIN_EXE_mandel");

/// `--location data/locations/NAME` and then `view` (size, scale).
fn location_args(name: &str, view: &[&str]) -> Vec<String> {
    let loc = root().join("data/locations").join(name);
    strings(&[&["--location", loc.to_str().unwrap()], view].concat())
}

/// A view 1e-310 wide on the path to rust-fractal-core's 4e533 location: pixel offsets far
/// below f64's range, counts from about 37,000 to 48,000 in some 200 values.
fn deep_args() -> Vec<String> {
    location_args(
        "4e533.toml",
        &["--scale", "1e-310", "--width", "48", "--height", "36"],
    )
}

/// rust-fractal-core's 1e50 location at 45x36 (a width no multiple of the groups of 8 that
/// start in lock step): offsets within f64's range, counts from about 170,000 to 190,000.
fn f64_range_args() -> Vec<String> {
    location_args("1e50.toml", &["--width", "45", "--height", "36"])
}

#[test]
fn deep_views_are_the_same_bytes_at_any_rank_count_thread_count_and_schedule() {
    same_bytes_everywhere(deep_args(), 1063);
}

#[test]
fn f64_range_perturbation_is_the_same_bytes_at_any_rank_count_thread_count_and_schedule() {
    same_bytes_everywhere(f64_range_args(), 300);
}

/// The PNG and `.npy` of the view `view_args` at 1-4 ranks, each with several schedules and
/// thread counts, all the same bytes; the reference at `bits` or more.
fn same_bytes_everywhere(view_args: Vec<String>, bits: u64) {
    let dir = tempfile::tempdir().unwrap();
    let (mut counts_every_run, mut png_every_run) =
        (SameEveryRun::default(), SameEveryRun::default());
    let mut runs = 0;
    for ranks in [Some(1), Some(2), Some(3), Some(4)] {
        for (schedule, threads) in [("cyclic", "1"), ("block", "2"), ("dynamic", "3")] {
            let png = dir.path().join(format!("d{runs}.png"));
            let npy = dir.path().join(format!("d{runs}.npy"));
            let run = ["--schedule", schedule, "--threads", threads, "--json"];
            let out = outputs(&png, &npy);
            let o = launch_with(
                BIN,
                ranks,
                &[&strs(&view_args), &run[..], &strs(&out)].concat(),
            );
            o.assert_success();
            let report = o.json();
            assert_eq!(report["kernel"], "perturbation", "auto picks perturbation");
            assert!(report["precision_bits"].as_u64().unwrap() >= bits);
            assert!(report["reference_s"].as_f64().unwrap() >= 0.0);
            let (png, npy) = read_outputs(&png, &npy);
            if counts_every_run.first().is_none() {
                let (_, counts) = read_counts(&npy);
                let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
                assert!(hi - lo > 20, "the view shows structure ({lo}..{hi})");
            }
            let what = format!("{ranks:?} ranks {schedule} x{threads}");
            counts_every_run.check(npy, &format!("{what}: counts"));
            png_every_run.check(png, &format!("{what}: PNG"));
            runs += 1;
        }
    }
}

/// A `.kfr` in Kalles Fraktaler's layout for the same point as `data/locations/1e14.toml`.
fn write_kfr(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("1e14.kfr");
    let text = "Re: -1.759817130804847813610825010561798238243999999999999999999800\r\n\
                Im: -0.012593310799749865383746631843264858450340000000000000000000\r\n\
                Zoom: 1E14\r\nIterations: 4036\r\nIterationsMin: 0\r\nSmooth: 1\r\n";
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn both_location_formats_render_and_flags_override_them() {
    let dir = tempfile::tempdir().unwrap();
    let toml = root().join("data/locations/1e14.toml");
    let kfr = write_kfr(dir.path());
    for ranks in [Some(1), Some(4)] {
        let j = location_report(ranks, &toml, &[]);
        assert_eq!(j["max_iter"], 4036, "iterations from the file");
        assert_eq!(j["kernel"], "perturbation");
        // rust-fractal-core: S = 4 W / ((H - 1) zoom).
        let s: f64 = j["scale"].as_str().unwrap().parse().unwrap();
        let want = 4.0 * 64.0 / (47.0 * 1e14);
        assert!((s / want - 1.0).abs() < 1e-5, "scale {s} vs {want}");
        let j = location_report(ranks, &kfr, &["--max-iter", "1000", "--scale", "2e-13"]);
        assert_eq!(j["max_iter"], 1000, "--max-iter overrides the file");
        assert_eq!(j["scale"], "2e-13", "--scale overrides the file");
        assert!(j["center_re"]
            .as_str()
            .unwrap()
            .starts_with("-1.7598171308048478136"));
        // Kalles Fraktaler: the image height spans 4 / zoom, S = 4 W / (H zoom).
        let j = location_report(ranks, &kfr, &[]);
        let s: f64 = j["scale"].as_str().unwrap().parse().unwrap();
        let want = 4.0 * 64.0 / (48.0 * 1e14);
        assert!((s / want - 1.0).abs() < 1e-5, "scale {s} vs {want}");
    }
}

/// The JSON report (the run must succeed) of location `file` at 64x48, `extra` flags added.
fn location_report(ranks: Option<u32>, file: &Path, extra: &[&str]) -> serde_json::Value {
    let view = [
        "--location",
        file.to_str().unwrap(),
        "--width",
        "64",
        "--height",
        "48",
    ];
    json_report(BIN, ranks, &[&view[..], extra].concat())
}

#[test]
fn bad_locations_and_impossible_depths_get_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--location".into(),
                file("nozoom.toml", "real = \"-0.75\"\nimag = \"0.1\"\n"),
            ],
            "missing key `zoom`",
        ),
        (
            vec![
                "--location".into(),
                file(
                    "abc.toml",
                    "real = \"abc\"\nimag = \"0.1\"\nzoom = \"1e5\"\n",
                ),
            ],
            "not a decimal number",
        ),
        (
            vec![
                "--location".into(),
                file(
                    "zero.toml",
                    "real = \"-0.75\"\nimag = \"0.1\"\nzoom = \"0\"\n",
                ),
            ],
            "greater than zero",
        ),
        (
            vec![
                "--location".into(),
                file("neg.kfr", "Re: -0.75\r\nIm: 0.1\r\nZoom: -1E50\r\n"),
            ],
            "greater than zero",
        ),
        (
            vec![
                "--location".into(),
                file("noim.kfr", "Re: -0.75\r\nZoom: 1E50\r\n"),
            ],
            "missing key",
        ),
        (
            vec![
                "--location".into(),
                dir.path().join("absent.toml").to_str().unwrap().into(),
            ],
            "cannot read",
        ),
        (
            vec![
                "--center".into(),
                "-0.75,0.1".into(),
                "--scale".into(),
                "0".into(),
            ],
            "greater than zero",
        ),
        (
            vec![
                "--center".into(),
                "-0.75,x".into(),
                "--scale".into(),
                "1e-50".into(),
            ],
            "is not a number",
        ),
        (
            vec![
                "--center".into(),
                "-0.75,0.1".into(),
                "--scale".into(),
                "1e-30000".into(),
            ],
            "past the limit",
        ),
        (
            // A reference of 4e9 iterations would need hundreds of GB.
            vec![
                "--center".into(),
                "-0.75,0.1".into(),
                "--scale".into(),
                "1e-50".into(),
                "--max-iter".into(),
                "4000000000".into(),
            ],
            "lower --max-iter",
        ),
    ];
    for (args, want) in &cases {
        assert_refused_at(BIN, &[1, 4], &strs(args), 2, want);
    }
}

/// A location whose `real` has a million digits renders within seconds (reading it once took
/// seconds of its own, quadratic in the digits), on one rank and on two, and draws exactly what
/// its first digits that can matter draw.
#[test]
fn a_million_digit_location_renders_quickly_and_as_its_digits_that_matter() {
    let dir = tempfile::tempdir().unwrap();
    let digits: String = (0..1_000_000u64)
        .map(|i| char::from(b'0' + ((i * 3 + i / 7) % 10) as u8))
        .collect();
    let write = |name: &str, real: &str| {
        let path = dir.path().join(name);
        let text = format!(
            "real = \"{real}\"\nimag = \"0.1318259042053119\"\nzoom = \"1e90\"\niterations = 300\n"
        );
        std::fs::write(&path, text).unwrap();
        path
    };
    let real = format!("-0.7436438870371587{digits}");
    let long = write("long.toml", &real);
    // 2,000 decimals: far below the view's precision (a few hundred bits).
    let short = write("short.toml", &real[..2003]);
    let png = |name: &str| dir.path().join(name).display().to_string();
    for ranks in [None, Some(2)] {
        let (a, b) = (png("long.png"), png("short.png"));
        for (loc, out) in [(&long, &a), (&short, &b)] {
            let args = [
                "--location",
                loc.to_str().unwrap(),
                "--width",
                "32",
                "--height",
                "24",
            ];
            let o = launch_with(BIN, ranks, &[&args[..], &["--out", out]].concat());
            assert_eq!(o.code, Some(0), "{}", o.stderr);
            assert!(
                o.elapsed < std::time::Duration::from_secs(10),
                "{:?}",
                o.elapsed
            );
        }
        assert_eq!(
            std::fs::read(&a).unwrap(),
            std::fs::read(&b).unwrap(),
            "{ranks:?}"
        );
    }
}

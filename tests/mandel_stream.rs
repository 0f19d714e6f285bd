//! mandel's streaming pipeline under mpirun: the same pixels and counts as the binary before it
//! (digests in tests/golden/mandel.txt), PNG bytes identical across ranks, threads and schedules
//! at every compression level, messages cut to a tiny element count (the path images past 2^31
//! pixels take, without gigabytes), and rank 0's memory bounded for an image taller than a
//! full-image buffer would allow.

mod common;

use std::path::Path;

use common::{launch_env, root, Outcome, LAUNCHES};
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_mandel");

/// One recorded request and its digests.
struct Golden {
    name: String,
    args: Vec<String>,
    npy: String,
    rgb: String,
}

fn goldens() -> Vec<Golden> {
    let text = std::fs::read_to_string(root().join("tests/golden/mandel.txt")).expect("golden");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('|').map(str::trim).collect();
            assert_eq!(f.len(), 4, "{l}");
            Golden {
                name: f[0].into(),
                args: f[1].split_whitespace().map(String::from).collect(),
                npy: f[2].into(),
                rgb: f[3].into(),
            }
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The sha256 of a PNG's decoded RGB bytes (and a check that it is 8-bit RGB).
fn rgb_digest(png: &Path) -> String {
    let img = image::open(png).unwrap_or_else(|e| panic!("{} does not decode: {e}", png.display()));
    assert!(
        matches!(img.color(), image::ColorType::Rgb8),
        "{:?}",
        img.color()
    );
    hex(img.to_rgb8().as_raw())
}

fn run(ranks: Option<u32>, args: &[String], env: &[(&str, &str)]) -> Outcome {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = launch_env(BIN, ranks, &args, env);
    o.assert_success();
    o
}

/// Runs `g` with `extra` arguments and checks both digests.
fn check_golden(g: &Golden, dir: &Path, ranks: Option<u32>, extra: &[&str], env: &[(&str, &str)]) {
    let png = dir.join(format!("{}.png", g.name));
    let npy = dir.join(format!("{}.npy", g.name));
    let mut args = g.args.clone();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend([
        "--out".into(),
        png.display().to_string(),
        "--counts".into(),
        npy.display().to_string(),
    ]);
    run(ranks, &args, env);
    let what = format!("{} at {ranks:?} ranks with {extra:?} {env:?}", g.name);
    assert_eq!(
        hex(&std::fs::read(&npy).expect("npy")),
        g.npy,
        "counts of {what}"
    );
    assert_eq!(rgb_digest(&png), g.rgb, "pixels of {what}");
}

#[test]
fn output_matches_the_digests_recorded_before_streaming() {
    let dir = tempfile::tempdir().expect("temp dir");
    for g in goldens() {
        // Every launch and schedule for a few requests; two launches for the rest.
        let thorough = ["default", "zoom-smooth", "deep-iter", "tall"].contains(&g.name.as_str());
        for schedule in ["block", "cyclic", "dynamic"] {
            for ranks in LAUNCHES {
                let wanted = thorough
                    || matches!((schedule, ranks), ("cyclic", None) | ("dynamic", Some(3)));
                if wanted {
                    check_golden(&g, dir.path(), ranks, &["--schedule", schedule], &[]);
                }
            }
        }
        check_golden(
            &g,
            dir.path(),
            Some(2),
            &["--threads", "3", "--schedule", "block"],
            &[],
        );
    }
}

#[test]
fn messages_cut_to_a_few_elements_give_the_same_bytes() {
    // 1009 elements a message (a prime, no divisor of any width here): every piece and chunk of
    // rows is cut into several messages, as a message past 2^31 elements would be.
    let dir = tempfile::tempdir().expect("temp dir");
    let env = [("MPI_EXAMPLES_MAX_COUNT", "1009")];
    for g in goldens() {
        if !["default-smooth", "deep-iter-smooth", "tall"].contains(&g.name.as_str()) {
            continue;
        }
        for schedule in ["block", "cyclic", "dynamic"] {
            for ranks in [Some(2), Some(4)] {
                check_golden(&g, dir.path(), ranks, &["--schedule", schedule], &env);
            }
        }
    }
}

#[test]
fn png_bytes_are_identical_across_ranks_threads_and_schedules_at_every_level() {
    let dir = tempfile::tempdir().expect("temp dir");
    let view: Vec<String> = "--center -0.7453,0.1127 --scale 0.02 --max-iter 300 --width 517 --height 333 --smooth --colormap turbo"
        .split_whitespace()
        .map(String::from)
        .collect();
    let mut pixels = None;
    let mut sizes = Vec::new();
    for level in ["fast", "default", "best"] {
        let mut reference: Option<Vec<u8>> = None;
        for (ranks, threads, schedule) in [
            (None, "1", "cyclic"),
            (Some(1), "3", "cyclic"),
            (Some(2), "2", "block"),
            (Some(3), "1", "dynamic"),
            (Some(4), "1", "cyclic"),
        ] {
            let png = dir.path().join(format!("{level}.png"));
            let mut args = view.clone();
            args.extend(
                [
                    "--png-compression",
                    level,
                    "--threads",
                    threads,
                    "--schedule",
                    schedule,
                    "--out",
                    &png.display().to_string(),
                ]
                .map(String::from),
            );
            run(ranks, &args, &[]);
            let bytes = std::fs::read(&png).expect("png");
            match &reference {
                None => reference = Some(bytes),
                Some(want) => assert!(
                    *want == bytes,
                    "{level}: {ranks:?} ranks x {threads} threads, {schedule}, differs"
                ),
            }
        }
        let png = dir.path().join(format!("{level}.png"));
        let digest = rgb_digest(&png);
        sizes.push(std::fs::metadata(&png).expect("png").len());
        match &pixels {
            None => pixels = Some(digest),
            Some(want) => assert_eq!(want, &digest, "{level} decodes to other pixels"),
        }
    }
    assert!(
        sizes[2] <= sizes[0],
        "best is no smaller than fast: {sizes:?}"
    );
}

#[test]
fn rank_zero_memory_stays_bounded_for_a_tall_image() {
    // 3000 x 120000 = 3.6e8 pixels: a full-image buffer of counts alone would be 1.44 GB, the RGB
    // image 1.08 GB. Rank 0 holds a window of rows instead.
    const BOUND: u64 = 250 << 20;
    let dir = tempfile::tempdir().expect("temp dir");
    let png = dir.path().join("tall.png");
    let png_s = png.display().to_string();
    for (ranks, schedule) in [
        (None, "cyclic"),
        (Some(3), "cyclic"),
        (Some(3), "dynamic"),
        (Some(2), "block"),
    ] {
        let args: Vec<String> = [
            "--width",
            "3000",
            "--height",
            "120000",
            "--max-iter",
            "3",
            "--xmin",
            "-2",
            "--xmax",
            "1",
            "--ymin",
            "-50",
            "--ymax",
            "50",
            "--schedule",
            schedule,
            "--out",
            &png_s,
            "--json",
        ]
        .map(String::from)
        .to_vec();
        let v = run(ranks, &args, &[]).json();
        let peaks: Vec<u64> = v["rank_peak_rss_bytes"]
            .as_array()
            .expect("peaks")
            .iter()
            .map(|p| p.as_u64().expect("bytes"))
            .collect();
        assert!(peaks[0] > 0, "peak memory not measured: {peaks:?}");
        // Block bands stay on the rank that computed them until rank 0 takes them: only rank 0
        // is bounded there.
        let bounded = if schedule == "block" {
            &peaks[..1]
        } else {
            &peaks[..]
        };
        assert!(
            bounded.iter().all(|&p| p < BOUND),
            "{ranks:?} ranks, {schedule}: peak memory {peaks:?} bytes, bound {BOUND}"
        );
        let header = std::fs::read(&png).expect("png");
        assert_eq!(&header[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(
            &header[16..24],
            &[0, 0, 0x0b, 0xb8, 0, 1, 0xd4, 0xc0],
            "3000 x 120000"
        );
    }
    // The last one decodes, whole: the top rows are outside the set (|y| up to 50), all alike.
    let mut reader = image::ImageReader::open(&png).expect("png");
    reader.no_limits(); // 1.08 GB of pixels: more than the decoder allows by default
    let img = reader.decode().expect("decodes").to_rgb8();
    assert_eq!(img.dimensions(), (3000, 120000));
    assert_eq!(img.get_pixel(0, 0), img.get_pixel(2999, 0));
}

#[test]
fn progress_goes_to_stderr_only_and_never_means_never() {
    // About 5 s of scalar work, so `always` reports at least once (every second) at 3 ranks.
    let base: Vec<String> = "--kernel scalar --width 600 --height 2400 --max-iter 3000 --center -0.7453,0.1127 --scale 0.01"
        .split_whitespace()
        .map(String::from)
        .collect();
    for (ranks, schedule) in [(None, "cyclic"), (Some(2), "dynamic"), (Some(3), "block")] {
        let with = |mode: &str| {
            let mut args = base.clone();
            args.extend(["--schedule", schedule, "--progress", mode].map(String::from));
            run(ranks, &args, &[])
        };
        let (always, never) = (with("always"), with("never"));
        let lines: Vec<&str> = always
            .stderr
            .lines()
            .filter(|l| l.starts_with("mandel: "))
            .collect();
        assert!(
            !lines.is_empty(),
            "{ranks:?} {schedule}: no progress in {:?}",
            always.stderr
        );
        for l in &lines {
            assert!(
                l.contains("/2400 rows, ") && l.contains(" rows/s, ETA "),
                "{l}"
            );
        }
        assert!(!never.stderr.contains("mandel: "), "{}", never.stderr);
        // Stdout is the same report either way (its figures that vary between runs aside).
        let shape = |o: &Outcome| -> Vec<String> {
            o.stdout
                .lines()
                .filter(|l| l.starts_with("Mandelbrot ") || l.starts_with("Ranks: "))
                .chain(
                    o.stdout
                        .lines()
                        .filter_map(|l| l.strip_prefix("Pixel-iterations: ")?.split(' ').next()),
                )
                .map(String::from)
                .collect()
        };
        assert_eq!(shape(&always), shape(&never));
    }
}

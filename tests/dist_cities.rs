//! dist-cities under mpirun: known answers, an independent reference, every rank count, both
//! input layouts, and every bad input.

mod common;

use common::{data, json_report, launch_with, mpirun_n, Outcome, LAUNCHES};
use std::path::Path;

use mpi_examples::threads::node_cpus;

const BIN: &str = env!("CARGO_BIN_EXE_dist-cities");

/// The plainest haversine over every pair of `(lat, lon)` in degrees: the independent reference.
fn reference_farthest(coords: &[(f64, f64)]) -> (usize, usize, f64) {
    let mut best = (0, 0, -1.0);
    for i in 0..coords.len() {
        for j in i + 1..coords.len() {
            let (la1, lo1) = (coords[i].0.to_radians(), coords[i].1.to_radians());
            let (la2, lo2) = (coords[j].0.to_radians(), coords[j].1.to_radians());
            let a = ((la2 - la1) / 2.0).sin().powi(2)
                + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
            let d = 6371.0 * 2.0 * a.sqrt().atan2((1.0 - a).sqrt());
            if d > best.2 {
                best = (i, j, d);
            }
        }
    }
    best
}

/// Reads `data/cities.csv` plainly: (name, country, lat, lon) per row.
fn sample_cities() -> Vec<(String, String, f64, f64)> {
    let mut reader = csv::Reader::from_path(data("cities.csv")).expect("data/cities.csv");
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            (
                r[0].to_owned(),
                r[1].to_owned(),
                r[2].parse().expect("lat"),
                r[3].parse().expect("lon"),
            )
        })
        .collect()
}

fn run_json(ranks: Option<u32>, args: &[&str]) -> serde_json::Value {
    json_report(BIN, ranks, args)
}

/// The parts of a JSON report that must not depend on the rank count: distance bits, the two
/// city indices, the pair count and the two names.
type Answer = (u64, u64, u64, u64, String);

/// Extracts the [`Answer`] of a JSON report.
fn answer(v: &serde_json::Value) -> Answer {
    (
        v["max_distance_km"].as_f64().expect("distance").to_bits(),
        v["farthest"][0]["index"].as_u64().expect("index"),
        v["farthest"][1]["index"].as_u64().expect("index"),
        v["pairs"].as_u64().expect("pairs"),
        v["farthest"][0]["name"].as_str().unwrap_or("").to_owned()
            + "/"
            + v["farthest"][1]["name"].as_str().unwrap_or(""),
    )
}

#[test]
fn sample_file_gives_the_known_answer_at_every_rank_count() {
    let cities = sample_cities();
    let coords: Vec<(f64, f64)> = cities.iter().map(|c| (c.2, c.3)).collect();
    let (ri, rj, rd) = reference_farthest(&coords);
    assert_eq!(
        (cities[ri].0.as_str(), cities[rj].0.as_str()),
        ("Quito", "Pekanbaru")
    );

    let mut answers = Vec::new();
    for ranks in LAUNCHES {
        let out = launch_with(BIN, ranks, &[&data("cities.csv")]);
        out.assert_success();
        assert!(
            out.stdout.contains("Maximum distance: 19983 km\n"),
            "{ranks:?}: {}",
            out.stdout
        );
        assert!(
            out.stdout
                .contains("Farthest pair: Quito (EC) and Pekanbaru (ID)\n"),
            "{}",
            out.stdout
        );
        let want_ranks = ranks.unwrap_or(1);
        assert!(
            out.stdout.contains(&format!(
                "Cities: 1000, pairs: 499500, ranks: {want_ranks}, threads per rank: 1, kernel: fast, algorithm: brute\n"
            )),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with("Computing time: ") && l.ends_with(" sec")),
            "{}",
            out.stdout
        );

        let v = run_json(ranks, &[&data("cities.csv")]);
        assert_eq!(v["ranks"].as_u64(), Some(want_ranks as u64));
        assert_eq!(v["cities"].as_u64(), Some(1000));
        assert_eq!(
            v["rank_compute_s"].as_array().map(Vec::len),
            Some(want_ranks as usize)
        );
        let lb = v["load_balance"].as_f64().expect("load_balance");
        assert!(lb > 0.0 && lb <= 1.0);
        let d = v["max_distance_km"].as_f64().expect("distance");
        assert!((d - rd).abs() < 1e-3, "{d} vs reference {rd}"); // within 1 m
        assert!((d - 19982.978621).abs() < 1e-5, "{d}");
        assert_eq!(v["farthest"][0]["index"].as_u64(), Some(ri as u64));
        assert_eq!(v["farthest"][1]["index"].as_u64(), Some(rj as u64));
        assert_eq!(v["farthest"][0]["country"], "EC");
        answers.push(answer(&v));
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "answers differ across rank counts: {answers:?}"
    );
}

#[test]
fn full_file_gives_the_known_answer() {
    let mut answers = Vec::new();
    for ranks in [2, 3] {
        let out = mpirun_n(BIN, ranks, &[&data("cities15000.csv"), "--json"]);
        out.assert_success();
        let v = out.json();
        assert_eq!(v["cities"].as_u64(), Some(34_006));
        assert_eq!(v["pairs"].as_u64(), Some(578_187_015));
        assert!(
            (v["max_distance_km"].as_f64().expect("d") - 20014.361317).abs() < 1e-5,
            "{v}"
        );
        let names = [
            v["farthest"][0]["name"].as_str(),
            v["farthest"][1]["name"].as_str(),
        ];
        assert_eq!(names, [Some("Hefei"), Some("Las Varillas")]);
        answers.push(answer(&v));
    }
    assert_eq!(answers[0], answers[1]);
}

#[test]
fn units_convert_the_printed_distance() {
    let out = mpirun_n(BIN, 2, &[&data("cities.csv"), "--units", "mi"]);
    out.assert_success();
    assert!(
        out.stdout.contains("Maximum distance: 12417 mi\n"),
        "{}",
        out.stdout
    );
    let v = run_json(Some(2), &[&data("cities.csv"), "--units", "nmi"]);
    assert_eq!(v["units"], "nmi");
    let (km, nmi) = (
        v["max_distance_km"].as_f64().expect("km"),
        v["max_distance"].as_f64().expect("nmi"),
    );
    assert!((km / 1.852 - nmi).abs() < 1e-9);
}

/// Writes the first `rows` sample cities in another layout and checks the answer at 1 and 3 ranks.
fn check_other_layout(
    file_name: &str,
    rows: usize,
    render: impl Fn(&(String, String, f64, f64)) -> String,
    header: &str,
    extra: &[&str],
) {
    let cities = sample_cities();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(file_name);
    let mut text = header.to_owned();
    for c in &cities[..rows] {
        text += &render(c);
    }
    std::fs::write(&path, text).expect("write");
    let coords: Vec<(f64, f64)> = cities[..rows].iter().map(|c| (c.2, c.3)).collect();
    let (ri, rj, rd) = reference_farthest(&coords);
    let path_s = path.display().to_string();
    let mut answers = Vec::new();
    for ranks in [Some(1), Some(3), None] {
        let mut args = vec![path_s.as_str()];
        args.extend_from_slice(extra);
        let v = run_json(ranks, &args);
        assert_eq!(v["cities"].as_u64(), Some(rows as u64));
        assert!((v["max_distance_km"].as_f64().expect("d") - rd).abs() < 1e-3);
        assert_eq!(v["farthest"][0]["index"].as_u64(), Some(ri as u64));
        assert_eq!(v["farthest"][1]["index"].as_u64(), Some(rj as u64));
        assert_eq!(
            v["farthest"][0]["name"].as_str(),
            Some(cities[ri].0.as_str())
        );
        answers.push(answer(&v));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn other_column_names_work() {
    check_other_layout(
        "renamed.csv",
        1000,
        |c| format!("{},{},{},{}\n", c.0, c.2, c.3, c.1),
        "city,lat,lng,country\n",
        &[],
    );
}

#[test]
fn explicit_columns_and_delimiter_work() {
    check_other_layout(
        "custom.tsv",
        300,
        |c| format!("{}\t{}\t{}\n", c.3, c.2, c.0),
        "LongitudeDeg\tLatitudeDeg\tPlace\n",
        &[
            "--delimiter",
            "\\t",
            "--lat-col",
            "LatitudeDeg",
            "--lon-col",
            "longitudedeg",
            "--name-col",
            "Place",
        ],
    );
}

#[test]
fn notebook_txt_layout_works() {
    check_other_layout(
        "cities.txt",
        1000,
        |c| format!("{} {} {}\n", c.2, c.3, c.0),
        "",
        &[],
    );
    // And with --format txt stated, on a file whose name says nothing.
    check_other_layout(
        "cities.dat",
        50,
        |c| format!("{}  {}\t{}\n", c.2, c.3, c.0),
        "",
        &["--format", "txt"],
    );
}

#[test]
fn more_ranks_than_pairs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("two.csv");
    std::fs::write(&path, "name,lat,lon\nNorth,90,0\nSouth,-90,0\n").expect("write");
    let p = path.display().to_string();
    for ranks in [Some(1), Some(4), None] {
        let v = run_json(ranks, &[&p]);
        assert_eq!(v["pairs"].as_u64(), Some(1));
        assert!(
            (v["max_distance_km"].as_f64().expect("d") - std::f64::consts::PI * 6371.0).abs()
                < 1e-6
        );
        assert_eq!(v["farthest"][1]["name"], "South");
    }
}

/// Checks a failed run: refused (exit 2, exactly one line of the program's own naming the
/// problem, nothing on stdout), and fast.
fn assert_bad_input(out: &Outcome, want: &str, what: &str) {
    out.assert_refused(2, want, what);
    // A refusal must be quick, not merely eventual (measured: about 0.4 s at 4 ranks).
    assert!(out.elapsed.as_secs() < 10, "{what}: took {:?}", out.elapsed);
}

#[test]
fn every_bad_input_fails_cleanly_at_1_and_4_ranks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = |name: &str, content: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, content).expect("write");
        p.display().to_string()
    };
    let cases: Vec<(String, &str, &str)> = vec![
        (
            dir.path().join("missing.csv").display().to_string(),
            "cannot read the city file",
            "missing file",
        ),
        (
            file("empty.csv", ""),
            "the city file is empty",
            "empty file",
        ),
        (
            file("header.csv", "name,country,latitude,longitude\n"),
            "need at least two cities, found 0",
            "header only",
        ),
        (
            file("one.csv", "name,lat,lon\nQuito,-0.22985,-78.52495\n"),
            "need at least two cities, found 1",
            "one city",
        ),
        (
            file("text.csv", "name,lat,lon\nA,1,2\nB,north,3\n"),
            "latitude \"north\" is not a number",
            "non-numeric",
        ),
        (
            file("range.csv", "name,lat,lon\nA,1,2\nB,91,3\nC,0,0\n"),
            "latitude 91 is out of range [-90, 90]",
            "out of range",
        ),
        (
            file("nan.csv", "name,lat,lon\nA,1,2\nB,4,NaN\n"),
            "longitude \"NaN\" is not a finite number",
            "NaN",
        ),
        (
            file("nolat.csv", "name,y,lon\nA,1,2\nB,3,4\n"),
            "no latitude column",
            "missing column",
        ),
        (
            file("semi.csv", "name;lat;lon\nA;1;2\nB;3;4\n"),
            "is --delimiter right?",
            "wrong delimiter",
        ),
        (
            file("twice.csv", "name,lat,lon,lat\nA,1,2,3\nB,3,4,5\n"),
            "latitude column \"lat\" appears twice in the header (columns 2 and 4)",
            "a wanted column named twice",
        ),
    ];
    for (path, want, what) in &cases {
        for ranks in [1, 4] {
            let out = mpirun_n(BIN, ranks, &[path]);
            assert_bad_input(&out, want, &format!("{what} at {ranks} ranks"));
            assert!(out.error_lines()[0].contains(
                Path::new(path)
                    .file_name()
                    .and_then(|f| f.to_str())
                    .unwrap_or("?")
            ));
        }
    }
    // The line number is in the message.
    let out = mpirun_n(BIN, 4, &[&cases[5].0]);
    assert!(
        out.error_lines()[0].ends_with("range.csv line 3"),
        "{}",
        out.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    for ranks in [1, 4] {
        let out = mpirun_n(BIN, ranks, &[&data("cities.csv"), "--units", "furlongs"]);
        assert_eq!(out.code, Some(2), "{}", out.stderr);
        assert_eq!(
            out.stderr.matches("invalid value 'furlongs'").count(),
            1,
            "only rank 0 prints: {}",
            out.stderr
        );
    }
    let out = mpirun_n(BIN, 2, &["--help"]);
    out.assert_success();
    assert_eq!(out.stdout.matches("Usage:").count(), 1, "{}", out.stdout);
}

#[test]
fn kernels_threads_and_ranks_agree() {
    // The haversine reference and the fast kernel, over ranks x threads: same pair, and
    // distances within 1 m; each kernel's own answer is identical to the bit everywhere.
    let mut by_kernel: Vec<Vec<Answer>> = Vec::new();
    for kernel in ["haversine", "fast"] {
        let mut answers = Vec::new();
        for (ranks, threads) in [
            (Some(1), "1"),
            (Some(1), "3"),
            (Some(2), "2"),
            (Some(3), "1"),
            (None, "2"),
        ] {
            let v = run_json(
                ranks,
                &[
                    &data("cities.csv"),
                    "--kernel",
                    kernel,
                    "--threads",
                    threads,
                ],
            );
            assert_eq!(v["kernel"], kernel);
            // More threads than the node has CPUs are clamped to them (mpi_examples::threads).
            let want = threads.parse::<usize>().expect("number").min(node_cpus());
            assert_eq!(v["threads"].as_u64(), Some(want as u64));
            answers.push(answer(&v));
        }
        assert!(
            answers.windows(2).all(|w| w[0] == w[1]),
            "{kernel}: {answers:?}"
        );
        by_kernel.push(answers);
    }
    let (h, f) = (&by_kernel[0][0], &by_kernel[1][0]);
    assert_eq!((h.1, h.2, &h.4), (f.1, f.2, &f.4), "same farthest pair");
    assert!(
        (f64::from_bits(h.0) - f64::from_bits(f.0)).abs() < 1e-3,
        "within 1 m"
    );
}

#[test]
fn full_file_with_threads_matches_across_rank_counts() {
    let mut answers = Vec::new();
    for (ranks, threads) in [(1, "2"), (2, "1"), (4, "1")] {
        let v = run_json(
            Some(ranks),
            &[&data("cities15000.csv"), "--threads", threads],
        );
        assert_eq!(v["kernel"], "fast");
        assert!(
            (v["max_distance_km"].as_f64().expect("d") - 20014.361317).abs() < 1e-3,
            "{v}"
        );
        answers.push(answer(&v));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
}

#[test]
fn zero_threads_is_refused() {
    let out = mpirun_n(BIN, 2, &[&data("cities.csv"), "--threads", "0"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
}

#[test]
fn another_mpis_launcher_is_refused_with_a_clear_message() {
    // Built against one MPI, started by the other's mpiexec: every process would be rank 0 of 1
    // and print the same answer N times. The program detects it and stops.
    let out = common::other_family_n(BIN, 3, &[&data("cities.csv")]);
    assert!(!out.timed_out, "hung");
    assert_ne!(out.code, Some(0), "stdout:\n{}", out.stdout);
    assert!(
        !out.stdout.contains("Maximum distance"),
        "computed anyway:\n{}",
        out.stdout
    );
    out.one_error_line(
        "the launcher started 3 processes but MPI sees 1",
        "one message, from the launcher's rank 0",
    );
}

#[test]
fn hostile_inputs_stop_with_one_message_at_1_and_4_ranks() {
    let dir = tempfile::tempdir().expect("temp dir");
    // An endless FIFO: a writer feeds valid rows until the reader goes away.
    let fifo = dir.path().join("endless.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    let fifo_s = fifo.display().to_string();
    let dir_s = dir.path().display().to_string();
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec!["/dev/zero"],
            "line 1 is longer than 1048576 bytes",
            "/dev/zero",
        ),
        (vec![&dir_s], "Is a directory", "a directory"),
        (
            vec![""],
            "a value is required for '[PATH]'",
            "an empty path",
        ),
        (
            vec![&fifo_s, "--max-cities", "5000"],
            "more than 5000 cities (the limit; raise it with --max-cities",
            "an endless FIFO",
        ),
    ];
    for (args, want, what) in &cases {
        for ranks in [1, 4] {
            let writer = (*what == "an endless FIFO").then(|| {
                let path = fifo.clone();
                std::thread::spawn(move || {
                    use std::io::Write;
                    let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path) else {
                        return;
                    };
                    let _ = f.write_all(b"name,lat,lon\n");
                    for k in 0u64.. {
                        if writeln!(f, "c{k},{}.5,{}.25", k % 90, k % 180).is_err() {
                            return; // the reader closed the FIFO
                        }
                    }
                })
            });
            let out = mpirun_n(BIN, ranks, args);
            assert_bad_input(&out, want, &format!("{what} at {ranks} ranks"));
            if let Some(w) = writer {
                w.join().expect("writer ends when the reader closes");
            }
        }
    }
}

#[test]
fn every_rank_reports_its_peak_memory() {
    for ranks in LAUNCHES {
        let v = run_json(ranks, &[&data("cities.csv")]);
        let peaks = v["rank_peak_rss_bytes"].as_array().expect("peaks");
        assert_eq!(peaks.len(), ranks.unwrap_or(1) as usize, "{v}");
        // Anything that ran Rust and MPI holds more than a megabyte and far less than a gigabyte.
        assert!(
            peaks
                .iter()
                .all(|p| p.as_u64().is_some_and(|b| (1 << 20..1 << 30).contains(&b))),
            "{v}"
        );
    }
}

/// `--threads` far above the node's CPUs is clamped to them with one note from rank 0, at once,
/// and finds the same pair (brute force and the tree).
#[test]
fn thousands_of_threads_are_clamped_to_the_node_in_a_moment() {
    for algorithm in ["brute", "tree"] {
        let file = data("cities.csv");
        let want = answer(&run_json(Some(2), &[&file, "--algorithm", algorithm]));
        let args = [
            &file,
            "--algorithm",
            algorithm,
            "--threads",
            "4096",
            "--json",
        ];
        let out = launch_with(BIN, Some(2), &args);
        out.assert_success();
        assert!(
            out.elapsed.as_secs_f64() < 5.0,
            "{algorithm}: {:?}",
            out.elapsed
        );
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
        assert_eq!(answer(&v), want, "{algorithm}");
        assert_eq!(v["threads"].as_u64(), Some(node_cpus().min(4096) as u64));
        let notes = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("note: --threads 4096"));
        assert_eq!(notes.count(), 1, "{algorithm}: {}", out.stderr);
    }
}

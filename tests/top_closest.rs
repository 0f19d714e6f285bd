//! `--top K` and `--closest` under mpirun: the same list, to the last digit, at 1-4 ranks, 1 and
//! 3 threads, tree and brute force, and the list every pair sorted by the kernel's dot gives;
//! and the refusals with the haversine kernel and the ellipsoid.

mod common;

use common::{
    assert_refused_at, cities_file, csv_coords, data, json_report, launch_with, mpirun_n, Lcg,
};
use mpi_examples::cities::UnitVectors;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_dist-cities");

fn json(ranks: Option<u32>, args: &[&str]) -> Value {
    json_report(BIN, ranks, args)
}

/// The `k` best pairs `(i, j)` by the plain definition: every pair, the kernel's dot, sorted
/// (smallest dot first for the farthest, largest for the closest), ties by the pair index.
fn reference(coords: &[f64], k: usize, closest: bool) -> Vec<(u64, u64, f64)> {
    let v = UnitVectors::from_interleaved_degrees(coords);
    let n = v.len();
    let mut all: Vec<(f64, u64, u64)> = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let dot = v.dot(i, j);
            all.push((if closest { -dot } else { dot }, i as u64, j as u64));
        }
    }
    all.sort_by(|a, b| {
        a.0.partial_cmp(&b.0)
            .expect("no NaN")
            .then((a.1, a.2).cmp(&(b.1, b.2)))
    });
    all.truncate(k);
    all.into_iter()
        .map(|(_, i, j)| (i, j, v.distance_km(i as usize, j as usize)))
        .collect()
}

/// A list's pairs and distances.
fn pairs(top: &Value) -> Vec<(u64, u64, f64)> {
    top.as_array()
        .expect("top is a list")
        .iter()
        .map(|p| {
            (
                p["cities"][0]["index"].as_u64().expect("index"),
                p["cities"][1]["index"].as_u64().expect("index"),
                p["distance_km"].as_f64().expect("distance"),
            )
        })
        .collect()
}

/// `--top k` (and with `--closest`) at 1-4 ranks, 1 and 3 threads, tree and brute force: every
/// run prints the same list, which is the reference's (indices exact; kilometres as JSON's
/// decimal text brings them back, within an ulp), and its first pair is the answer.
fn lists_agree(file: &str, coords: &[f64], k: usize, what: &str) {
    for closest in [false, true] {
        let (which, key) = if closest {
            ("closest", "min_distance_km")
        } else {
            ("farthest", "max_distance_km")
        };
        let want = reference(coords, k, closest);
        let k_arg = k.to_string();
        let mut args = vec![file, "--top", &k_arg];
        if closest {
            args.push("--closest");
        }
        let mut first: Option<Value> = None;
        for ranks in [Some(1), Some(2), Some(3), Some(4)] {
            for threads in ["1", "3"] {
                for algorithm in ["tree", "brute"] {
                    let mut a = args.clone();
                    a.extend(["--threads", threads, "--algorithm", algorithm]);
                    let v = json(ranks, &a);
                    let at = format!("{what}, {which}: {ranks:?} ranks x{threads}, {algorithm}");
                    assert_eq!(v["algorithm"], algorithm, "{at}");
                    let got = pairs(&v["top"]);
                    assert_eq!(got.len(), want.len(), "{at}");
                    for (r, (g, w)) in got.iter().zip(&want).enumerate() {
                        assert_eq!((g.0, g.1), (w.0, w.1), "{at}: pair {r}");
                        assert!((g.2 - w.2).abs() <= 4e-12 * w.2.max(1.0), "{at}: pair {r}");
                    }
                    assert_eq!(v[which], v["top"][0]["cities"], "{at}");
                    assert_eq!(v[key], v["top"][0]["distance_km"], "{at}");
                    match &first {
                        None => first = Some(v["top"].clone()),
                        Some(f) => assert_eq!(&v["top"], f, "{at}: not the first run's list"),
                    }
                }
            }
        }
    }
}

/// 2,000 points: uniform, with duplicates spread through the file (groups of 2 to 4, so the
/// closest list starts with zero-distance pairs in pair-index order), and an antipodal pair
/// given twice each, whose four pairs share the farthest dot.
fn random_with_duplicates() -> Vec<(f64, f64)> {
    let mut rng = Lcg(1212);
    let mut points = rng.sphere_points(1984);
    let copies = [5, 5, 5, 100, 100, 7, 1500, 33, 900, 1201, 64, 1777];
    for (k, &c) in copies.iter().enumerate() {
        let p = points[c];
        points.insert((c * 7 + 131 * k) % points.len(), p);
    }
    for (k, p) in [(10.0, 20.0), (-10.0, -160.0), (10.0, 20.0), (-10.0, -160.0)]
        .into_iter()
        .enumerate()
    {
        points.insert(300 + 450 * k, p);
    }
    assert_eq!(points.len(), 2000);
    points
}

#[test]
fn top_and_closest_agree_at_every_rank_and_thread_count_on_random_points_with_duplicates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, coords) = cities_file(dir.path(), "dups.csv", &random_with_duplicates());
    lists_agree(&path, &coords, 40, "2000 points with duplicates");
}

#[test]
fn top_and_closest_agree_at_every_rank_and_thread_count_on_the_sample_file() {
    let file = data("cities.csv");
    lists_agree(&file, &csv_coords(&file, 2, 3), 25, "cities.csv");
}

#[test]
fn top_1_is_the_plain_answer_and_more_than_all_pairs_lists_them_all() {
    let file = data("cities.csv");
    for ranks in [Some(1), Some(3)] {
        for algorithm in ["tree", "brute"] {
            let plain = json(ranks, &[&file, "--algorithm", algorithm]);
            let top1 = json(ranks, &[&file, "--algorithm", algorithm, "--top", "1"]);
            for field in [
                "max_distance_km",
                "max_distance_m",
                "max_distance",
                "farthest",
            ] {
                assert_eq!(
                    top1[field], plain[field],
                    "{field}, {ranks:?} ranks, {algorithm}"
                );
            }
            assert_eq!(top1["top"][0]["cities"], plain["farthest"]);
            assert!(plain.get("top").is_none() && plain.get("closest").is_none());
            // --closest alone: the min fields instead of the max ones, no list.
            let c = json(ranks, &[&file, "--algorithm", algorithm, "--closest"]);
            for gone in [
                "max_distance_km",
                "max_distance_m",
                "max_distance",
                "farthest",
                "top",
            ] {
                assert!(c.get(gone).is_none(), "{gone} with --closest");
            }
            for field in [
                "min_distance_km",
                "min_distance_m",
                "min_distance",
                "closest",
            ] {
                assert!(c.get(field).is_some(), "{field} with --closest");
            }
            assert_eq!(c["cities"], plain["cities"]);
        }
    }
    // 12 points, 3 of them at one place: 66 pairs, all listed for K = 1000.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut points: Vec<(f64, f64)> = (0..9)
        .map(|k| (f64::from(k) * 9.0 - 40.0, f64::from(k) * 37.0 - 170.0))
        .collect();
    points.extend([(1.5, 2.5), (1.5, 2.5), (1.5, 2.5)]);
    let (path, coords) = cities_file(dir.path(), "small.csv", &points);
    lists_agree(&path, &coords, 1000, "12 points");
    let v = json(Some(2), &[&path, "--top", "1000", "--closest"]);
    assert_eq!(v["top"].as_array().map(Vec::len), Some(66));
    assert_eq!(v["min_distance_km"], 0.0);
}

#[test]
fn the_text_report_keeps_its_lines_first_and_lists_the_pairs() {
    let file = data("cities.csv");
    let plain = launch_with(BIN, Some(2), &[&file]);
    plain.assert_success();
    let out = launch_with(BIN, Some(2), &[&file, "--top", "3"]);
    out.assert_success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    let plain_lines: Vec<&str> = plain.stdout.lines().collect();
    assert_eq!(lines.len(), plain_lines.len() + 4, "{}", out.stdout);
    assert_eq!(lines[..2], plain_lines[..2]);
    assert_eq!(lines[plain_lines.len()], "Top 3 farthest pairs:");
    assert!(lines[plain_lines.len() + 1].starts_with("   1. 19982.979 km: Quito (EC) and "));
    let out = launch_with(BIN, Some(2), &[&file, "--closest", "--top", "2"]);
    out.assert_success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("Minimum distance: "), "{}", out.stdout);
    assert!(lines[1].starts_with("Closest pair: "), "{}", out.stdout);
    assert!(lines.contains(&"Top 2 closest pairs:"), "{}", out.stdout);
}

#[test]
fn top_and_closest_are_refused_with_haversine_and_wgs84_with_one_line() {
    let file = data("cities.csv");
    let cases: [(&[&str], &str); 5] = [
        (&["--top", "3", "--earth", "wgs84"], "sphere-only"),
        (&["--closest", "--earth", "wgs84"], "sphere-only"),
        (
            &["--top", "3", "--closest", "--earth", "wgs84"],
            "sphere-only",
        ),
        (
            &["--top", "3", "--kernel", "haversine"],
            "--kernel haversine",
        ),
        (
            &["--closest", "--kernel", "haversine", "--algorithm", "brute"],
            "--kernel haversine",
        ),
    ];
    for (extra, says) in cases {
        assert_refused_at(BIN, &[1, 4], &[&[file.as_str()], extra].concat(), 2, says);
    }
    let out = mpirun_n(BIN, 2, &[&file, "--top", "0"]);
    assert_eq!(out.code, Some(2), "--top 0: {}", out.stderr);
}

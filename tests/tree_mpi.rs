//! The exact tree under mpirun: the brute force's answer, to the bit, at 1-4 ranks and 1-3
//! threads, on random sets, real files and every case that trips trees.

mod common;

use common::{assert_refused_at, cities_file, csv_coords, data, json_report, Lcg};

const BIN: &str = env!("CARGO_BIN_EXE_dist-cities");

/// The answer's bits: distance, the two indices.
fn answer(v: &serde_json::Value) -> (u64, u64, u64) {
    (
        v["max_distance_km"].as_f64().expect("distance").to_bits(),
        v["farthest"][0]["index"].as_u64().expect("index"),
        v["farthest"][1]["index"].as_u64().expect("index"),
    )
}

fn json(ranks: Option<u32>, args: &[&str]) -> serde_json::Value {
    json_report(BIN, ranks, args)
}

/// Brute force at one rank against the tree at 1-4 ranks with 1 and 3 threads.
fn tree_matches_brute_force(file: &str, what: &str) {
    let brute = json(Some(1), &[file, "--algorithm", "brute"]);
    assert_eq!(brute["algorithm"], "brute");
    let want = answer(&brute);
    for ranks in [Some(1), Some(2), Some(3), Some(4)] {
        for threads in ["1", "3"] {
            let v = json(ranks, &[file, "--algorithm", "tree", "--threads", threads]);
            assert_eq!(v["algorithm"], "tree");
            assert!(v["read_s"].as_f64().expect("read_s") >= 0.0);
            assert_eq!(answer(&v), want, "{what}: {ranks:?} ranks x{threads}");
        }
    }
}

#[test]
fn the_tree_gives_the_brute_force_answer_on_random_and_degenerate_sets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rng = Lcg(2026);
    let mut sets: Vec<(&str, Vec<(f64, f64)>)> = Vec::new();
    let uniform = rng.sphere_points(3000);
    sets.push(("3000 uniform points", uniform.clone()));
    sets.push(("two points", vec![(10.0, 20.0), (-10.0, -160.0)]));
    sets.push(("all equal", vec![(51.5, -0.125); 400]));
    let mut dups: Vec<(f64, f64)> = uniform[..60].repeat(15);
    dups.extend(vec![(0.0, 0.0); 50]);
    sets.push(("duplicates", dups));
    let poles: Vec<(f64, f64)> = (0..300)
        .flat_map(|k| {
            let lon = f64::from(k) * 1.2 - 180.0;
            [(90.0, lon), (-90.0, lon), (89.9999, lon)]
        })
        .collect();
    sets.push(("poles", poles));
    let antipodes: Vec<(f64, f64)> = uniform[..500]
        .iter()
        .flat_map(|&(lat, lon)| {
            [
                (lat, lon),
                (-lat, if lon > 0.0 { lon - 180.0 } else { lon + 180.0 }),
            ]
        })
        .collect();
    sets.push(("exact antipodes", antipodes));
    let circle: Vec<(f64, f64)> = (0..1440)
        .map(|k| (0.0, f64::from(k) * 0.25 - 180.0))
        .collect();
    sets.push(("one great circle", circle));
    let clusters: Vec<(f64, f64)> = (0..2000)
        .map(|k| {
            let (a, b) = (rng.next() * 1e-6, rng.next() * 1e-6);
            if k % 2 == 0 {
                (35.0 + a, 139.0 + b)
            } else {
                (-35.0 + a, -41.0 + b)
            }
        })
        .collect();
    sets.push(("two tight antipodal clusters", clusters));
    for (k, (what, points)) in sets.iter().enumerate() {
        let (path, _) = cities_file(dir.path(), &format!("set{k}.csv"), points);
        tree_matches_brute_force(&path, what);
    }
}

#[test]
fn the_tree_gives_the_brute_force_answer_on_the_real_files() {
    for file in ["cities.csv", "cities15000.csv"] {
        tree_matches_brute_force(&data(file), file);
    }
    // From 5,000 cities on, auto takes the tree.
    let v = json(Some(2), &[&data("cities15000.csv")]);
    assert_eq!(v["algorithm"], "tree");
    let v = json(Some(2), &[&data("cities.csv")]);
    assert_eq!(v["algorithm"], "brute");
}

#[test]
fn the_tree_with_the_haversine_kernel_is_refused_with_one_line() {
    let file = data("cities.csv");
    let args = [&file, "--algorithm", "tree", "--kernel", "haversine"];
    assert_refused_at(BIN, &[1, 4], &args, 2, "--algorithm brute");
}

/// `--earth wgs84` at 1-4 ranks, tree and brute force, against Karney's geodesic on every
/// pair (the library's brute-force reference): the same pair, the same bits.
fn wgs84_matches_brute_force(file: &str, coords: &[f64], what: &str) {
    let want = mpi_examples::cities::wgs84::farthest_geodesic_brute(coords);
    for ranks in [Some(1), Some(2), Some(3), Some(4)] {
        for algorithm in ["tree", "brute"] {
            let v = json(ranks, &[file, "--earth", "wgs84", "--algorithm", algorithm]);
            assert_eq!(v["earth"], "wgs84");
            let got = answer(&v);
            assert_eq!(
                (got.1, got.2),
                (want.i as u64, want.j as u64),
                "{what}: {ranks:?} ranks, {algorithm}"
            );
            // JSON's decimal text comes back to within an ulp (serde_json's parser).
            let km = f64::from_bits(got.0);
            assert!(
                (km - want.distance_m / 1000.0).abs() <= 4e-12,
                "{what}: {km} km against {} m",
                want.distance_m
            );
            let m = v["max_distance_m"].as_f64().expect("metres");
            assert!((m - want.distance_m).abs() <= 5e-4, "{what}: {m} m");
        }
    }
}

#[test]
fn wgs84_gives_karneys_farthest_pair_over_every_pair() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The sample file (1000 cities, 499,500 geodesics for the reference).
    let sample = csv_coords(&data("cities.csv"), 2, 3);
    wgs84_matches_brute_force(&data("cities.csv"), &sample, "cities.csv");
    // Random points, duplicates, poles and exact antipodes, where geodesic codes struggle.
    let mut rng = Lcg(84);
    let mut points = rng.sphere_points(1500);
    points.extend([
        (90.0, 0.0),
        (-90.0, 0.0),
        (45.0, 0.0),
        (-45.0, 179.572719),
        (0.0, 0.0),
        (0.0, 180.0),
    ]);
    points.extend(points[..40].to_vec());
    let (path, coords) = cities_file(dir.path(), "hard.csv", &points);
    wgs84_matches_brute_force(&path, &coords, "random and hard pairs");
    // Nearly antipodal pairs give finite, bounded distances.
    for (a, b, c, d) in [
        (45.0, 0.0, -45.0, 179.572719),
        (0.0, 0.0, 0.0, 180.0),
        (90.0, 0.0, -90.0, 0.0),
        (10.0, 20.0, -10.0, -160.0),
    ] {
        let s = mpi_examples::cities::wgs84::geodesic_m(a, b, c, d);
        assert!(
            s.is_finite() && s > 19_900_000.0 && s <= 20_003_931.46,
            "{a},{b} to {c},{d}: {s} m"
        );
    }
}

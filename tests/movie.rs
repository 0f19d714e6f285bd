//! Zoom movies and long jobs: `--frames N --zoom-to S_END` against single renders of every
//! frame's view at 2 and 4 ranks; SIGTERM and SIGKILL mid-movie, then `--resume`; SIGTERM
//! mid-image with `--checkpoint`, then a rerun; SIGTERM with no periodic save due (rank 0 saves
//! what it holds as it ends, at 2 and 4 ranks) and SIGTERM to rank 0 while a frame is finished
//! (that frame is written); and the bad requests, at 1 and 4 ranks.
//!
//! The interrupted runs are started with `common::Running` so that they can be signalled midway;
//! each is bounded by the timeout of every other launch.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{
    alone, assert_refused_at, launcher_may_report_0_for_signalled_ranks, listing, mpirun_command,
    mpirun_n, mpirun_n_env, procs_with, signal, slow_image, strs, Outcome, Running,
};

const BIN: &str = env!("CARGO_BIN_EXE_mandel");

/// The interrupted tests time their signals; they run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The acceptance movie's centre.
const CENTRE: &str = "-0.743643887037151,0.131825904205330";

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Names in `dir` that are temporary files of an atomic write (`.<name>.tmp-<pid>-<n>`).
fn temporaries(dir: &Path) -> Vec<String> {
    listing(dir)
        .into_iter()
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

/// Files in `dir` whose names end in `.ext`, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    listing(dir)
        .into_iter()
        .map(|n| dir.join(n))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect()
}

/// Two new folders in `dir`: `want` for an uninterrupted run's files, `got` for the
/// interrupted one's.
fn want_and_got(dir: &Path) -> (PathBuf, PathBuf) {
    let (want, got) = (dir.join("want"), dir.join("got"));
    std::fs::create_dir(&want).expect("mkdir");
    std::fs::create_dir(&got).expect("mkdir");
    (want, got)
}

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Starts `mandel` under mpirun with `args` and `env`, to be signalled midway; its stderr can be
/// read as it runs (`Running::stderr_path`).
fn start(ranks: u32, args: &[String], env: &[(&str, &str)]) -> Running {
    Running::spawn(mpirun_command(BIN, ranks, &strs(args), env))
}

/// Waits for an interrupted run's end, which must come before the timeout.
fn end(job: Running) -> Outcome {
    let outcome = job.finish();
    assert!(!outcome.timed_out, "timed out: {outcome:?}");
    outcome
}

fn movie_args(frames: u32, size: (u32, u32), iters: u32, zoom: (&str, &str)) -> Vec<String> {
    [
        "--center",
        CENTRE,
        "--scale",
        zoom.0,
        "--zoom-to",
        zoom.1,
        "--frames",
        &frames.to_string(),
        "--width",
        &size.0.to_string(),
        "--height",
        &size.1.to_string(),
        "--max-iter",
        &iters.to_string(),
    ]
    .iter()
    .map(|a| a.to_string())
    .collect()
}

#[test]
fn a_movie_is_its_frames_rendered_alone_at_2_and_4_ranks() {
    let dir = tempfile::tempdir().expect("dir");
    let base = movie_args(24, (64, 48), 600, ("3", "1e-9"));
    let mut reports = Vec::new();
    for ranks in [2, 4] {
        let out = dir.path().join(format!("m{ranks}"));
        std::fs::create_dir(&out).expect("mkdir");
        let mut args = base.clone();
        args.extend([
            "--out".into(),
            s(&out.join("f%03d.png")),
            "--counts".into(),
            s(&out.join("f%03d.npy")),
            "--json".into(),
        ]);
        let o = mpirun_n(BIN, ranks, &strs(&args));
        o.assert_success();
        let j = o.json();
        assert_eq!(j["frames_total"], 24);
        assert_eq!(j["frames_done"], 24);
        assert_eq!(files(&out, "png").len(), 24);
        assert!(temporaries(&out).is_empty());
        reports.push((out, j));
    }
    let frames = reports[0].1["frames"].as_array().expect("frames").clone();
    assert_eq!(frames.len(), 24);
    assert_eq!(frames[0]["scale"], "3");
    assert_eq!(frames[23]["scale"], "1e-9");
    // Geometric in between, each scale a decimal that --scale takes.
    let scales: Vec<f64> = frames
        .iter()
        .map(|f| f["scale"].as_str().expect("scale").parse().expect("number"))
        .collect();
    for (k, &got) in scales.iter().enumerate() {
        let want = 3.0 * (1e-9f64 / 3.0).powf(k as f64 / 23.0);
        assert!((got / want - 1.0).abs() < 1e-12, "frame {k}: {got}");
    }
    let singles = dir.path().join("singles");
    std::fs::create_dir(&singles).expect("mkdir");
    for (k, f) in frames.iter().enumerate() {
        let png = singles.join(format!("s{k:03}.png"));
        let npy = singles.join(format!("s{k:03}.npy"));
        let scale = f["scale"].as_str().expect("scale");
        let o = alone(
            BIN,
            &[
                "--center",
                CENTRE,
                "--scale",
                scale,
                "--width",
                "64",
                "--height",
                "48",
                "--max-iter",
                "600",
                "--out",
                &s(&png),
                "--counts",
                &s(&npy),
            ],
        );
        o.assert_success();
        for (out, _) in &reports {
            assert_eq!(
                bytes(&out.join(format!("f{k:03}.png"))),
                bytes(&png),
                "frame {k} in {}",
                out.display()
            );
            assert_eq!(bytes(&out.join(format!("f{k:03}.npy"))), bytes(&npy));
        }
    }
}

#[test]
fn four_ranks_share_a_ten_frame_movie_evenly() {
    let mut args = movie_args(10, (96, 72), 2000, ("3", "1e-9"));
    args.push("--json".into());
    let o = mpirun_n(BIN, 4, &strs(&args));
    o.assert_success();
    let j = o.json();
    let balance = j["work_balance"].as_f64().expect("balance");
    assert!(balance > 0.9, "work balance {balance}");
    let work = j["rank_pixel_iterations"].as_array().expect("work");
    assert!(work.iter().all(|w| w.as_u64() > Some(0)));
}

/// A movie slow enough to interrupt: about 0.3 s a frame at 2 ranks on 2 cores, so that the
/// second Open MPI's mpirun waits before it passes a SIGTERM on covers a few frames only.
fn slow_movie(out: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "--center",
        "-0.1,0.8",
        "--scale",
        "0.4",
        "--zoom-to",
        "0.02",
        "--frames",
        "12",
        "--width",
        "120",
        "--height",
        "90",
        "--max-iter",
        "240000",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend([
        "--out".into(),
        s(&out.join("f%02d.png")),
        "--counts".into(),
        s(&out.join("f%02d.npy")),
    ]);
    args
}

#[test]
fn a_movie_killed_by_sigterm_and_sigkill_resumes_to_the_same_frames() {
    let _one = serial();
    let dir = tempfile::tempdir().expect("dir");
    let (want, got) = want_and_got(dir.path());
    mpirun_n(BIN, 2, &strs(&slow_movie(&want))).assert_success();
    assert_eq!(files(&want, "png").len(), 12);

    // SIGTERM to the launcher (what SLURM sends) after 3 frames, SIGKILL to the whole job
    // after 3 more.
    let args = slow_movie(&got);
    let mut seen_before = 0;
    for (sig, after) in [(libc::SIGTERM, 3), (libc::SIGKILL, 6)] {
        let mut args = args.clone();
        args.push("--resume".into());
        let mut job = start(2, &args, &[]);
        let running = job.wait_for("frames", || files(&got, "png").len() >= after);
        assert!(running, "the movie ended before the signal");
        if sig == libc::SIGKILL {
            job.signal_group(sig);
        } else {
            signal(job.pid(), sig, "the launcher");
        }
        let o = end(job);
        if sig == libc::SIGKILL || !launcher_may_report_0_for_signalled_ranks() {
            assert_ne!(o.code, Some(0), "an interrupted movie exits non-zero");
        }
        if sig == libc::SIGTERM {
            let text = &o.stderr;
            assert!(
                text.contains("mandel: stopped by SIGTERM; every frame written so far is whole"),
                "{text}"
            );
        }
        let n = files(&got, "png").len();
        assert!(n >= after && n < 12, "{n} frames after the signal");
        assert!(n >= seen_before);
        seen_before = n;
        assert!(temporaries(&got).is_empty(), "{:?}", temporaries(&got));
        // Every frame there is whole and the uninterrupted run's.
        for f in files(&got, "png").iter().chain(&files(&got, "npy")) {
            let name = f.file_name().expect("name");
            assert_eq!(bytes(f), bytes(&want.join(name)), "{}", f.display());
        }
    }
    // A cut frame is rendered again; whole ones are left alone.
    let first = got.join("f00.png");
    let cut = got.join("f01.npy");
    let before = std::fs::metadata(&first)
        .and_then(|m| m.modified())
        .expect("mtime");
    let len = std::fs::metadata(&cut).expect("meta").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&cut)
        .and_then(|f| f.set_len(len - 4))
        .expect("truncate");
    let mut args = args.clone();
    args.extend(["--resume".into(), "--json".into()]);
    let o = mpirun_n(BIN, 2, &strs(&args));
    o.assert_success();
    let j = o.json();
    let skipped = j["frames_skipped"].as_u64().expect("skipped");
    assert_eq!(
        skipped as usize,
        seen_before - 1,
        "the cut frame is not skipped"
    );
    let rendered: Vec<u64> = j["frames"]
        .as_array()
        .expect("frames")
        .iter()
        .filter(|f| f["rendered"] == true)
        .map(|f| f["index"].as_u64().expect("index"))
        .collect();
    assert!(rendered.contains(&1), "{rendered:?}");
    assert!(!rendered.contains(&0), "{rendered:?}");
    let after = std::fs::metadata(&first)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(before, after, "a whole frame is left untouched");
    for f in files(&want, "png").iter().chain(&files(&want, "npy")) {
        let name = f.file_name().expect("name");
        assert_eq!(bytes(f), bytes(&got.join(name)), "{}", f.display());
    }
    assert!(temporaries(&got).is_empty());
}

/// Runs an interrupted image's command again (it must succeed) and checks that it wrote the
/// uninterrupted run's image (`png` against `want`) and removed its checkpoint; its report.
fn rerun_restores_the_image(
    ranks: u32,
    args: &[String],
    env: &[(&str, &str)],
    (png, want): (&Path, &Path),
    cp: &Path,
) -> serde_json::Value {
    let o = mpirun_n_env(BIN, ranks, &strs(args), env);
    o.assert_success();
    assert_eq!(
        bytes(png),
        bytes(want),
        "the image is an uninterrupted run's"
    );
    assert!(
        !cp.exists(),
        "the checkpoint is removed once the image is written"
    );
    o.json()
}

#[test]
fn an_image_killed_by_sigterm_is_finished_from_its_checkpoint() {
    let _one = serial();
    let dir = tempfile::tempdir().expect("dir");
    let want = dir.path().join("want.png");
    let o = mpirun_n(BIN, 2, &strs(&slow_image(&[("--out", &want)], None)));
    o.assert_success();
    let full = o.json()["computing_time_s"].as_f64().expect("time");
    let (png, cp) = (dir.path().join("got.png"), dir.path().join("cp"));
    let args = slow_image(&[("--out", &png)], Some(&cp));
    let env = [("MPI_EXAMPLES_CHECKPOINT_MS", "200")];
    let mut job = start(2, &args, &env);
    let saved = || listing(&cp).iter().any(|n| n.starts_with("rows-"));
    assert!(
        job.wait_for("a saved chunk", saved),
        "the image was done before a chunk was saved"
    );
    signal(job.pid(), libc::SIGTERM, "the launcher");
    let o = end(job);
    if !launcher_may_report_0_for_signalled_ranks() {
        assert_ne!(o.code, Some(0));
    }
    let text = &o.stderr;
    assert!(
        text.contains("mandel: stopped by SIGTERM; the first "),
        "rank 0 says what it saved: {text}"
    );
    assert!(!png.exists(), "no image from an interrupted run");
    assert!(temporaries(dir.path()).is_empty());
    assert!(temporaries(&cp).is_empty());

    let j = rerun_restores_the_image(2, &args, &env, (&png, &want), &cp);
    let restored = j["rows_restored"].as_u64().expect("restored");
    let computed = j["rows_computed"].as_u64().expect("computed");
    assert!(restored > 0 && restored < 300, "{restored} rows restored");
    assert_eq!(restored + computed, 300);
    eprintln!(
        "checkpointed: {restored} rows restored, {computed} computed in {:.2} s (whole image {full:.2} s)",
        j["computing_time_s"].as_f64().unwrap_or(0.0)
    );
}

#[test]
fn bad_movie_requests_get_one_line_and_exit_2_at_1_and_4_ranks() {
    let dir = tempfile::tempdir().expect("dir");
    let d = s(dir.path());
    // A checkpoint saved for another request.
    let cp = dir.path().join("cp");
    std::fs::create_dir(&cp).expect("mkdir");
    std::fs::write(cp.join("request.txt"), "hash 0123456789abcdef\nanother\n").expect("write");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--frames".into(),
                "3".into(),
                "--zoom-to".into(),
                "1e-3".into(),
                "--out".into(),
                format!("{d}/x.png"),
            ],
            "has no %d-style field",
        ),
        (
            vec![
                "--frames".into(),
                "0".into(),
                "--zoom-to".into(),
                "1e-3".into(),
            ],
            "--frames 0",
        ),
        (
            vec![
                "--frames".into(),
                "3".into(),
                "--zoom-to".into(),
                "0".into(),
            ],
            "--zoom-to 0 must be greater than zero",
        ),
        (
            vec![
                "--frames".into(),
                "3".into(),
                "--zoom-to".into(),
                "-1e-5".into(),
            ],
            "must be greater than zero",
        ),
        (
            vec![
                "--out".into(),
                format!("{d}/y.png"),
                "--checkpoint".into(),
                s(&cp),
            ],
            "another request",
        ),
    ];
    for (extra, want) in &cases {
        let mut args = vec![
            "--center".to_string(),
            "-0.5,0".into(),
            "--scale".into(),
            "3".into(),
        ];
        args.extend(extra.iter().cloned());
        assert_refused_at(BIN, &[1, 4], &strs(&args), 2, want);
    }
    assert!(!dir.path().join("y.png").exists());
    assert!(
        cp.join("request.txt").exists(),
        "another request's checkpoint is left alone"
    );
}

/// Rows held by the chunks in a checkpoint folder (`rows-<first>-<end>.bin`).
fn checkpointed_rows(cp: &Path) -> u64 {
    listing(cp)
        .iter()
        .filter_map(|name| {
            let span = name.strip_prefix("rows-")?.strip_suffix(".bin")?;
            let (a, b) = span.split_once('-')?;
            Some(b.parse::<u64>().ok()? - a.parse::<u64>().ok()?)
        })
        .sum()
}

/// SIGTERM with no periodic save due: rank 0 saves the rows it holds as it ends, every rank
/// exits non-zero well inside SLURM's KillWait, nothing half-written is left, and the rerun
/// restores those rows and writes the uninterrupted run's image; at 2 and 4 ranks.
#[test]
fn sigterm_saves_the_rows_received_and_every_rank_ends_at_2_and_4_ranks() {
    let _one = serial();
    let dir = tempfile::tempdir().expect("dir");
    let want = dir.path().join("want.png");
    let mut slow = slow_image(&[("--out", &want)], None);
    let iters = slow.iter().position(|a| a == "--max-iter").expect("iters") + 1;
    // About 7 s at 2 ranks on 2 cores, so a signal 2.5 s in lands mid-image.
    slow[iters] = "900000".into();
    let with_out = |args: &[String], png: &Path, cp: &Path| {
        let mut a = args.to_vec();
        let out = a.iter().position(|x| x == "--out").expect("out") + 1;
        a[out] = s(png);
        a.extend(["--checkpoint".into(), s(cp)]);
        a
    };
    mpirun_n(BIN, 2, &strs(&slow)).assert_success();
    // No periodic save: whatever is saved was saved on the signal.
    let env = [("MPI_EXAMPLES_CHECKPOINT_MS", "100000000")];
    for ranks in [2, 4] {
        let (png, cp) = (
            dir.path().join(format!("got{ranks}.png")),
            dir.path().join(format!("cp{ranks}")),
        );
        let args = with_out(&slow, &png, &cp);
        let mut progress = args.clone();
        progress.extend(["--progress".into(), "always".into()]);
        let mut job = start(ranks, &progress, &env);
        let log = job.stderr_path();
        let marker = s(&cp);
        // Rank 0's progress lines (one a second) say how many rows it has: wait for 30.
        let rows_in = || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            text.lines()
                .filter_map(|l| l.split_whitespace().find_map(|w| w.strip_suffix("/300")))
                .filter_map(|n| n.parse::<u32>().ok())
                .any(|n| n >= 30)
        };
        let running = job.wait_for("30 rows at rank 0", rows_in);
        assert!(running, "the image ended before 30 rows reached rank 0");
        assert_eq!(
            checkpointed_rows(&cp),
            0,
            "a chunk was saved before the signal"
        );
        assert!(!job.has_ended(), "done too soon");
        let sent = Instant::now();
        signal(job.pid(), libc::SIGTERM, "the launcher");
        let o = end(job);
        let (code, took) = (o.code, sent.elapsed());
        if !launcher_may_report_0_for_signalled_ranks() {
            assert_ne!(code, Some(0), "an interrupted image exits non-zero");
        }
        assert!(
            took < Duration::from_secs(30),
            "took {took:?} after SIGTERM"
        );
        let left = procs_with(&marker);
        assert!(
            left.is_empty(),
            "processes left after the launcher: {left:?}"
        );
        assert!(!png.exists(), "no image from an interrupted run");
        assert!(temporaries(dir.path()).is_empty());
        assert!(temporaries(&cp).is_empty(), "{:?}", temporaries(&cp));
        let saved = checkpointed_rows(&cp);
        assert!(
            saved > 0 && saved < 300,
            "{saved} rows saved on SIGTERM at {ranks} ranks (exit {code:?} after {took:?}): {:?}",
            listing(&cp)
        );
        // Rank 0's one line says so (and is what shows the stop where the launcher's status
        // cannot be trusted).
        let text = &o.stderr;
        let line = format!("mandel: stopped by SIGTERM; the first {saved} of 300 rows are saved");
        assert_eq!(
            text.lines().filter(|l| l.starts_with(&line)).count(),
            1,
            "{text}"
        );

        let j = rerun_restores_the_image(ranks, &args, &env, (&png, &want), &cp);
        let restored = j["rows_restored"].as_u64().expect("restored");
        assert_eq!(restored, saved, "the rerun restores every row saved");
        eprintln!(
            "{ranks} ranks: SIGTERM to the launcher, exit {code:?} after {:.2} s, {saved} rows saved",
            took.as_secs_f64()
        );
    }
}

/// SIGTERM straight to rank 0 (as SLURM's step daemon sends it) while it finishes a frame
/// whose rows have all arrived: that frame is written whole before the end, no later frame is
/// begun, every frame there is the uninterrupted run's, and --resume completes the movie.
#[test]
fn sigterm_while_a_frame_is_finished_writes_that_frame() {
    let _one = serial();
    let dir = tempfile::tempdir().expect("dir");
    let (want, got) = want_and_got(dir.path());
    let args = |out: &Path| {
        let mut a = movie_args(12, (64, 48), 600, ("3", "1e-6"));
        a.extend([
            "--out".into(),
            s(&out.join("f%03d.png")),
            "--counts".into(),
            s(&out.join("f%03d.npy")),
        ]);
        a
    };
    mpirun_n(BIN, 2, &strs(&args(&want))).assert_success();
    // Rank 0 spends 800 ms finishing each frame (the frames themselves take milliseconds).
    let env = [("MPI_EXAMPLES_FRAME_FINISH_MS", "800")];
    let mut job = start(2, &args(&got), &env);
    let whole = |k: usize| files(&got, "png").len() > k && files(&got, "npy").len() > k;
    assert!(
        job.wait_for("3 frames", || whole(2)),
        "the movie ended early"
    );
    // Frame 3's 800 ms began as frame 2's files appeared.
    std::thread::sleep(Duration::from_millis(250));
    let marker = s(&got);
    let rank0 = procs_with(&marker)
        .into_iter()
        .find(|p| p.rank == Some(0))
        .expect("rank 0")
        .pid;
    let before = files(&got, "png").len();
    let sent = Instant::now();
    signal(rank0, libc::SIGTERM, "rank 0");
    let o = end(job);
    let (code, took) = (o.code, sent.elapsed());
    if !launcher_may_report_0_for_signalled_ranks() {
        assert_ne!(code, Some(0));
    }
    let text = &o.stderr;
    assert_eq!(
        text.lines()
            .filter(|l| l
                .starts_with("mandel: stopped by SIGTERM; every frame written so far is whole"))
            .count(),
        1,
        "{text}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(procs_with(&marker).is_empty(), "processes left");
    let (pngs, npys) = (files(&got, "png").len(), files(&got, "npy").len());
    assert_eq!(
        (pngs, npys),
        (before + 1, before + 1),
        "the frame being finished is written, and no later one"
    );
    assert!(temporaries(&got).is_empty(), "{:?}", temporaries(&got));
    for f in files(&got, "png").iter().chain(&files(&got, "npy")) {
        let name = f.file_name().expect("name");
        assert_eq!(bytes(f), bytes(&want.join(name)), "{}", f.display());
    }
    eprintln!(
        "SIGTERM to rank 0 while finishing frame {before}: exit {code:?} after {:.2} s, {pngs} frames whole",
        took.as_secs_f64()
    );
    let mut resume = args(&got);
    resume.extend(["--resume".into(), "--json".into()]);
    let o = mpirun_n(BIN, 2, &strs(&resume));
    o.assert_success();
    assert_eq!(o.json()["frames_skipped"].as_u64(), Some(pngs as u64));
    for f in files(&want, "png").iter().chain(&files(&want, "npy")) {
        let name = f.file_name().expect("name");
        assert_eq!(bytes(f), bytes(&got.join(name)), "{}", f.display());
    }
    assert!(temporaries(&got).is_empty());
}

/// The frames' folder is made when missing (the acceptance command writes into `f/` as is), and
/// a refused movie leaves no folder behind.
#[test]
fn a_movie_makes_its_frames_folder_and_a_refused_one_leaves_none() {
    let dir = tempfile::tempdir().expect("dir");
    let ok = dir.path().join("frames");
    let bad = dir.path().join("refused");
    let three_frames = ["--frames", "3", "--zoom-to", "0.5"];
    for ranks in [1, 4] {
        let out = s(&ok.join(format!("r{ranks}-%d.png")));
        let small = ["--width", "32", "--height", "24", "--out", &out];
        mpirun_n(BIN, ranks, &[&three_frames[..], &small].concat()).assert_success();
        assert_eq!(files(&ok, "png").len(), if ranks == 1 { 3 } else { 6 });
        // Refused after the folder would have been made: the wrong extension for the counts.
        let (png, txt) = (s(&bad.join("f%d.png")), s(&bad.join("f%d.txt")));
        let refused = [&three_frames[..], &["--out", &png, "--counts", &txt]].concat();
        assert_refused_at(BIN, &[ranks], &refused, 2, "must end in .npy");
        assert!(!bad.exists(), "a refused movie left its folder");
    }
}

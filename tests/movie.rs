//! Zoom movies and long jobs: `--frames N --zoom-to S_END` against single renders of every
//! frame's view at 2 and 4 ranks; SIGTERM and SIGKILL mid-movie, then `--resume`; SIGTERM
//! mid-image with `--checkpoint`, then a rerun; and the bad requests, at 1 and 4 ranks.
//!
//! The interrupted runs are started here (not through `common::launch`) so that they can be
//! signalled midway; each is bounded by a timeout like every other launch.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{alone, mpirun_command, mpirun_n, mpirun_n_env};

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
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".tmp-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Files in `dir` whose names end in `ext`, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A launch started in its own process group, killed (the whole group) if it outlives
/// `common::TIMEOUT`.
struct Running {
    child: Child,
    start: Instant,
}

impl Running {
    fn start(ranks: u32, args: &[String], env: &[(&str, &str)]) -> Running {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = mpirun_command(BIN, ranks, &args, env);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        Running {
            child: cmd.spawn().expect("launch mpirun"),
            start: Instant::now(),
        }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits until `ready()` or the launch ends; whether it is still running.
    fn wait_for(&mut self, what: &str, ready: impl Fn() -> bool) -> bool {
        loop {
            if ready() {
                return true;
            }
            if self.child.try_wait().expect("wait").is_some() {
                return false;
            }
            assert!(
                self.start.elapsed() < common::TIMEOUT,
                "{what} not seen within {:?}",
                common::TIMEOUT
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the end; the exit code (`None`: killed by a signal).
    fn finish(mut self) -> Option<i32> {
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            if self.start.elapsed() > common::TIMEOUT {
                // SAFETY: killpg(2) only reads its two integer arguments.
                unsafe { libc::killpg(self.pid(), libc::SIGKILL) };
                let _ = self.child.wait();
                panic!("timed out");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
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

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
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

/// A movie slow enough to interrupt: about a second a frame at 2 ranks on 2 cores.
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
        "60000",
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
    let (want, got) = (dir.path().join("want"), dir.path().join("got"));
    std::fs::create_dir(&want).expect("mkdir");
    std::fs::create_dir(&got).expect("mkdir");
    mpirun_n(BIN, 2, &strs(&slow_movie(&want))).assert_success();
    assert_eq!(files(&want, "png").len(), 12);

    // SIGTERM to the launcher (what SLURM sends) after 3 frames, SIGKILL to the whole job
    // after 3 more.
    let args = slow_movie(&got);
    let mut seen_before = 0;
    for (sig, after) in [(libc::SIGTERM, 3), (libc::SIGKILL, 6)] {
        let mut args = args.clone();
        args.push("--resume".into());
        let mut job = Running::start(2, &args, &[]);
        let running = job.wait_for("frames", || files(&got, "png").len() >= after);
        assert!(running, "the movie ended before the signal");
        // SAFETY: kill(2) and killpg(2) only read their two integer arguments.
        unsafe {
            if sig == libc::SIGKILL {
                libc::killpg(job.pid(), sig);
            } else {
                libc::kill(job.pid(), sig);
            }
        }
        let code = job.finish();
        assert_ne!(code, Some(0), "an interrupted movie exits non-zero");
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

/// One image slow enough to interrupt: about 3 s at 2 ranks on 2 cores.
fn slow_image(png: &Path, checkpoint: Option<&Path>) -> Vec<String> {
    let mut args: Vec<String> = [
        "--center",
        "-0.1,0.8",
        "--scale",
        "0.4",
        "--width",
        "400",
        "--height",
        "300",
        "--max-iter",
        "300000",
        "--smooth",
        "--color-scale",
        "log",
        "--json",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend(["--out".into(), s(png)]);
    if let Some(c) = checkpoint {
        args.extend(["--checkpoint".into(), s(c)]);
    }
    args
}

#[test]
fn an_image_killed_by_sigterm_is_finished_from_its_checkpoint() {
    let _one = serial();
    let dir = tempfile::tempdir().expect("dir");
    let want = dir.path().join("want.png");
    let o = mpirun_n(BIN, 2, &strs(&slow_image(&want, None)));
    o.assert_success();
    let full = o.json()["computing_time_s"].as_f64().expect("time");
    let (png, cp) = (dir.path().join("got.png"), dir.path().join("cp"));
    let args = slow_image(&png, Some(&cp));
    let env = [("MPI_EXAMPLES_CHECKPOINT_MS", "200")];
    let mut job = Running::start(2, &args, &env);
    let saved = || {
        std::fs::read_dir(&cp)
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("rows-"))
            })
            .unwrap_or(false)
    };
    assert!(
        job.wait_for("a saved chunk", saved),
        "the image was done before a chunk was saved"
    );
    // SAFETY: kill(2) only reads its two integer arguments.
    unsafe { libc::kill(job.pid(), libc::SIGTERM) };
    assert_ne!(job.finish(), Some(0));
    assert!(!png.exists(), "no image from an interrupted run");
    assert!(temporaries(dir.path()).is_empty());
    assert!(temporaries(&cp).is_empty());

    let o = mpirun_n_env(BIN, 2, &strs(&args), &env);
    o.assert_success();
    let j = o.json();
    let restored = j["rows_restored"].as_u64().expect("restored");
    let computed = j["rows_computed"].as_u64().expect("computed");
    assert!(restored > 0 && restored < 300, "{restored} rows restored");
    assert_eq!(restored + computed, 300);
    assert_eq!(
        bytes(&png),
        bytes(&want),
        "the image is an uninterrupted run's"
    );
    assert!(
        !cp.exists(),
        "the checkpoint is removed once the image is written"
    );
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
        for ranks in [1, 4] {
            let o = mpirun_n(BIN, ranks, &strs(&args));
            assert_eq!(o.code, Some(2), "{args:?} at {ranks}: {o:?}");
            let lines = o.error_lines();
            assert_eq!(lines.len(), 1, "{args:?}: {}", o.stderr);
            assert!(lines[0].contains(want), "{args:?}: {}", lines[0]);
        }
    }
    assert!(!dir.path().join("y.png").exists());
    assert!(
        cp.join("request.txt").exists(),
        "another request's checkpoint is left alone"
    );
}

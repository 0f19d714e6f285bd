//! Faults: a rank killed with SIGKILL, and SIGINT / SIGTERM to the launcher (Ctrl-C, SLURM's time
//! limit), for both programs at 4 ranks. Each checks that the job ends non-zero within a bound
//! (no hang), that no output file appears, that an existing one is unchanged, and that no
//! temporary file (`.<name>.tmp-*`) is left; one test lands SIGTERM (to rank 0 and to the
//! launcher) and SIGKILL (to rank 0) while the output is being written and checks every file is
//! either whole or absent.
//!
//! Exit codes observed on this machine (2 cores), launcher signalled ~2 s into a run:
//!
//! | launcher              | SIGINT | SIGTERM | one rank SIGKILLed |
//! |-----------------------|--------|---------|--------------------|
//! | Open MPI 4.1.4 mpirun | 1      | 1       | non-zero           |
//! | MPICH 4.0.2 mpiexec   | 2 (11) | 15      | non-zero           |
//!
//! Open MPI's mpirun forwards the signal, waits for the ranks (about 1 s), and exits 1 whatever
//! the ranks did. MPICH's mpiexec (hydra) forwards it and exits with the number of the signal that
//! ended the ranks (our handler re-raises it after removing the temporary file). Neither passes
//! 128 + signal through; a rank launched without mpirun ends by the signal itself, which a shell
//! reports as 130 / 143. (Ranks calling `_exit(128 + signal)` instead made MPICH report 9: it
//! SIGKILLs the rest once one rank exits non-zero; so the handler re-raises.) Hydra's code is the
//! bitwise OR of its ranks' raw wait statuses, so when its clean-up SIGKILLs a rank that had not
//! yet handled the forwarded SIGINT, it exits 2 | 9 = 11 (about one SIGINT run in three here).
//! When hydra SIGKILLs every rank before any handles the signal it exits 9. The tests assert the
//! set {1, signal, signal | 9, 9, 128 + signal}.
//!
//! The tests run one at a time (a lock): each starts 4 ranks on a machine that may have 2 cores,
//! and the time bounds assume nothing else of ours is running.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use common::{
    launcher_may_report_0_for_signalled_ranks, listing, mpirun_command, parse_npy, procs_with,
    send_signal, sig_name, signal, Outcome, Proc, Running,
};

/// How long after the kill or the signal the job must have ended.
const BOUND: Duration = Duration::from_secs(15);

/// One fault test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sends `sig` to a process that may have ended by itself meanwhile; returns whether it was
/// still there (ESRCH: gone). Any other failure fails the test.
fn signal_if_alive(pid: u32, sig: libc::c_int, what: &str) -> bool {
    match send_signal(pid, sig) {
        Ok(()) => true,
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => false,
        Err(e) => panic!(
            "cannot send SIG{} to {what} (pid {pid}): {e}",
            sig_name(sig)
        ),
    }
}

/// Whether process `pid` has handlers for SIGINT and SIGTERM (the `SigCgt` mask of
/// /proc/<pid>/status, in hex: bit n-1 stands for signal n).
fn catches_int_and_term(pid: u32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .unwrap_or(0);
    let bit = |sig: libc::c_int| 1u64 << (sig - 1);
    mask & bit(libc::SIGINT) != 0 && mask & bit(libc::SIGTERM) != 0
}

/// A job launched in the background, with the folder its command line names.
struct Job {
    dir: tempfile::TempDir,
    marker: String,
    bin: String,
    running: Option<Running>,
}

impl Job {
    /// Starts `bin` on 4 ranks; `args` builds the arguments from the job's folder.
    fn start(bin: &str, args: impl FnOnce(&Path) -> Vec<String>) -> Job {
        let dir = tempfile::tempdir().expect("temp dir");
        let marker = dir.path().display().to_string();
        let args = args(dir.path());
        assert!(
            args.iter().any(|a| a.contains(&marker)),
            "the command line must name the job's folder, to find its processes"
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let running = Running::spawn(mpirun_command(bin, 4, &args, &[]));
        let bin = Path::new(bin)
            .file_name()
            .expect("binary name")
            .to_string_lossy()
            .into_owned();
        Job {
            dir,
            marker,
            bin,
            running: Some(running),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn finished(&mut self) -> bool {
        self.running.as_mut().is_none_or(Running::has_ended)
    }

    /// Waits until the launcher and all 4 ranks (with their rank numbers) are running, each with
    /// its SIGINT and SIGTERM handlers installed (after MPI's initialisation), so that a signal
    /// sent next meets the program's handlers and not a disposition inherited from whatever
    /// started the tests (a shell's background job ignores SIGINT).
    fn wait_for_ranks(&mut self) -> (Proc, Vec<Proc>) {
        let start = Instant::now();
        loop {
            let procs = procs_with(&self.marker);
            let me = std::process::id();
            let launcher = procs.iter().find(|p| p.ppid == me).cloned();
            let ranks: Vec<Proc> = procs
                .into_iter()
                .filter(|p| p.exe == self.bin && p.rank.is_some())
                .collect();
            if let Some(launcher) = launcher {
                if ranks.len() == 4 && ranks.iter().all(|r| catches_int_and_term(r.pid)) {
                    return (launcher, ranks);
                }
            }
            assert!(
                !self.finished(),
                "the job ended before its 4 ranks were seen"
            );
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "4 ranks of {} with their signal handlers not seen within 30 s",
                self.bin
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the launch to return; returns its outcome and the time since `since`.
    fn finish(&mut self, since: Instant) -> (Outcome, Duration) {
        let outcome = self.running.take().expect("not finished yet").finish();
        (outcome, since.elapsed())
    }

    /// Names in the job's folder, sorted.
    fn listing(&self) -> Vec<String> {
        listing(self.dir.path())
    }
}

impl Drop for Job {
    /// Whatever happened, no process of this job outlives the test. A process may end between
    /// the look in /proc and the kill (ESRCH), which is fine; any other failure to kill fails the
    /// test (reported only, when the test is already failing: a second panic would abort).
    fn drop(&mut self) {
        for p in procs_with(&self.marker) {
            if let Err(e) = send_signal(p.pid, libc::SIGKILL) {
                if e.raw_os_error() == Some(libc::ESRCH) {
                    continue;
                }
                let message = format!(
                    "cannot SIGKILL {} (pid {}) left by the test: {e}",
                    p.exe, p.pid
                );
                if thread::panicking() {
                    eprintln!("{message}");
                } else {
                    panic!("{message}");
                }
            }
        }
        // And the launcher's group, if it is still there (Running's own drop).
        self.running.take();
    }
}

const MANDEL: &str = env!("CARGO_BIN_EXE_mandel");
const CITIES: &str = env!("CARGO_BIN_EXE_dist-cities");
const OLD_PNG: &[u8] = b"an existing set.png that an interrupted run must not touch";

/// mandel at 4 ranks for ~40 s (2 cores), over an existing set.png.
fn start_mandel() -> Job {
    Job::start(MANDEL, |dir| {
        std::fs::write(dir.join("set.png"), OLD_PNG).expect("write set.png");
        [
            "--kernel",
            "scalar",
            "--width",
            "4000",
            "--height",
            "4000",
            "--max-iter",
            "2000",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([
            "--out".to_string(),
            dir.join("set.png").display().to_string(),
            "--counts".to_string(),
            dir.join("c.npy").display().to_string(),
        ])
        .collect()
    })
}

/// dist-cities at 4 ranks for ~12 s (2 cores); the file is reached through a link in the job's
/// folder so the ranks' command lines name it.
fn start_cities() -> Job {
    Job::start(CITIES, |dir| {
        let link = dir.join("cities15000.csv");
        std::os::unix::fs::symlink(common::data("cities15000.csv"), &link).expect("symlink");
        vec![
            "--kernel".into(),
            "haversine".into(),
            link.display().to_string(),
        ]
    })
}

/// What every interrupted mandel job must leave: the old set.png, nothing else.
fn assert_mandel_untouched(job: &Job, outcome: &Outcome) {
    assert_eq!(
        job.listing(),
        ["set.png"],
        "a new or temporary file was left\nstderr:\n{}",
        outcome.stderr
    );
    assert_eq!(
        std::fs::read(job.path("set.png")).expect("read set.png"),
        OLD_PNG,
        "the existing output was changed"
    );
}

fn assert_cities_untouched(job: &Job, outcome: &Outcome) {
    assert_eq!(
        job.listing(),
        ["cities15000.csv"],
        "a file was left\nstderr:\n{}",
        outcome.stderr
    );
}

/// Kills one non-root rank with SIGKILL after `after`; checks the job ends non-zero in time.
fn kill_a_rank(job: &mut Job, after: Duration) -> Outcome {
    let (_, ranks) = job.wait_for_ranks();
    thread::sleep(after);
    assert!(!job.finished(), "the workload ended before the fault");
    let victim = ranks
        .iter()
        .find(|p| p.rank == Some(2))
        .expect("a rank 2 process");
    signal(victim.pid, libc::SIGKILL, "rank 2");
    let killed = Instant::now();
    let (outcome, took) = job.finish(killed);
    assert!(!outcome.timed_out, "hang: {outcome:?}");
    assert!(took < BOUND, "took {took:?} after the kill: {outcome:?}");
    assert!(
        matches!(outcome.code, Some(c) if c != 0),
        "exit {:?} after a rank was killed\nstderr:\n{}",
        outcome.code,
        outcome.stderr
    );
    eprintln!(
        "rank 2 of {} SIGKILLed: exit {:?} after {took:?}",
        job.bin, outcome.code
    );
    outcome
}

/// Sends `sig` (SIGINT or SIGTERM) to the launcher after `after`; checks the exit code says so.
fn interrupt_launcher(job: &mut Job, sig: libc::c_int, after: Duration) -> Outcome {
    let (launcher, _) = job.wait_for_ranks();
    thread::sleep(after);
    assert!(!job.finished(), "the workload ended before the signal");
    signal(launcher.pid, sig, "the launcher");
    let sent = Instant::now();
    let (outcome, took) = job.finish(sent);
    let name = sig_name(sig);
    assert!(!outcome.timed_out, "hang: {outcome:?}");
    assert!(took < BOUND, "took {took:?} after SIG{name}: {outcome:?}");
    let number = sig;
    // Open MPI 4.1 exits 1. MPICH's hydra exits with the bitwise OR of its ranks' raw wait
    // statuses: the signal's number when every rank died of it, `number | 9` when hydra's
    // clean-up SIGKILLed a rank before that rank had handled the forwarded signal (SIGINT gives
    // 2 | 9 = 11; SIGTERM gives 15 | 9 = 15), and 9 when it SIGKILLed every rank first (seen once
    // in four runs of the suite on the minimal base, after SIGTERM). 128 + signal would be a
    // launcher passing a shell-style code through. Never 0: the job did not finish its work.
    let allowed = [1, number, number | 9, 9, 128 + number];
    // MPICH's hydra before 4.2.3 can report 0 for ranks that died of the signal
    // (pmodels/mpich#7057): there rank 0's own line must show the stop instead.
    let said = outcome.stderr.contains(&format!("stopped by SIG{name}"));
    let hydra_zero = outcome.code == Some(0) && said && launcher_may_report_0_for_signalled_ranks();
    assert!(
        matches!(outcome.code, Some(c) if allowed.contains(&c)) || hydra_zero,
        "exit {:?} after SIG{name} to {} (want one of {allowed:?})\nstderr:\n{}",
        outcome.code,
        launcher.exe,
        outcome.stderr
    );
    eprintln!(
        "SIG{name} to {} running {}: exit {:?} after {took:?}",
        launcher.exe, job.bin, outcome.code
    );
    outcome
}

/// The programs the fault tests interrupt, each with its workload and what it must leave.
#[derive(Clone, Copy)]
enum Program {
    Mandel,
    Cities,
}

/// The faults: a non-root rank SIGKILLed, or SIGINT / SIGTERM to the launcher.
#[derive(Clone, Copy)]
enum Fault {
    KillRank2,
    ToLauncher(libc::c_int),
}

/// Starts `program`'s workload at 4 ranks, injects `fault` 1.5 s after the ranks are up, and
/// checks the end (in time, with the exit code the fault gives) and what is left in its folder.
fn fault_leaves_no_file(program: Program, fault: Fault) {
    let _serial = serial();
    let mut job = match program {
        Program::Mandel => start_mandel(),
        Program::Cities => start_cities(),
    };
    let after = Duration::from_millis(1500);
    let outcome = match fault {
        Fault::KillRank2 => kill_a_rank(&mut job, after),
        Fault::ToLauncher(sig) => interrupt_launcher(&mut job, sig, after),
    };
    match program {
        Program::Mandel => assert_mandel_untouched(&job, &outcome),
        Program::Cities => assert_cities_untouched(&job, &outcome),
    }
}

/// One `#[test]` per (program, fault), each named for what it checks.
macro_rules! fault_tests {
    ($($name:ident: $program:ident, $fault:expr;)*) => {
        $(
            #[test]
            fn $name() {
                fault_leaves_no_file(Program::$program, $fault);
            }
        )*
    };
}

fault_tests! {
    mandel_survives_a_killed_rank: Mandel, Fault::KillRank2;
    dist_cities_survives_a_killed_rank: Cities, Fault::KillRank2;
    mandel_sigint_to_launcher: Mandel, Fault::ToLauncher(libc::SIGINT);
    mandel_sigterm_to_launcher: Mandel, Fault::ToLauncher(libc::SIGTERM);
    dist_cities_sigint_to_launcher: Cities, Fault::ToLauncher(libc::SIGINT);
    dist_cities_sigterm_to_launcher: Cities, Fault::ToLauncher(libc::SIGTERM);
}

/// Whether a `.npy` file of counts is whole: a header of shape `(height, width)` whose
/// elements account for exactly the bytes after it.
fn npy_is_whole(bytes: &[u8], width: usize, height: usize) -> bool {
    parse_npy(bytes).is_ok_and(|npy| npy.shape == [height, width] && npy.is_whole())
}

/// The signal lands while the counts and the image are being written (the job's folder holds a
/// non-empty temporary file): whatever the moment, each output is whole or absent, and no
/// temporary file is left. SIGTERM goes to the launcher (Ctrl-C, `scancel` of mpirun) or straight
/// to rank 0 (what SLURM's step daemon does at the time limit); the launcher forwards it late
/// (Open MPI after about 1 s), so only the direct signal surely lands inside the write, and
/// then nothing at all may be left: that proves the handler removed the temporary file.
#[test]
fn signals_while_writing_leave_whole_files_or_none() {
    let _serial = serial();
    let (width, height) = (8000, 6000);
    // (signal rank 0 itself, or the launcher; which signal; delay after rank 0 is first seen
    // writing); writing the 192 MB of counts takes about 1 s here. SIGKILL cannot be caught: only
    // a file without a name while it is written (O_TMPFILE) leaves nothing then.
    let unnamed_files = unnamed_files_work(&std::env::temp_dir());
    for (to_rank0, sig, delay_ms) in [
        (true, libc::SIGTERM, 0u64),
        (true, libc::SIGTERM, 150),
        (false, libc::SIGTERM, 0),
        (false, libc::SIGTERM, 500),
        (true, libc::SIGKILL, 0),
        (true, libc::SIGKILL, 300),
    ] {
        let name = sig_name(sig);
        // A test that cannot do its job fails: without unnamed files the writer falls back to
        // named temporary files, which no process can remove once it is SIGKILLed.
        assert!(
            sig != libc::SIGKILL || unnamed_files,
            "O_TMPFILE does not work in {}, so the SIGKILL cases cannot be checked: set TMPDIR \
             to a local file system (ext4, xfs, btrfs, tmpfs, overlayfs)",
            std::env::temp_dir().display()
        );
        let mut job = Job::start(MANDEL, |dir| {
            vec![
                "--kernel".into(),
                "fast".into(),
                "--max-iter".into(),
                "1".into(),
                "--width".into(),
                width.to_string(),
                "--height".into(),
                height.to_string(),
                "--out".into(),
                dir.join("big.png").display().to_string(),
                "--counts".into(),
                dir.join("big.npy").display().to_string(),
            ]
        });
        let (launcher, ranks) = job.wait_for_ranks();
        let rank0 = ranks
            .iter()
            .find(|p| p.rank == Some(0))
            .expect("a rank 0 process")
            .clone();
        let start = Instant::now();
        let writing = loop {
            let writing = writing_into(rank0.pid, job.dir.path());
            if writing || job.finished() || start.elapsed() > Duration::from_secs(60) {
                break writing;
            }
            thread::sleep(Duration::from_millis(2));
        };
        assert!(writing, "rank 0 was never seen writing the counts");
        thread::sleep(Duration::from_millis(delay_ms));
        let (target, what) = if to_rank0 {
            (&rank0, "rank 0")
        } else {
            (&launcher, "the launcher")
        };
        // Signalled at once, rank 0 must get the signal inside the write (checked below): a
        // signal that cannot be sent fails here. After a delay the write, and the job, may have
        // ended first; then nothing is sent (a job that ended may have freed its pids for
        // others: never signal those), and the files must simply be whole.
        let must_land = to_rank0 && delay_ms == 0;
        let sent = if must_land {
            assert!(
                !job.finished(),
                "the job ended before SIG{name} could reach rank 0 inside the write"
            );
            signal(target.pid, sig, what);
            true
        } else {
            !job.finished() && signal_if_alive(target.pid, sig, what)
        };
        let (outcome, took) = job.finish(Instant::now());
        assert!(!outcome.timed_out, "hang: {outcome:?}");
        assert!(took < BOUND, "took {took:?} after SIG{name}: {outcome:?}");
        let names = job.listing();
        eprintln!(
            "SIG{name} to {} (rank {:?}) {delay_ms} ms into the write{}: exit {:?} after {took:?}, left {names:?}",
            target.exe,
            target.rank,
            if sent { "" } else { " (not sent: it had ended)" },
            outcome.code
        );
        assert!(
            names.iter().all(|n| n == "big.png" || n == "big.npy"),
            "a temporary file was left: {names:?}\nstderr:\n{}",
            outcome.stderr
        );
        if must_land {
            assert!(
                names.is_empty(),
                "the signal landed in the write, yet {names:?} is there"
            );
        }
        if names.iter().any(|n| n == "big.npy") {
            let bytes = std::fs::read(job.path("big.npy")).expect("read big.npy");
            assert!(npy_is_whole(&bytes, width, height), "big.npy is not whole");
        }
        if names.iter().any(|n| n == "big.png") {
            let img = image::open(job.path("big.png")).expect("big.png decodes");
            assert_eq!((img.width(), img.height()), (width as u32, height as u32));
        }
    }
}

/// Whether process `pid` has a regular file open in `dir` (named, or unnamed: `dir/#123
/// (deleted)`) with some bytes in it.
fn writing_into(pid: u32, dir: &Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|to| to.starts_with(dir))
            && std::fs::metadata(fd.path()).is_ok_and(|m| m.is_file() && m.len() > 0)
    })
}

/// Whether unnamed files (O_TMPFILE) can be made in `dir`, as the programs' output writer does.
fn unnamed_files_work(dir: &Path) -> bool {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .open(dir)
        .is_ok()
}

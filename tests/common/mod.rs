//! Launches the real binaries, under mpirun or alone, with a timeout so a hang fails the test.
//!
//! Knows what each MPI needs (Open MPI: root and oversubscription variables, which differ between
//! versions 4 and 5; MPICH: nothing), and picks the launcher of the family the binaries were built
//! against (or `$MPIRUN`). A missing mpirun fails the test with a pointer to
//! `scripts/setup`: the tests never pass by skipping.
#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long any launch may take before it counts as a hang.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// What a finished (or killed) launch left behind.
#[derive(Debug)]
pub struct Outcome {
    /// The exit code; `None` if killed by a signal or by the timeout.
    pub code: Option<i32>,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
    /// Wall-clock time of the launch.
    pub elapsed: Duration,
    /// Whether the timeout killed it.
    pub timed_out: bool,
}

impl Outcome {
    /// The lines of stderr that are the program's own (`error: ...`), not the launcher's notices.
    pub fn error_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect()
    }

    /// Stdout parsed as the program's `--json` report.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Panics with everything printed unless the run succeeded.
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.code == Some(0),
            "exit {:?} (timed out: {}):\nstdout:\n{}\nstderr:\n{}",
            self.code,
            self.timed_out,
            self.stdout,
            self.stderr
        );
        self
    }
}

/// The crate's root folder (tests run from it, but paths built on it are explicit).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file in the crate's `data/` folder.
pub fn data(name: &str) -> String {
    root().join("data").join(name).display().to_string()
}

/// A deterministic stream of numbers in [0, 1) (a 64-bit LCG, the top 53 bits).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes `points` (lat, lon in degrees) as a city CSV with names `p0, p1, ...`.
pub fn write_cities_csv(path: &Path, points: &[(f64, f64)]) {
    use std::fmt::Write as _;
    let mut s = String::from("name,lat,lon\n");
    for (k, (lat, lon)) in points.iter().enumerate() {
        writeln!(s, "p{k},{lat:?},{lon:?}").expect("write to a string");
    }
    std::fs::write(path, s).expect("write the CSV");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// An MPI family, as far as launching goes.
enum Flavour {
    OpenMpi(u32),
    Mpich,
    Other,
}

/// Which MPI family a launcher belongs to, from its `--version` output.
fn flavour_of(launcher: &Path) -> Flavour {
    let version = Command::new(launcher)
        .arg("--version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
        })
        .unwrap_or_default();
    // `mpirun (Open MPI) 4.1.4`, or `mpirun.openmpi (OpenRTE) 4.1.4` under Debian's own name.
    for tag in ["(Open MPI) ", "(OpenRTE) "] {
        if let Some(rest) = version.split(tag).nth(1) {
            return OpenMpi(
                rest.split('.')
                    .next()
                    .and_then(|m| m.trim().parse().ok())
                    .unwrap_or(4),
            );
        }
    }
    if version.contains("PRRTE") {
        OpenMpi(5)
    } else if version.contains("HYDRA") || version.contains("MPICH") {
        Flavour::Mpich
    } else {
        Flavour::Other
    }
}

/// Whether the launcher may report exit status 0 for a job whose ranks died of a signal:
/// MPICH's hydra before 4.2.3 (Debian 12 ships 4.0.2) presets the other processes' exit
/// statuses to 0 when one ends abnormally, and when two end close together the preset can
/// overwrite every real status (pmodels/mpich#7057, fixed by "hydra/proxy: prevent double
/// resetting exit_status", c4707c4, in 4.2.3). Tests of signalled runs then check what the
/// ranks print and leave, and the launcher's status only where it can be trusted.
pub fn launcher_may_report_0_for_signalled_ranks() -> bool {
    let (path, flavour) = mpirun();
    if *flavour != Flavour::Mpich {
        return false;
    }
    let text = Command::new(path)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    // `    Version:                                 4.0.2`
    let version: Vec<u32> = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Version:"))
        .map(|v| {
            v.trim()
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    version.is_empty() || version < vec![4, 2, 3]
}

/// The first of `names` found on PATH.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|n| {
        std::env::split_paths(&path)
            .map(|d| d.join(n))
            .find(|p| p.is_file())
    })
}

/// The MPI family the programs were built against, read from the libraries they link.
fn built_against() -> Flavour {
    let bin = env!("CARGO_BIN_EXE_dist-cities");
    let libs = Command::new("ldd")
        .arg(bin)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    match libs {
        Ok(l) if l.contains("libmpich") => Flavour::Mpich,
        Ok(l) if l.contains("libmpi.so") => OpenMpi(4),
        _ => Flavour::Other,
    }
}

/// Launcher names of each family, most specific first (Debian installs both side by side).
const OPENMPI_LAUNCHERS: [&str; 3] = ["mpirun.openmpi", "mpirun", "mpiexec"];
const MPICH_LAUNCHERS: [&str; 4] = ["mpiexec.mpich", "mpiexec.hydra", "mpiexec", "mpirun"];

/// The launcher matching the binaries: `$MPIRUN` if set (scripts/mpi-env sets it), else the
/// mpiexec of the family the binaries link against.
fn mpirun() -> &'static (PathBuf, Flavour) {
    static FOUND: OnceLock<(PathBuf, Flavour)> = OnceLock::new();
    FOUND.get_or_init(|| {
        let path =
            std::env::var_os("MPIRUN")
                .map(PathBuf::from)
                .or_else(|| match built_against() {
                    Flavour::Mpich => on_path(&MPICH_LAUNCHERS),
                    _ => on_path(&OPENMPI_LAUNCHERS),
                });
        let Some(path) = path else {
            panic!(
                "no mpiexec found on PATH: run scripts/setup (installs Open MPI), or set MPIRUN"
            );
        };
        let flavour = flavour_of(&path);
        (path, flavour)
    })
}

/// The launcher of the *other* MPI family than the binaries', for the mismatch test.
pub fn other_family_launcher() -> PathBuf {
    let (_, flavour) = mpirun();
    let (names, want, hint) = match flavour {
        Flavour::Mpich => (
            &OPENMPI_LAUNCHERS[..],
            "Open MPI",
            "scripts/setup --mpi openmpi",
        ),
        _ => (&MPICH_LAUNCHERS[..], "MPICH", "scripts/setup --mpi mpich"),
    };
    let path = std::env::var_os("PATH").expect("PATH");
    std::env::split_paths(&path)
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .filter(|p| p.is_file())
        .find(|p| flavour_of(p) != *flavour)
        .unwrap_or_else(|| {
            panic!("no {want} launcher found: run {hint} (scripts/test installs both)")
        })
}

/// Runs `bin` under another family's launcher with `ranks` processes.
pub fn other_family_n(bin: &str, ranks: u32, args: &[&str]) -> Outcome {
    let launcher = other_family_launcher();
    let mut cmd = Command::new(&launcher);
    if let OpenMpi(_) = flavour_of(&launcher) {
        cmd.env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .env("OMPI_MCA_rmaps_base_oversubscribe", "1");
    }
    cmd.arg("-n").arg(ranks.to_string()).arg(bin).args(args);
    launch(cmd)
}
use Flavour::OpenMpi;

/// Runs `bin` with `args` under `mpirun -n ranks`.
pub fn mpirun_n(bin: &str, ranks: u32, args: &[&str]) -> Outcome {
    mpirun_n_env(bin, ranks, args, &[])
}

/// Runs `bin` with `args` under `mpirun -n ranks`, or alone when `ranks` is `None`, with extra
/// environment variables (which mpirun passes to local ranks, as hydra does).
pub fn launch_env(bin: &str, ranks: Option<u32>, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    match ranks {
        Some(n) => mpirun_n_env(bin, n, args, env),
        None => {
            let mut cmd = Command::new(bin);
            cmd.args(args).envs(env.iter().copied());
            launch(cmd)
        }
    }
}

/// [`mpirun_n`] with extra environment variables.
pub fn mpirun_n_env(bin: &str, ranks: u32, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    launch(mpirun_command(bin, ranks, args, env))
}

/// The command [`mpirun_n_env`] runs, for a test that starts it itself (to signal it midway):
/// run from the crate's root, in a process group of its own (whose id is the launcher's pid).
pub fn mpirun_command(bin: &str, ranks: u32, args: &[&str], env: &[(&str, &str)]) -> Command {
    use std::os::unix::process::CommandExt;
    let (path, flavour) = mpirun();
    let mut cmd = Command::new(path);
    if let OpenMpi(major) = flavour {
        cmd.env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        if *major >= 5 {
            cmd.env("PRTE_MCA_rmaps_default_mapping_policy", ":oversubscribe");
        } else {
            cmd.env("OMPI_MCA_rmaps_base_oversubscribe", "1");
        }
    }
    cmd.envs(env.iter().copied());
    cmd.arg("-n").arg(ranks.to_string()).arg(bin).args(args);
    cmd.current_dir(root())
        .stdin(Stdio::null())
        .process_group(0);
    cmd
}

/// Runs `bin` with `args` without mpirun: one rank (MPI singleton).
pub fn alone(bin: &str, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    launch(cmd)
}

/// Runs under mpirun when `ranks` is `Some`, alone otherwise.
pub fn launch_with(bin: &str, ranks: Option<u32>, args: &[&str]) -> Outcome {
    match ranks {
        Some(n) => mpirun_n(bin, n, args),
        None => alone(bin, args),
    }
}

/// Runs `bin` with `args` and `--json` (under mpirun when `ranks` is `Some`), requires success
/// and returns the parsed report.
pub fn json_report(bin: &str, ranks: Option<u32>, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = launch_with(bin, ranks, &all);
    out.assert_success();
    out.json()
}

/// The launch modes every result must agree across: without mpirun, and 1 to 4 ranks.
pub const LAUNCHES: [Option<u32>; 5] = [None, Some(1), Some(2), Some(3), Some(4)];

fn launch(mut cmd: Command) -> Outcome {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let out = std::fs::File::create(&out_path).expect("stdout file");
    let err = std::fs::File::create(&err_path).expect("stderr file");
    cmd.current_dir(root())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot launch {cmd:?}: {e}"));
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if start.elapsed() > TIMEOUT {
            timed_out = true;
            // Kill the launcher and every rank it started (one process group, whose id is the
            // launcher's pid) with killpg(2): no `kill` binary, which a minimal system lacks.
            let group = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
            // SAFETY: killpg(2) only reads its two integer arguments.
            let killed = unsafe { libc::killpg(group, libc::SIGKILL) } == 0;
            let error = std::io::Error::last_os_error();
            let _ = child.kill();
            let _ = child.wait();
            // ESRCH: the group had already gone. Anything else may leave ranks running.
            if !killed && error.raw_os_error() != Some(libc::ESRCH) {
                panic!("timed out, and cannot SIGKILL process group {group} of {cmd:?}: {error}");
            }
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    Outcome {
        code: status.and_then(|s| s.code()),
        stdout: read(&out_path),
        stderr: read(&err_path),
        elapsed,
        timed_out,
    }
}

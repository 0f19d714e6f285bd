//! Launches the real binaries, under mpirun or alone, with a timeout so a hang fails the test.
//!
//! Knows what each MPI needs (Open MPI: root and oversubscription variables, which differ between
//! versions 4 and 5; MPICH: nothing), and picks the launcher of the family the binaries were built
//! against (or `$MPIRUN`). A missing mpirun fails the test with a pointer to
//! `scripts/setup`: the tests never pass by skipping.
//!
//! What the test files share, one copy each:
//! - launching: [`mpirun_n`], [`launch_with`], [`alone`], [`json_report`], and [`Running`], the
//!   one wait loop with its timeout (also for runs a test signals midway: [`mpirun_command`]);
//! - refusals: [`Outcome::assert_refused`] and [`assert_refused_at`] (exit code, rank 0's one
//!   line, nothing on stdout, no hang, at the given rank counts);
//! - results: [`SameEveryRun`] (every run gives the first run's bytes), [`parse_npy`] and
//!   [`read_counts`] (the one `.npy` reader), [`listing`] (the one folder listing);
//! - inputs: [`Lcg`] and its points, [`write_cities_csv`], [`cities_file`], [`csv_coords`],
//!   [`outputs`], [`strings`] / [`strs`];
//! - processes and signals: [`procs_with`], [`signal`], [`send_signal`], [`sig_name`].
#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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

    /// The program's one error line, which must contain `want`: panics unless stderr holds
    /// exactly one `error: ` line (rank 0's; the others print nothing) and it says `want`.
    pub fn one_error_line(&self, want: &str, what: &str) -> &str {
        let lines = self.error_lines();
        assert_eq!(
            lines.len(),
            1,
            "{what}: one error line expected, stderr:\n{}",
            self.stderr
        );
        assert!(
            lines[0].contains(want),
            "{what}: {:?} lacks {want:?}",
            lines[0]
        );
        lines[0]
    }

    /// Panics unless the run was refused as the MPI conventions say: it ended (no hang) with
    /// exit `code`, rank 0 alone printed one line naming the problem (`want`), and nothing went
    /// to stdout. Returns that line.
    pub fn assert_refused(&self, code: i32, want: &str, what: &str) -> &str {
        assert!(!self.timed_out, "{what}: hung");
        assert_eq!(
            self.code,
            Some(code),
            "{what}: exit code; stderr:\n{}",
            self.stderr
        );
        let line = self.one_error_line(want, what);
        assert!(
            self.stdout.is_empty(),
            "{what}: nothing on stdout, got {}",
            self.stdout
        );
        line
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

    /// `n` points uniform on the sphere, (lat, lon) in degrees: the latitude's sine uniform in
    /// [-1, 1), the longitude uniform in [-180, 180); each point draws its latitude first.
    pub fn sphere_points(&mut self, n: usize) -> Vec<(f64, f64)> {
        (0..n)
            .map(|_| {
                let lat = (2.0 * self.next() - 1.0).asin().to_degrees();
                (lat, self.next() * 360.0 - 180.0)
            })
            .collect()
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

/// Runs `bin args` under mpirun at each of `ranks` and checks that each run is refused
/// ([`Outcome::assert_refused`]: exit `code`, one line saying `want`, nothing on stdout, no
/// hang); returns the outcomes, with their rank counts, for a case's own further checks.
pub fn assert_refused_at(
    bin: &str,
    ranks: &[u32],
    args: &[&str],
    code: i32,
    want: &str,
) -> Vec<(u32, Outcome)> {
    ranks
        .iter()
        .map(|&n| {
            let out = mpirun_n(bin, n, args);
            out.assert_refused(code, want, &format!("{args:?} at {n} ranks"));
            (n, out)
        })
        .collect()
}

/// Owned arguments from string slices (for argument lists that get paths added later).
pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// Borrowed arguments from owned ones, as the launchers take them.
pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// `--out png --counts npy`, the arguments naming mandel's two outputs.
pub fn outputs(png: &Path, npy: &Path) -> [String; 4] {
    [
        "--out".into(),
        png.display().to_string(),
        "--counts".into(),
        npy.display().to_string(),
    ]
}

/// The bytes of mandel's two outputs, `(png, npy)`, as [`outputs`] named them.
pub fn read_outputs(png: &Path, npy: &Path) -> (Vec<u8>, Vec<u8>) {
    let read = |p: &Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (read(png), read(npy))
}

/// The names in a folder, sorted; a folder that does not exist (yet, or any more) lists as empty,
/// and any other failure to read it fails the test.
pub fn listing(dir: &Path) -> Vec<String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => panic!("cannot list {}: {e}", dir.display()),
    };
    let mut names: Vec<String> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// What every run must give again: the first run's value, then a check of each later one.
pub struct SameEveryRun<T>(Option<T>);

impl<T> Default for SameEveryRun<T> {
    fn default() -> Self {
        SameEveryRun(None)
    }
}

impl<T: PartialEq> SameEveryRun<T> {
    /// Keeps the first value; panics if a later one differs. `what` names the run; the values
    /// are not printed (they may be megabytes of pixels).
    pub fn check(&mut self, got: T, what: &str) {
        match &self.0 {
            None => self.0 = Some(got),
            Some(first) => assert!(*first == got, "{what}: differs from the first run"),
        }
    }

    /// The first run's value, once there was one.
    pub fn first(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

/// A parsed `.npy` file (NumPy's format, any version): its header and the bytes after it.
#[derive(Debug)]
pub struct Npy<'a> {
    /// Major and minor version.
    pub version: (u8, u8),
    /// Bytes before the data: magic, version, length field and header text.
    pub data_offset: usize,
    /// The header's text (a Python dict literal, padded with spaces, ending in a newline).
    pub header: String,
    /// The `'descr'` entry, such as `<u4`.
    pub descr: String,
    /// The `'shape'` entry.
    pub shape: Vec<usize>,
    /// The `'fortran_order'` entry.
    pub fortran_order: bool,
    /// Everything after the header.
    pub data: &'a [u8],
}

impl Npy<'_> {
    /// Whether the data is exactly the shape's elements: no more, no fewer bytes.
    pub fn is_whole(&self) -> bool {
        let elem: usize = self
            .descr
            .get(2..)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        elem > 0 && self.data.len() == self.shape.iter().product::<usize>() * elem
    }
}

/// Parses the header of a `.npy` file; an error says what is wrong, for a test that expects a
/// file may be cut (a killed run) to tell whole from not.
pub fn parse_npy(bytes: &[u8]) -> Result<Npy<'_>, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("no .npy magic".into());
    }
    let version = (bytes[6], bytes[7]);
    let (header_len, start) = match version.0 {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        _ if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err("cut inside the header length".into()),
    };
    let header = bytes
        .get(start..start + header_len)
        .ok_or("cut inside the header")?;
    let header = String::from_utf8(header.to_vec()).map_err(|_| "a header that is not text")?;
    let entry = |key: &str, end: char| {
        header
            .split(&format!("'{key}': "))
            .nth(1)
            .and_then(|v| v.split(end).next())
            .map(str::to_owned)
            .ok_or(format!("no {key} in {header:?}"))
    };
    let descr = entry("descr", ',')?.trim_matches('\'').to_owned();
    let fortran_order = entry("fortran_order", ',')?.trim() == "True";
    let shape = entry("shape", ')')?
        .trim_start_matches('(')
        .split(',')
        .filter(|d| !d.trim().is_empty())
        .map(|d| d.trim().parse().map_err(|_| format!("shape {d:?}")))
        .collect::<Result<_, _>>()?;
    Ok(Npy {
        version,
        data_offset: start + header_len,
        header,
        descr,
        shape,
        fortran_order,
        data: &bytes[start + header_len..],
    })
}

/// Reads mandel's counts: a version-1.0 `.npy` of `<u4` in C order, its header padded to 64
/// bytes and ending in a newline, whole; panics otherwise. Returns the header and the values.
pub fn read_counts(bytes: &[u8]) -> (Npy<'_>, Vec<u32>) {
    let npy = parse_npy(bytes).unwrap_or_else(|e| panic!("not a .npy file: {e}"));
    assert_eq!(npy.version, (1, 0), "magic and version");
    assert_eq!(npy.data_offset % 64, 0, "header padded to 64 bytes");
    assert!(npy.header.ends_with('\n'), "{}", npy.header);
    assert!(npy.descr == "<u4" && !npy.fortran_order, "{}", npy.header);
    assert!(
        npy.is_whole(),
        "{} data bytes for {}",
        npy.data.len(),
        npy.header
    );
    let values = npy
        .data
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    (npy, values)
}

/// Writes `points` as a city CSV at `dir/name` ([`write_cities_csv`]); returns its path and the
/// coordinates interleaved (lat, lon, lat, ...), as the library's references take them.
pub fn cities_file(dir: &Path, name: &str, points: &[(f64, f64)]) -> (String, Vec<f64>) {
    let path = dir.join(name);
    write_cities_csv(&path, points);
    let coords = points.iter().flat_map(|&(lat, lon)| [lat, lon]).collect();
    (path.to_str().expect("a UTF-8 path").to_owned(), coords)
}

/// The coordinates of a plain CSV (no quoted commas) with a header line, from the columns
/// numbered `lat` and `lon`, interleaved (lat, lon, lat, ...); read here, not by the program.
pub fn csv_coords(path: &str, lat: usize, lon: usize) -> Vec<f64> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .skip(1)
        .flat_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            [
                f[lat].parse::<f64>().expect("lat"),
                f[lon].parse::<f64>().expect("lon"),
            ]
        })
        .collect()
}

/// The launch modes every result must agree across: without mpirun, and 1 to 4 ranks.
pub const LAUNCHES: [Option<u32>; 5] = [None, Some(1), Some(2), Some(3), Some(4)];

/// Runs `cmd` to its end or the timeout ([`Running`]).
fn launch(cmd: Command) -> Outcome {
    Running::spawn(cmd).finish()
}

/// A launch in a process group of its own (whose id is the launcher's pid), run from the crate's
/// root with stdout and stderr going to files, bounded by [`TIMEOUT`]: the one wait loop every
/// launch goes through, whether it is waited for at once or signalled midway. Dropped before
/// its end (a test that failed meanwhile), it SIGKILLs its whole group.
pub struct Running {
    child: Child,
    start: Instant,
    /// Holds the stdout and stderr files.
    dir: tempfile::TempDir,
    /// The command, for messages.
    command: String,
    /// Whether the child has been waited for.
    reaped: bool,
}

impl Running {
    /// Starts `cmd`.
    pub fn spawn(mut cmd: Command) -> Running {
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let out = std::fs::File::create(dir.path().join("stdout")).expect("stdout file");
        let err = std::fs::File::create(dir.path().join("stderr")).expect("stderr file");
        cmd.current_dir(root())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot launch {cmd:?}: {e}"));
        Running {
            child,
            start: Instant::now(),
            dir,
            command: format!("{cmd:?}"),
            reaped: false,
        }
    }

    /// The launcher's pid, which is also its process group's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where its stderr goes, to read while it runs.
    pub fn stderr_path(&self) -> PathBuf {
        self.dir.path().join("stderr")
    }

    /// Whether it has ended.
    pub fn has_ended(&mut self) -> bool {
        let ended = self.child.try_wait().expect("wait").is_some();
        self.reaped |= ended;
        ended
    }

    /// Waits until `ready()` or the end; returns whether it is still running. Fails the test if
    /// neither comes within [`TIMEOUT`] (`what` says what was awaited).
    pub fn wait_for(&mut self, what: &str, mut ready: impl FnMut() -> bool) -> bool {
        loop {
            if ready() {
                return true;
            }
            if self.has_ended() {
                return false;
            }
            assert!(
                self.start.elapsed() < TIMEOUT,
                "{what} not seen within {TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `sig` to the whole process group (the launcher and every rank it started).
    pub fn signal_group(&self, sig: libc::c_int) {
        let group = libc::pid_t::try_from(self.pid()).expect("a pid fits pid_t");
        // SAFETY: killpg(2) only reads its two integer arguments.
        if unsafe { libc::killpg(group, sig) } != 0 {
            let error = std::io::Error::last_os_error();
            panic!("cannot send signal {sig} to process group {group}: {error}");
        }
    }

    /// Waits for the end, or SIGKILLs the whole group once [`TIMEOUT`] has passed since the start
    /// (with killpg(2): no `kill` binary, which a minimal system lacks); what it printed.
    pub fn finish(mut self) -> Outcome {
        let mut timed_out = false;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break Some(status);
            }
            if self.start.elapsed() > TIMEOUT {
                timed_out = true;
                let group = libc::pid_t::try_from(self.pid()).expect("a pid fits pid_t");
                // SAFETY: killpg(2) only reads its two integer arguments.
                let killed = unsafe { libc::killpg(group, libc::SIGKILL) } == 0;
                let error = std::io::Error::last_os_error();
                let _ = self.child.kill();
                let _ = self.child.wait();
                // ESRCH: the group had already gone. Anything else may leave ranks running.
                if !killed && error.raw_os_error() != Some(libc::ESRCH) {
                    panic!(
                        "timed out, and cannot SIGKILL process group {group} of {}: {error}",
                        self.command
                    );
                }
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.reaped = true;
        let elapsed = self.start.elapsed();
        let read = |name: &str| {
            let bytes = std::fs::read(self.dir.path().join(name)).unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        };
        Outcome {
            code: status.and_then(|s| s.code()),
            stdout: read("stdout"),
            stderr: read("stderr"),
            elapsed,
            timed_out,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.reaped {
            if let Ok(group) = libc::pid_t::try_from(self.child.id()) {
                // SAFETY: killpg(2) only reads its two integer arguments.
                unsafe { libc::killpg(group, libc::SIGKILL) };
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A process of ours seen in /proc.
#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    /// File name of the executable.
    pub exe: String,
    /// The MPI rank, from the launcher's environment variables.
    pub rank: Option<u32>,
}

/// Every process whose command line mentions `marker` (a test's own temporary folder).
pub fn procs_with(marker: &str) -> Vec<Proc> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let dir = e.path();
        let Ok(cmdline) = std::fs::read(dir.join("cmdline")) else {
            continue;
        };
        if !String::from_utf8_lossy(&cmdline).contains(marker) {
            continue;
        }
        let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
        // `pid (comm) state ppid ...`: comm may hold spaces, so parse after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let exe = std::fs::read_link(dir.join("exe"))
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let environ = std::fs::read(dir.join("environ")).unwrap_or_default();
        let rank = environ.split(|b| *b == 0).find_map(|var| {
            let var = String::from_utf8_lossy(var);
            ["OMPI_COMM_WORLD_RANK=", "PMI_RANK="]
                .iter()
                .find_map(|k| var.strip_prefix(k).and_then(|v| v.parse().ok()))
        });
        found.push(Proc {
            pid,
            ppid,
            exe,
            rank,
        });
    }
    found
}

/// The name of a signal the tests send, without the `SIG` prefix, for messages.
pub fn sig_name(sig: libc::c_int) -> &'static str {
    match sig {
        libc::SIGINT => "INT",
        libc::SIGTERM => "TERM",
        libc::SIGKILL => "KILL",
        _ => "another signal",
    }
}

/// Sends `sig` to `pid` with kill(2) (no `kill` binary: a minimal system has no procps).
pub fn send_signal(pid: u32, sig: libc::c_int) -> std::io::Result<()> {
    let pid = libc::pid_t::try_from(pid).expect("a pid fits pid_t");
    // SAFETY: kill(2) only reads its two integer arguments.
    if unsafe { libc::kill(pid, sig) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Sends `sig` to a process the test needs alive (`what` names it): a signal that cannot be
/// delivered, even because the process is already gone, fails the test, which could not do its job.
pub fn signal(pid: u32, sig: libc::c_int, what: &str) {
    if let Err(e) = send_signal(pid, sig) {
        panic!(
            "cannot send SIG{} to {what} (pid {pid}): {e}; the fault was not injected",
            sig_name(sig)
        );
    }
}

/// One mandel image slow enough to interrupt (about 3 s at 2 ranks on 2 cores), with smooth
/// values (so a checkpoint chunk holds counts and smooth values) and a JSON report, writing each
/// of `outputs` (a flag and its file, e.g. `("--out", png)`), saving rows in `checkpoint` if given.
pub fn slow_image(outputs: &[(&str, &Path)], checkpoint: Option<&Path>) -> Vec<String> {
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
    for (flag, path) in outputs {
        args.extend([flag.to_string(), path.to_string_lossy().into_owned()]);
    }
    if let Some(c) = checkpoint {
        args.extend(["--checkpoint".into(), c.to_string_lossy().into_owned()]);
    }
    args
}

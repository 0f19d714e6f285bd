//! Interrupted runs leave nothing behind, and a long run saves what it has before it ends.
//!
//! Ctrl-C sends SIGINT, and SLURM's time limit (and `scancel`) sends SIGTERM; mpirun and
//! mpiexec forward either to every rank. By default both signals kill a process on the spot,
//! which would leave the `.<name>.tmp-<pid>-<n>` file of an [`output`](crate::output)
//! write in the output folder. [`install`] (called by `Spmd::init`, after MPI is initialised so
//! that our handler is the one in place) replaces that with a handler that removes the
//! temporary file, then ends the process the way the signal would have.
//!
//! # Saving before the end
//!
//! While a [`Deferral`] lives, the handler only records the signal and wakes a *stopper*
//! thread, and the process goes on. On rank 0 ([`on_stop`]: a checkpointed image or a movie)
//! the stopper waits for a file being finished ([`finishing`]: a frame whose rows have all
//! arrived, an image and its checkpoint's removal), keeps that lock so that no other file starts,
//! runs the save (the checkpoint's unsaved rows, as one more chunk), then removes the temporary
//! files and dies of the signal as below. The other ranks ([`linger_on_stop`]) stay alive
//! meanwhile: MPICH's hydra SIGKILLs every rank as soon as one has died (measured here: rank 0
//! was gone within milliseconds of rank 1's death), so a rank dying at once would kill rank 0
//! mid-save; the launcher ends them once rank 0 has died. Further SIGINTs and SIGTERMs change
//! nothing, and a hard deadline ([`SAVE_DEADLINE`], 20 s; [`LINGER_DEADLINE`], 24 s) ends the
//! process whatever happens, inside SLURM's `KillWait` (30 s by default). A deferral dropped
//! after a signal waits for the stopper, so a signalled process never exits 0.
//!
//! How long rank 0 really has is the launcher's choice. Open MPI 4.1's mpirun, on SIGTERM,
//! waits `odls_base_sigkill_timeout` seconds (1 by default), sends SIGTERM to the ranks, waits
//! as long again and sends SIGKILL (measured here with 1 and 6). Signalled itself as well (SLURM
//! signals every process of the step), rank 0 thus has about 2 s, else 1 s; saving 2 s of rows
//! takes milliseconds, and `OMPI_MCA_odls_base_sigkill_timeout=10` gives a slow file system 20 s.
//! MPICH's hydra forwards the signal at once and waits for the ranks.
//!
//! # Async-signal safety
//!
//! A handler may interrupt any thread at any instruction, including one inside `malloc` or
//! holding a lock, so it may only touch lock-free atomics and call async-signal-safe functions.
//! Without a [`Deferral`] this one does exactly three things:
//!
//! 1. For each of a few fixed slots (statics of type `AtomicPtr<u8>`), it *swaps* the pointer
//!    out (leaving a "closed" marker): whoever swaps a path out owns it, so the handler never
//!    reads a buffer that normal code is freeing.
//! 2. It calls `unlink(2)` (async-signal-safe) on each path it took. The buffer is a
//!    NUL-terminated byte string built and leaked *before* it was published, so no allocation
//!    happens in the handler; the handler never frees it (the process is ending anyway).
//! 3. It ends the process with signal-hook's `emulate_default_handler`, which restores the
//!    default disposition and re-raises the signal (both async-signal-safe), so the parent sees
//!    "killed by SIGINT/SIGTERM" and a shell reports 130/143 (128 + signal). This is better than
//!    `_exit(130)`: a shell running a script stops the script on a child *killed* by SIGINT but
//!    carries on after one that merely *exited* 130. If re-raising fails, it falls back to
//!    `_exit(128 + signal)` (signal-hook's `low_level::exit`; `std::process::exit` is not
//!    async-signal-safe: it runs at-exit handlers and flushes stdio under locks).
//!
//! With a [`Deferral`] it does two: a compare-and-swap of the signal number into an
//! `AtomicI32`, and a `write(2)` (async-signal-safe) of one byte to the stopper's pipe, which is
//! non-blocking and was made, with the stopper thread, before any deferral counts. The stopper
//! is an ordinary thread: it may lock, allocate and write files; its end is the same code.
//!
//! Normal code registers a temporary path *before* creating the file ([`TempRegistration`]), and
//! unregisters it only *after* the rename or removal; a handler that runs in between unlinks a
//! path that does not exist yet or any more, which is harmless (`ENOENT`), and a rename that
//! follows the handler's unlink fails (`ENOENT`) in a process that is about to end anyway.
//!
//! What is left: if the signal lands on another thread in the microseconds between the
//! handler's unlink of a not-yet-created path and the process's end, while this thread's
//! `open(O_CREAT)` completes, that file survives (closing that needs blocking signals in every
//! thread, which MPI's own threads make impossible). SIGKILL cannot be caught at all; on Linux
//! the file being written has no name until it is whole (see [`output`](crate::output)),
//! so a rank killed with it while writing leaves nothing, except in the microseconds between
//! naming and renaming, and elsewhere it leaves its temporary file, hidden (a leading dot) and
//! named for its pid. The target file is never touched.

use std::ffi::c_char;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once, OnceLock};
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM};

extern "C" {
    // POSIX; in the C library every Rust program on Unix links. Listed as async-signal-safe.
    fn unlink(path: *const c_char) -> i32;
}

/// How many temporary files can be protected at once (the programs write one at a time).
const SLOTS: usize = 4;

/// Registered NUL-terminated paths (leaked `Box<[u8]>`), or null, or [`CLOSED`] once a handler
/// has run.
static TEMP_PATHS: [AtomicPtr<u8>; SLOTS] = [const { AtomicPtr::new(ptr::null_mut()) }; SLOTS];

/// Whether a handler has started; after it, nothing new is registered.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// A marker that is never a real buffer: the slot was emptied by a handler.
fn closed() -> *mut u8 {
    ptr::dangling_mut::<u8>()
}

/// Installs the SIGINT and SIGTERM handlers once per process; later calls do nothing.
///
/// If a handler cannot be installed the default (kill at once) stays in place; that loses only
/// the clean-up, so it is not an error worth stopping a run for.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for sig in [SIGINT, SIGTERM] {
            // SAFETY: the closure only uses async-signal-safe operations (see the module doc).
            let _ = unsafe { signal_hook::low_level::register(sig, move || on_signal(sig)) };
        }
    });
}

/// The handler body: while a [`Deferral`] lives, record the signal and wake the stopper thread;
/// otherwise unlink every registered temporary file, then die of the signal.
fn on_signal(sig: i32) {
    if DEFERRED.load(Ordering::SeqCst) > 0 {
        // Only the first signal counts; later ones (mpirun's own SIGTERM after the one SLURM
        // sent, a second Ctrl-C) are recorded by nobody and change nothing.
        let _ = PENDING.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
        let fd = WAKE_FD.load(Ordering::SeqCst);
        if fd >= 0 {
            let byte = 1u8;
            // SAFETY: write(2) is async-signal-safe; the pipe is non-blocking, so a full pipe
            // (the stopper already woken) returns at once.
            unsafe { libc::write(fd, ptr::from_ref(&byte).cast(), 1) };
            return;
        }
    }
    let k = usize::from(sig == SIGTERM);
    let line = LINES[k].load(Ordering::SeqCst);
    if !line.is_null() {
        // SAFETY: a leaked buffer of LINE_LENS[k] bytes (published after its length); write(2)
        // is async-signal-safe.
        unsafe { libc::write(2, line.cast(), LINE_LENS[k].load(Ordering::SeqCst)) };
    }
    end(sig);
}

/// Rank 0's line for a stop with nothing to save, one per signal (`<program>: stopped by SIGINT`,
/// then SIGTERM): leaked buffers, built before they are published, so that the handler only
/// reads them and calls write(2), which is async-signal-safe. Null: say nothing (other ranks).
static LINES: [AtomicPtr<u8>; 2] = [const { AtomicPtr::new(ptr::null_mut()) }; 2];
static LINE_LENS: [AtomicUsize; 2] = [const { AtomicUsize::new(0) }; 2];

/// Makes this process (rank 0) say `<program>: stopped by SIGINT` (or SIGTERM) on stderr when a
/// signal ends it with nothing to save: one line for the user, and the sign of the stop where a
/// launcher's exit status cannot be trusted (see `src/mandel/README.md`, "Long jobs").
pub fn say_when_stopped(program: &str) {
    for (k, name) in ["SIGINT", "SIGTERM"].iter().enumerate() {
        let line = format!("{program}: stopped by {name}\n")
            .into_bytes()
            .into_boxed_slice();
        let len = line.len();
        let p = Box::into_raw(line) as *mut u8;
        LINE_LENS[k].store(len, Ordering::SeqCst);
        let old = LINES[k].swap(p, Ordering::SeqCst);
        // An earlier line is left allocated: a handler may be reading it.
        let _ = old;
    }
}

/// Unlinks every registered temporary file and dies of `sig` (the signal handler's way, or the
/// stopper thread's once it has saved).
fn end(sig: i32) -> ! {
    INTERRUPTED.store(true, Ordering::SeqCst);
    for slot in &TEMP_PATHS {
        let p = slot.swap(closed(), Ordering::SeqCst);
        if !p.is_null() && p != closed() {
            // SAFETY: p is a leaked NUL-terminated buffer that only the swapper may use.
            unsafe { unlink(p as *const c_char) };
        }
    }
    let _ = signal_hook::low_level::emulate_default_handler(sig);
    signal_hook::low_level::exit(128 + sig);
}

/// How long rank 0's stopper may take to finish a file and save, from the signal to its end:
/// well inside SLURM's `KillWait` (30 s by default), after which SIGKILL comes.
pub const SAVE_DEADLINE: Duration = Duration::from_secs(20);

/// How long the other ranks outlive a signal at most, waiting for rank 0 to save (a launcher
/// ends them earlier, once rank 0 has ended): a little longer than [`SAVE_DEADLINE`], still
/// inside `KillWait`.
pub const LINGER_DEADLINE: Duration = Duration::from_secs(24);

/// How many [`Deferral`]s are alive: while any is, the handler defers to the stopper thread.
static DEFERRED: AtomicUsize = AtomicUsize::new(0);

/// The signal the handler recorded while deferred (0: none yet).
static PENDING: AtomicI32 = AtomicI32::new(0);

/// The write end of the stopper thread's pipe, or -1 before it is started.
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

/// Held while a whole file is being finished (a frame whose rows have all arrived, an image
/// and the removal of its checkpoint); the stopper takes it before saving, and keeps it.
static FINISHING: Mutex<()> = Mutex::new(());

/// What the stopper runs, and the longest any deferral may take: `(id, deadline, save)`.
type Saves = Vec<(u64, Duration, Option<Box<dyn FnOnce() + Send>>)>;

/// The live deferrals, with the next id.
static SAVES: Mutex<(u64, Saves)> = Mutex::new((0, Vec::new()));

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// While it lives, SIGINT and SIGTERM end the process only after what it asks for (see the
/// module doc); dropped after a signal, it waits for the stopper to end the process, so a
/// signalled process never exits 0.
#[derive(Debug)]
#[must_use = "the deferral ends when this is dropped"]
pub struct Deferral {
    id: Option<u64>,
}

/// Rank 0: on SIGINT or SIGTERM, wait for any file being finished ([`finishing`]), run `save`
/// (on the stopper thread, while the main thread carries on), then die of the signal; at most
/// [`SAVE_DEADLINE`] after the signal. Further signals meanwhile change nothing.
pub fn on_stop(save: impl FnOnce() + Send + 'static) -> Deferral {
    defer(SAVE_DEADLINE, Some(Box::new(save)))
}

/// The other ranks: on SIGINT or SIGTERM, stay alive (computing) until the launcher ends the
/// job, at most [`LINGER_DEADLINE`], so that rank 0 is not killed mid-save by a launcher that
/// kills every rank as soon as one has died (MPICH's hydra does, at once).
pub fn linger_on_stop() -> Deferral {
    defer(LINGER_DEADLINE, None)
}

fn defer(deadline: Duration, save: Option<Box<dyn FnOnce() + Send>>) -> Deferral {
    if !start_stopper() {
        return Deferral { id: None };
    }
    let id = {
        let mut saves = lock(&SAVES);
        let id = saves.0;
        saves.0 += 1;
        saves.1.push((id, deadline, save));
        id
    };
    DEFERRED.fetch_add(1, Ordering::SeqCst);
    Deferral { id: Some(id) }
}

impl Drop for Deferral {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else { return };
        lock(&SAVES).1.retain(|(i, _, _)| *i != id);
        DEFERRED.fetch_sub(1, Ordering::SeqCst);
        if PENDING.load(Ordering::SeqCst) != 0 {
            // The stopper is saving (or about to) and will end the process: never carry on to
            // a normal exit, nor past it into its save.
            loop {
                std::thread::park();
            }
        }
    }
}

/// The signal a deferred stop is running for, by name ("SIGTERM", "SIGINT"), for the one line
/// rank 0's save prints; "a signal" before any.
pub fn pending_signal_name() -> &'static str {
    match PENDING.load(Ordering::SeqCst) {
        SIGTERM => "SIGTERM",
        SIGINT => "SIGINT",
        _ => "a signal",
    }
}

/// Held while a whole file is finished; the stopper waits for it before saving, so a file whose
/// rows have all arrived is written, not thrown away. Never take it while holding a lock that a
/// save takes.
///
/// Once a signal is pending, no new file is begun: the caller waits here for the stopper to end
/// the process (a mutex is not fair, so a loop finishing file after file could otherwise keep
/// the stopper waiting until the whole run was done).
pub fn finishing() -> MutexGuard<'static, ()> {
    let guard = lock(&FINISHING);
    if PENDING.load(Ordering::SeqCst) != 0 && DEFERRED.load(Ordering::SeqCst) > 0 {
        drop(guard);
        loop {
            std::thread::park();
        }
    }
    guard
}

/// Starts the stopper thread once (its pipe first); whether it runs.
fn start_stopper() -> bool {
    static STARTED: OnceLock<bool> = OnceLock::new();
    *STARTED.get_or_init(|| {
        let mut fds = [0i32; 2];
        // SAFETY: pipe2(2) writes two descriptors into the array we own.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return false;
        }
        let [read_fd, write_fd] = fds;
        // The read end blocks: the stopper sleeps in read(2) until the handler writes.
        // SAFETY: fcntl(2) on a descriptor we own.
        unsafe { libc::fcntl(read_fd, libc::F_SETFL, 0) };
        let started = std::thread::Builder::new()
            .name("stopper".into())
            .spawn(move || stopper(read_fd))
            .is_ok();
        if started {
            WAKE_FD.store(write_fd, Ordering::SeqCst);
        }
        started
    })
}

/// The stopper thread: sleeps until the handler wakes it, then finishes, saves and ends.
fn stopper(read_fd: i32) {
    let mut byte = 0u8;
    loop {
        // SAFETY: read(2) into a byte we own.
        let n = unsafe { libc::read(read_fd, ptr::from_mut(&mut byte).cast(), 1) };
        if n == 1 && PENDING.load(Ordering::SeqCst) != 0 {
            break;
        }
        if n == 0
            || (n < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted)
        {
            return;
        }
    }
    let sig = PENDING.load(Ordering::SeqCst);
    let (deadline, saves) = {
        let mut saves = lock(&SAVES);
        let deadline = saves.1.iter().map(|(_, d, _)| *d).max().unwrap_or_default();
        let taken: Vec<_> = saves
            .1
            .iter_mut()
            .filter_map(|(_, _, s)| s.take())
            .collect();
        (deadline, taken)
    };
    // The hard deadline, whatever the saves or the files being finished do; without it (no
    // thread to be had), no waiting either.
    let watchdog = std::thread::Builder::new()
        .name("stop deadline".into())
        .spawn(move || {
            std::thread::sleep(deadline);
            end(sig);
        });
    if watchdog.is_err() {
        end(sig);
    }
    if saves.is_empty() {
        // A rank with nothing to save outlives the signal until the launcher (or the deadline)
        // ends it.
        loop {
            std::thread::park();
        }
    }
    // Kept until the end: no file starts to be finished after the save.
    let _finishing = lock(&FINISHING);
    for save in saves {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(save));
    }
    end(sig);
}

/// A temporary path that a SIGINT or SIGTERM handler will unlink until this is dropped.
///
/// Create it *before* creating the file and drop it *after* renaming or removing the file.
#[derive(Debug)]
pub struct TempRegistration {
    slot: Option<(usize, *mut u8)>,
}

impl TempRegistration {
    /// Publishes `path` for the handler. Without a free slot (or with a path holding a NUL
    /// byte) the file is simply not protected.
    pub fn new(path: &Path) -> TempRegistration {
        let bytes = path.as_os_str().as_bytes();
        if bytes.contains(&0) || INTERRUPTED.load(Ordering::SeqCst) {
            return TempRegistration { slot: None };
        }
        let mut buf = Vec::with_capacity(bytes.len() + 1);
        buf.extend_from_slice(bytes);
        buf.push(0);
        let p = Box::into_raw(buf.into_boxed_slice()) as *mut u8;
        for (i, slot) in TEMP_PATHS.iter().enumerate() {
            if slot
                .compare_exchange(ptr::null_mut(), p, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                return TempRegistration { slot: Some((i, p)) };
            }
        }
        // SAFETY: p came from Box::into_raw just above and was never published.
        drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(p, bytes.len() + 1)) });
        TempRegistration { slot: None }
    }

    /// Whether a signal handler has taken this path (the process is ending).
    pub fn taken_by_handler(&self) -> bool {
        match self.slot {
            Some((i, p)) => TEMP_PATHS[i].load(Ordering::SeqCst) != p,
            None => INTERRUPTED.load(Ordering::SeqCst),
        }
    }
}

impl Drop for TempRegistration {
    fn drop(&mut self) {
        let Some((i, p)) = self.slot.take() else {
            return;
        };
        // Free the buffer only if we take it back; if a handler took it, it is leaked on purpose.
        if TEMP_PATHS[i]
            .compare_exchange(p, ptr::null_mut(), Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            // SAFETY: the length is that of the NUL-terminated buffer built in `new`.
            let len = unsafe { std::ffi::CStr::from_ptr(p as *const c_char) }
                .to_bytes_with_nul()
                .len();
            // SAFETY: p came from Box::into_raw of a boxed slice of exactly len bytes.
            drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(p, len)) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_publishes_and_withdraws_the_path() {
        let path = Path::new("/tmp/.x.png.tmp-1-0");
        let reg = TempRegistration::new(path);
        let (i, p) = reg.slot.expect("a free slot");
        assert_eq!(TEMP_PATHS[i].load(Ordering::SeqCst), p);
        // SAFETY: p is live while reg is.
        let s = unsafe { std::ffi::CStr::from_ptr(p as *const c_char) };
        assert_eq!(s.to_bytes(), path.as_os_str().as_bytes());
        assert!(!reg.taken_by_handler());
        drop(reg);
        assert!(TEMP_PATHS[i].load(Ordering::SeqCst).is_null());
    }

    #[test]
    fn a_deferral_counts_while_it_lives_and_takes_its_save_away() {
        // No signal is raised here (it would end the test process); the integration tests in
        // tests/movie.rs signal real runs.
        let before = DEFERRED.load(Ordering::SeqCst);
        let stop = on_stop(|| unreachable!("no signal came"));
        let linger = linger_on_stop();
        assert_eq!(DEFERRED.load(Ordering::SeqCst), before + 2);
        assert!(WAKE_FD.load(Ordering::SeqCst) >= 0, "the stopper's pipe");
        let id = stop.id.expect("deferred");
        assert!(lock(&SAVES)
            .1
            .iter()
            .any(|(i, d, s)| *i == id && *d == SAVE_DEADLINE && s.is_some()));
        drop(stop);
        drop(linger);
        assert_eq!(DEFERRED.load(Ordering::SeqCst), before);
        assert!(!lock(&SAVES).1.iter().any(|(i, _, _)| *i == id));
        // A file being finished holds the lock the stopper waits for.
        let held = finishing();
        assert!(FINISHING.try_lock().is_err());
        drop(held);
    }

    #[test]
    fn a_path_with_nul_is_not_registered() {
        let reg = TempRegistration::new(Path::new("a\0b"));
        assert!(reg.slot.is_none());
    }
}

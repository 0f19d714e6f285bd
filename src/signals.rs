//! Interrupted runs leave nothing behind: SIGINT and SIGTERM remove the temporary output file.
//!
//! Ctrl-C sends SIGINT, and SLURM's time limit (and `scancel`) sends SIGTERM; mpirun and
//! mpiexec forward either to every rank. By default both signals kill a process on the spot,
//! which would leave the `.<name>.tmp-<pid>-<n>` file of an [`atomic_file`](crate::atomic_file)
//! write in the output folder. [`install`] (called by `Spmd::init`, after MPI is initialised so
//! that our handler is the one in place) replaces that with a handler that removes the
//! temporary file, then ends the process the way the signal would have.
//!
//! # Async-signal safety
//!
//! A handler may interrupt any thread at any instruction, including one inside `malloc` or
//! holding a lock, so it may only touch lock-free atomics and call async-signal-safe functions.
//! This one does exactly three things:
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
//! Normal code registers a temporary path *before* creating the file ([`TempRegistration`]), and
//! unregisters it only *after* the rename or removal; a handler that runs in between unlinks a
//! path that does not exist yet or any more, which is harmless (`ENOENT`), and a rename that
//! follows the handler's unlink fails (`ENOENT`) in a process that is about to end anyway.
//!
//! What is left: if the signal lands on another thread in the microseconds between the
//! handler's unlink of a not-yet-created path and the process's end, while this thread's
//! `open(O_CREAT)` completes, that file survives (closing that needs blocking signals in every
//! thread, which MPI's own threads make impossible). SIGKILL cannot be caught at all; on Linux
//! the file being written has no name until it is whole (see [`atomic_file`](crate::atomic_file)),
//! so a rank killed with it while writing leaves nothing, except in the microseconds between
//! naming and renaming, and elsewhere it leaves its temporary file, hidden (a leading dot) and
//! named for its pid. The target file is never touched.

use std::ffi::c_char;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::Once;

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

/// The handler body: unlink every registered temporary file, then die of the signal.
fn on_signal(sig: i32) {
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
    fn a_path_with_nul_is_not_registered() {
        let reg = TempRegistration::new(Path::new("a\0b"));
        assert!(reg.slot.is_none());
    }
}

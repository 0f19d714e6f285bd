//! The threads each rank computes with: rayon's global pool, built once at start-up, never larger
//! than the node has logical CPUs.
//!
//! More threads than CPUs cannot run at once; thousands of them only cost time (a 32x24 image
//! took 11-59 s with `--threads 4096`, against 1 s with 256), so a larger `--threads` is clamped
//! to the node's CPUs and rank 0 says so in one note.

/// The logical CPUs online on this node (`sysconf(_SC_NPROCESSORS_ONLN)`), not only those this
/// process is bound to: a rank bound to one core by the launcher may still be given threads
/// (`--bind-to none`, `--cpus-per-task`). At least 1.
pub fn node_cpus() -> usize {
    #[cfg(unix)]
    {
        // SAFETY: sysconf(3) reads a system value and has no memory effects.
        let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
        if n >= 1 {
            return n as usize;
        }
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The threads a rank that asked for `requested` computes with: at most [`node_cpus`], at
/// least 1.
pub fn usable_threads(requested: usize) -> usize {
    requested.clamp(1, node_cpus())
}

/// The note rank 0 prints when `requested` threads were clamped to `used`, or `None`.
pub fn clamp_note(requested: usize, used: usize) -> Option<String> {
    (used < requested).then(|| {
        format!(
            "note: --threads {requested} is more than this node's {used} logical CPUs; each rank \
             computes with {used} threads"
        )
    })
}

/// Starts the pool for `requested` threads, clamped to [`node_cpus`]. Returns the threads used,
/// which the reports show.
pub fn start(requested: u16) -> u16 {
    let used = usable_threads(usize::from(requested));
    use_threads(used);
    // At most `requested`, so it fits.
    u16::try_from(used).unwrap_or(requested)
}

/// Rank 0 (`say`) prints the [`clamp_note`] on stderr if [`start`] clamped `requested` to `used`:
/// called once the request is accepted, so a refused one gets its one `error:` line alone.
pub fn note_clamp(say: bool, requested: u16, used: u16) {
    if let Some(note) = clamp_note(usize::from(requested), usize::from(used)).filter(|_| say) {
        eprintln!("{note}");
    }
}

/// Sets the number of threads each rank computes with (rayon's global pool), once, at start-up.
///
/// The pool is built once so that repeated parallel steps do not pay for starting threads; MPI
/// itself is only ever called from the main thread (`MPI_THREAD_FUNNELED`).
pub fn use_threads(threads: usize) {
    // Fails only if a global pool exists already, in which case it is kept.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build_global();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_are_clamped_to_the_node() {
        let cpus = node_cpus();
        assert!(cpus >= 1);
        assert_eq!(usable_threads(1), 1);
        assert_eq!(usable_threads(0), 1);
        assert_eq!(usable_threads(cpus), cpus);
        assert_eq!(usable_threads(4096), cpus.min(4096));
        assert_eq!(clamp_note(cpus, cpus), None);
        let note = clamp_note(4096, 2).expect("clamped");
        assert_eq!(
            note,
            "note: --threads 4096 is more than this node's 2 logical CPUs; each rank computes \
             with 2 threads"
        );
    }
}

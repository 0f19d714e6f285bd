//! The MPI layer both programs share.
//!
//! One shape for every program: MPI is initialised once, rank 0 reads and validates the input and
//! tells everyone the outcome before any other collective ([`Spmd::agree`]), rank 0 scatters each
//! rank a description of its work ([`Spmd::scatter_slices`]), every rank computes, and rank 0
//! gathers the results ([`Spmd::gather_slices`]). rsmpi's counts are `i32`; the helpers here check
//! them, and [`Spmd::broadcast_vec`] sends long vectors in chunks.

use std::process::ExitCode;
use std::sync::OnceLock;

use mpi::datatype::{Partition, PartitionMut};
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Count;

use crate::error::{Error, EXIT_RUNTIME};

/// The job stops with this exit code on every rank; rank 0 has already said why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Halt(pub u8);

impl Halt {
    /// The process exit code for this halt.
    pub fn exit_code(self) -> ExitCode {
        ExitCode::from(self.0)
    }
}

/// The number of processes the launcher says it started (Open MPI's mpirun, MPICH's Hydra or a
/// PMI-based launcher), if one did.
fn launcher_size() -> Option<i32> {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.trim().parse().ok())
}

/// This process's rank according to the launcher, if one started it.
fn launcher_rank() -> Option<i32> {
    ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.trim().parse().ok())
}

/// A launcher that started several processes which MPI sees as separate one-rank jobs: the
/// program was built against another MPI than the launcher's (e.g. built with MPICH, started by
/// Open MPI's mpirun). Computing on would give `size` copies of a one-rank answer.
fn launcher_mismatch(size: i32) -> Option<String> {
    let launched = launcher_size()?;
    if launched <= 1 || launched == size {
        return None;
    }
    let library = mpi::environment::library_version().unwrap_or_default();
    // E.g. "Open MPI v4.1.4" or "MPICH Version: 4.0.2": the first line, up to its first comma.
    let first = library
        .lines()
        .next()
        .unwrap_or("")
        .split(',')
        .next()
        .unwrap_or("");
    let mut library = first.split_whitespace().collect::<Vec<_>>().join(" ");
    if library.is_empty() {
        library = "an unknown MPI".into();
    }
    Some(format!(
        "the launcher started {launched} processes but MPI sees {size}: this program was built \
         against {library}, not the MPI of the mpiexec that started it; launch it with the \
         matching mpiexec or rebuild it (README: Choosing an MPI)"
    ))
}

/// Turns the result of a program's `run()` into the exit code every rank returns.
pub fn exit_code(result: Result<(), Halt>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(halt) => halt.exit_code(),
    }
}

/// The root rank: it reads input, plans the work, prints and writes files.
pub const ROOT: i32 = 0;

/// Largest element count a single MPI message may carry (rsmpi's counts are `i32`).
pub const MAX_COUNT: usize = i32::MAX as usize;

/// An initialised MPI job seen from one rank. MPI is finalised when this is dropped.
pub struct Spmd {
    world: SimpleCommunicator,
    rank: i32,
    size: i32,
    // Declared last so it drops (and finalises MPI) after the communicator handle.
    _universe: Universe,
}

impl Spmd {
    /// Initialises MPI (threads allowed, MPI called from the main thread only) and installs a
    /// panic hook that aborts the whole job, so a panic never leaves other ranks waiting.
    pub fn init() -> Result<Spmd, Halt> {
        let Some((universe, _threading)) = mpi::initialize_with_threading(mpi::Threading::Funneled)
        else {
            eprintln!("error: MPI could not be initialised (was it initialised twice?)");
            return Err(Halt(EXIT_RUNTIME));
        };
        crate::signals::install();
        let world = universe.world();
        let (rank, size) = (world.rank(), world.size());
        if rank == 0 {
            let program = std::env::args_os()
                .next()
                .and_then(|a| {
                    std::path::Path::new(&a)
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                })
                .unwrap_or_else(|| "mpi-examples".to_string());
            crate::signals::say_when_stopped(&program);
        }
        if let Some(mismatch) = launcher_mismatch(size) {
            // Every process believes it is rank 0 of 1; only the launcher's rank 0 says why.
            if launcher_rank() == Some(0) {
                eprintln!("error: {mismatch}");
            } else {
                // The launcher kills the job when the first process exits non-zero: the others
                // wait a moment so that rank 0 has said why before that happens. They still
                // exit by themselves if the launcher lets them run on.
                std::thread::sleep(std::time::Duration::from_secs(3));
            }
            return Err(Halt(EXIT_RUNTIME));
        }
        if size > 1 {
            let default_hook = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                default_hook(info);
                SimpleCommunicator::world().abort(101);
            }));
        }
        Ok(Spmd {
            world,
            rank,
            size,
            _universe: universe,
        })
    }

    /// This process's rank in the world communicator.
    pub fn rank(&self) -> i32 {
        self.rank
    }

    /// The number of ranks in the job (1 when launched without mpirun).
    pub fn size(&self) -> i32 {
        self.size
    }

    /// Whether this rank is rank 0, the one that reads, plans, prints and writes.
    pub fn is_root(&self) -> bool {
        self.rank == ROOT
    }

    /// Wall-clock seconds from `MPI_Wtime` (counts from MPI initialisation).
    pub fn now(&self) -> f64 {
        mpi::time()
    }

    /// Rank 0 decides, everyone learns: rank 0 passes the outcome of its step (other ranks pass
    /// `None`), and every rank gets `Ok` (with rank 0's value on rank 0) or the same [`Halt`].
    ///
    /// Rank 0 prints the error, one line on stderr, *before* the broadcast, because once any rank
    /// exits non-zero the launcher may kill the rest.
    pub fn agree<T>(&self, outcome: Option<Result<T, Error>>) -> Result<Option<T>, Halt> {
        let mut code: u8 = 0;
        let mut value = None;
        if self.is_root() {
            match outcome.expect("rank 0 must pass its outcome to agree()") {
                Ok(v) => value = Some(v),
                Err(e) => {
                    eprintln!("error: {e}");
                    code = e.exit_code();
                }
            }
        }
        self.world.process_at_rank(ROOT).broadcast_into(&mut code);
        match code {
            0 => Ok(value),
            c => Err(Halt(c)),
        }
    }

    /// Broadcasts a value that rank 0 holds to every rank.
    pub fn broadcast_value<T: Equivalence + Default>(&self, value: Option<T>) -> T {
        let mut v = value.unwrap_or_default();
        self.world.process_at_rank(ROOT).broadcast_into(&mut v);
        v
    }

    /// Broadcasts a vector that rank 0 holds to every rank, in chunks of at most
    /// [`max_count`] elements so that any length fits MPI's `i32` counts.
    pub fn broadcast_vec<T: Equivalence + Default + Clone>(&self, data: Option<Vec<T>>) -> Vec<T> {
        let len = self.broadcast_value(data.as_ref().map(|d| d.len() as u64)) as usize;
        let mut buf = data.unwrap_or_else(|| vec![T::default(); len]);
        let root = self.world.process_at_rank(ROOT);
        for chunk in buf.chunks_mut(max_count()) {
            root.broadcast_into(chunk);
        }
        buf
    }

    /// Rank 0 hands each rank its own slice: `parts[r]` goes to rank `r` (other ranks pass
    /// `None`). Slices may differ in length and be empty.
    ///
    /// The planner guarantees the total fits an `i32` count (a bigger plan panics, which aborts
    /// the job: it is a programming error, not a user's).
    pub fn scatter_slices<T: Equivalence + Default + Clone>(
        &self,
        parts: Option<&[Vec<T>]>,
    ) -> Vec<T> {
        let root = self.world.process_at_rank(ROOT);
        let mut my_count: Count = 0;
        if self.is_root() {
            let parts = parts.expect("rank 0 must pass the slices to scatter_slices()");
            assert_eq!(parts.len(), self.size as usize, "one slice per rank");
            let counts = counts_of(parts.iter().map(Vec::len));
            let displs = displacements(&counts);
            root.scatter_into_root(&counts[..], &mut my_count);
            let flat: Vec<T> = parts.concat();
            let mut mine = vec![T::default(); my_count as usize];
            let partition = Partition::new(&flat[..], counts, &displs[..]);
            root.scatter_varcount_into_root(&partition, &mut mine[..]);
            mine
        } else {
            root.scatter_into(&mut my_count);
            let mut mine = vec![T::default(); my_count as usize];
            root.scatter_varcount_into(&mut mine[..]);
            mine
        }
    }

    /// Every rank sends its slice to rank 0, which gets them all in one buffer, rank by rank
    /// (other ranks get `None`). Slices may differ in length and be empty.
    pub fn gather_slices<T: Equivalence + Default + Clone>(
        &self,
        local: &[T],
    ) -> Option<Gathered<T>> {
        let root = self.world.process_at_rank(ROOT);
        let my_count = counts_of(std::iter::once(local.len()))[0];
        if self.is_root() {
            let mut counts = vec![0 as Count; self.size as usize];
            root.gather_into_root(&my_count, &mut counts[..]);
            let counts = counts_of(counts.iter().map(|&c| c as usize));
            let displs = displacements(&counts);
            let total: usize = counts.iter().map(|&c| c as usize).sum();
            let mut data = vec![T::default(); total];
            {
                let mut partition = PartitionMut::new(&mut data[..], &counts[..], &displs[..]);
                root.gather_varcount_into_root(local, &mut partition);
            }
            let mut starts: Vec<usize> = displs.iter().map(|&d| d as usize).collect();
            starts.push(total);
            Some(Gathered { data, starts })
        } else {
            root.gather_into(&my_count);
            root.gather_varcount_into(local);
            None
        }
    }
}

/// What [`Spmd::gather_slices`] delivers on rank 0: every rank's slice, back to back.
#[derive(Debug, Clone, PartialEq)]
pub struct Gathered<T> {
    data: Vec<T>,
    /// Where each rank's slice starts in `data`, plus the total at the end.
    starts: Vec<usize>,
}

impl<T> Gathered<T> {
    /// The slice rank `rank` sent.
    pub fn part(&self, rank: usize) -> &[T] {
        &self.data[self.starts[rank]..self.starts[rank + 1]]
    }

    /// Every rank's slice, in rank order.
    pub fn parts(&self) -> impl Iterator<Item = &[T]> {
        self.starts.windows(2).map(|w| &self.data[w[0]..w[1]])
    }

    /// All slices back to back, in rank order.
    pub fn into_flat(self) -> Vec<T> {
        self.data
    }
}

/// The largest element count one message carries: `i32::MAX` (rsmpi's counts are `i32`), or
/// less when `MPI_EXAMPLES_MAX_COUNT` says so, which the tests set to exercise the chunking of
/// messages past 2^31 elements without gigabytes. Read once per process.
pub fn max_count() -> usize {
    static MAX: OnceLock<usize> = OnceLock::new();
    *MAX.get_or_init(|| {
        std::env::var("MPI_EXAMPLES_MAX_COUNT")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .map_or(MAX_COUNT, |n| n.clamp(1, MAX_COUNT))
    })
}

impl Spmd {
    /// The world communicator, for the point-to-point protocols built on this layer.
    pub fn world(&self) -> &SimpleCommunicator {
        &self.world
    }

    /// Sends `data` to `dest` as consecutive messages of at most [`max_count`] elements with
    /// `tag` (one empty message when `data` is empty); [`Spmd::receive_chunked`] takes them.
    pub fn send_chunked<T: Equivalence>(&self, dest: i32, tag: i32, data: &[T]) {
        let to = self.world.process_at_rank(dest);
        if data.is_empty() {
            to.send_with_tag(data, tag);
        }
        for chunk in data.chunks(max_count()) {
            to.send_with_tag(chunk, tag);
        }
    }

    /// Receives exactly `buf.len()` elements from `source` sent by [`Spmd::send_chunked`] (or by
    /// the same chunking with immediate sends).
    pub fn receive_chunked<T: Equivalence>(&self, source: i32, tag: i32, buf: &mut [T]) {
        let from = self.world.process_at_rank(source);
        if buf.is_empty() {
            from.receive_into_with_tag(buf, tag);
        }
        for chunk in buf.chunks_mut(max_count()) {
            let status = from.receive_into_with_tag(chunk, tag);
            let got = status.count(T::equivalent_datatype()) as usize;
            assert_eq!(
                got,
                chunk.len(),
                "rank {source} sent a chunk of the wrong size"
            );
        }
    }
}

/// Element counts as MPI `i32`s; a total beyond `i32::MAX` is a planning error.
fn counts_of(lens: impl Iterator<Item = usize>) -> Vec<Count> {
    let counts: Vec<Count> = lens
        .map(|l| Count::try_from(l).expect("slice longer than an MPI i32 count"))
        .collect();
    let total: usize = counts.iter().map(|&c| c as usize).sum();
    assert!(
        total <= MAX_COUNT,
        "{total} elements exceed an MPI i32 displacement"
    );
    counts
}

/// Exclusive prefix sums of the counts: where each rank's slice starts in the flat buffer.
fn displacements(counts: &[Count]) -> Vec<Count> {
    counts
        .iter()
        .scan(0, |acc, &c| {
            let start = *acc;
            *acc += c;
            Some(start)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displacements_are_exclusive_prefix_sums() {
        assert_eq!(displacements(&[3, 0, 2, 5]), vec![0, 3, 3, 5]);
        assert_eq!(displacements(&[]), Vec::<Count>::new());
    }

    #[test]
    #[should_panic(expected = "exceed an MPI i32")]
    fn counts_beyond_i32_are_refused() {
        counts_of([MAX_COUNT, 1].into_iter());
    }
}

//! The MPI layer both programs share.
//!
//! One shape for every program: MPI is initialised once, rank 0 reads and validates the input and
//! tells everyone the outcome before any other collective ([`Spmd::agree`]), rank 0 scatters each
//! rank a description of its work ([`Spmd::scatter_slices`]), every rank computes, and rank 0
//! gathers the results ([`Spmd::gather_slices`]). rsmpi's counts are `i32`; the helpers here check
//! them, and [`Spmd::broadcast_vec`] sends long vectors in chunks.

use std::ops::Range;
use std::process::ExitCode;

use mpi::datatype::{Partition, PartitionMut};
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Count;

use crate::error::{Error, EXIT_RUNTIME, EXIT_USAGE};

/// The job stops with this exit code on every rank; rank 0 has already said why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Halt(pub u8);

impl Halt {
    /// The process exit code for this halt.
    pub fn exit_code(self) -> ExitCode {
        ExitCode::from(self.0)
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
        if let Some(mismatch) = launcher_mismatch(size) {
            // Every process believes it is rank 0 of 1; only the launcher's rank 0 says why.
            if launcher_rank() == Some(0) {
                eprintln!("error: {mismatch}");
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

    /// Parses the command line with clap after MPI is up. Every rank parses the same arguments;
    /// only rank 0 prints help, the version or the usage error, and every rank stops alike.
    pub fn parse_args<P: clap::Parser>(&self) -> Result<P, Halt> {
        match P::try_parse() {
            Ok(args) => Ok(args),
            Err(err) => {
                let code = if err.use_stderr() { EXIT_USAGE } else { 0 };
                if self.is_root() {
                    // Prints to stdout for --help/--version, to stderr for usage errors.
                    let _ = err.print();
                }
                Err(Halt(code))
            }
        }
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
    /// [`MAX_COUNT`] elements so that any length fits MPI's `i32` counts.
    pub fn broadcast_vec<T: Equivalence + Default + Clone>(&self, data: Option<Vec<T>>) -> Vec<T> {
        let len = self.broadcast_value(data.as_ref().map(|d| d.len() as u64)) as usize;
        let mut buf = data.unwrap_or_else(|| vec![T::default(); len]);
        let root = self.world.process_at_rank(ROOT);
        for chunk in buf.chunks_mut(MAX_COUNT) {
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

    /// The same slices with every element converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Gathered<U> {
        Gathered {
            data: self.data.into_iter().map(f).collect(),
            starts: self.starts,
        }
    }
}

/// Message tag of a piece of a streamed gather.
const TAG_STREAM: i32 = 3;

impl Spmd {
    /// A gather that overlaps with the computing: every rank fills its slice of `my_len`
    /// elements in `pieces` steps with `fill(range, out)` (ranges are whole multiples of `unit`
    /// elements); the other ranks send each piece to rank 0 as soon as it is filled (nonblocking),
    /// and rank 0 receives the pieces that have arrived between its own. Every rank gets its own
    /// slice back; rank 0 also gets the others' (its own part there is empty), given `lens`, every
    /// rank's slice length, which rank 0 knows from its plan.
    ///
    /// Only the last piece of each rank is transferred after the computing ends, so large results
    /// cost little more than small ones.
    pub fn gather_streamed<T: Equivalence + Default + Clone>(
        &self,
        my_len: usize,
        unit: usize,
        pieces: usize,
        lens: Option<&[usize]>,
        mut fill: impl FnMut(Range<usize>, &mut [T]),
    ) -> (Vec<T>, Option<Gathered<T>>) {
        let unit = unit.max(1);
        let units = my_len / unit;
        let piece = |k: usize| {
            let r = crate::partition::block_range(units as u64, pieces.max(1) as u64, k as u64);
            r.start as usize * unit..r.end as usize * unit
        };
        let mut mine = vec![T::default(); my_len];
        let root = self.world.process_at_rank(ROOT);
        if !self.is_root() {
            mpi::request::scope(|scope| {
                let mut sends = Vec::with_capacity(pieces);
                let mut rest: &mut [T] = &mut mine[..];
                for k in 0..pieces.max(1) {
                    let range = piece(k);
                    let (head, tail) = std::mem::take(&mut rest).split_at_mut(range.len());
                    fill(range, head);
                    let head: &[T] = head;
                    sends.push(root.immediate_send_with_tag(scope, head, TAG_STREAM));
                    rest = tail;
                }
                for send in sends {
                    send.wait();
                }
            });
            return (mine, None);
        }

        let lens = lens.expect("rank 0 must pass every rank's slice length to gather_streamed()");
        assert_eq!(lens.len(), self.size as usize, "one length per rank");
        let mut starts = vec![0usize; lens.len() + 1];
        for (r, &len) in lens.iter().enumerate() {
            starts[r + 1] = starts[r] + if r == ROOT as usize { 0 } else { len };
        }
        let mut data = vec![T::default(); starts[lens.len()]];
        let mut received = starts.clone(); // where each rank's next piece goes
                                           // Every other rank sends exactly `pieces` messages, some possibly empty.
        let expected = pieces.max(1) * (self.size as usize - 1);
        let mut got = 0usize;
        let any = self.world.any_process();
        let mut take = |matched: (mpi::point_to_point::Message, mpi::point_to_point::Status)| {
            let (message, status) = matched;
            let source = status.source_rank() as usize;
            let count = status.count(T::equivalent_datatype()) as usize;
            let at = received[source];
            assert!(
                at + count <= starts[source + 1],
                "rank {source} sent more than its plan"
            );
            message.matched_receive_into(&mut data[at..at + count]);
            received[source] += count;
        };
        let mut rest: &mut [T] = &mut mine[..];
        for k in 0..pieces.max(1) {
            let range = piece(k);
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(range.len());
            fill(range, head);
            rest = tail;
            while let Some(matched) = any.immediate_matched_probe_with_tag(TAG_STREAM) {
                take(matched);
                got += 1;
            }
        }
        while got < expected {
            take(any.matched_probe_with_tag(TAG_STREAM));
            got += 1;
        }
        assert!(
            received[..lens.len()] == starts[1..],
            "every rank sent its whole slice"
        );
        (mine, Some(Gathered { data, starts }))
    }
}

/// Message tag of a worker's request, carrying the result of its previous chunk.
const TAG_RESULT: i32 = 1;
/// Message tag of rank 0's reply: the next chunk, or an empty range meaning "stop".
const TAG_WORK: i32 = 2;

/// One finished chunk of a dynamic schedule: the items it covered, what they gave, and the rank
/// that computed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkResult {
    /// The items of the chunk.
    pub items: Range<u32>,
    /// The chunk's result, as `work` returned it.
    pub data: Vec<u32>,
    /// The rank that computed it.
    pub rank: i32,
}

impl Spmd {
    /// Load balancing on demand: rank 0 hands out `0..items` in chunks of `chunk` items to
    /// whichever rank asks next, and computes chunks itself between requests. Every rank calls
    /// this with the same `items` and `chunk`; rank 0 gets every chunk's result back (the other
    /// ranks get `None`).
    ///
    /// A worker's request carries the result of its previous chunk, so one message per chunk
    /// goes each way. Between polls rank 0 computes a single item for itself, so a worker's
    /// request waits at most one item's work for an answer.
    pub fn dynamic_chunks(
        &self,
        items: u32,
        chunk: u32,
        mut work: impl FnMut(Range<u32>) -> Vec<u32>,
    ) -> Option<Vec<ChunkResult>> {
        let chunk = chunk.max(1);
        if !self.is_root() {
            let root = self.world.process_at_rank(ROOT);
            // The first request carries no result: an empty range.
            let mut request: Vec<u32> = vec![0, 0];
            loop {
                root.send_with_tag(&request[..], TAG_RESULT);
                let mut job = [0u32; 2];
                root.receive_into_with_tag(&mut job[..], TAG_WORK);
                if job[0] == job[1] {
                    return None;
                }
                let data = work(job[0]..job[1]);
                request = [job[0], job[1]].into_iter().chain(data).collect();
            }
        }

        let mut next = 0u32;
        let take = |next: &mut u32, len: u32| -> Range<u32> {
            let start = *next;
            *next = start.saturating_add(len).min(items);
            start..*next
        };
        let mut results = Vec::new();
        let mut workers_left = self.size - 1;
        let any = self.world.any_process();
        while workers_left > 0 || next < items {
            let message = if next < items {
                any.immediate_matched_probe_with_tag(TAG_RESULT)
            } else {
                Some(any.matched_probe_with_tag(TAG_RESULT))
            };
            match message {
                Some(matched) => {
                    let (payload, status) = matched.matched_receive_vec::<u32>();
                    let source = status.source_rank();
                    if payload[0] < payload[1] {
                        results.push(ChunkResult {
                            items: payload[0]..payload[1],
                            data: payload[2..].to_vec(),
                            rank: source,
                        });
                    }
                    let job = take(&mut next, chunk);
                    if job.is_empty() {
                        workers_left -= 1;
                    }
                    self.world
                        .process_at_rank(source)
                        .send_with_tag(&[job.start, job.end][..], TAG_WORK);
                }
                None => {
                    // Rank 0 works one item at a time, so a worker's request waits at most one item.
                    let job = take(&mut next, 1);
                    let data = work(job.clone());
                    results.push(ChunkResult {
                        items: job,
                        data,
                        rank: ROOT,
                    });
                }
            }
        }
        results.sort_by_key(|r| r.items.start);
        Some(results)
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

//! Two MPI SPMD example programs, `dist-cities` and `mandel`, and the library they share.
//!
//! The mathematics is pure and testable without MPI; the MPI layer is small and shared; the
//! binaries under `src/bin/` are thin shells over these modules.
//!
//! | module        | what it holds |
//! |---------------|---------------|
//! | [`spmd`]      | the MPI layer: init, "rank 0 decides, everyone learns", varcount scatter and gather, timing |
//! | [`partition`] | pure work splits: block and cyclic rows, balanced ranges of the triangular pair index |
//! | [`summary`]   | the lines both reports share: the seed-style lines, per-rank times, load balance, peak memory |
//! | [`cities`]    | reading and validating city files, sphere geometry, the pair searches (brute force, tree, top K, WGS84) |
//! | [`mandel`]    | the request, viewport and pixel mapping, escape-count kernels (f64 and deep), colour, the schedules, PNG, `.npy` and checkpoints, movies |
//! | [`cli`]       | both programs' flags and value tables (clap: known only here and in `src/bin/`), turned into the library's plain requests |
//! | [`names`]     | [`names::OptionName`]: a choice's name as the flags spell it and the reports print it |
//! | [`output`]    | output files that appear whole or not at all, and the checks on their paths first |
//! | [`message`]   | how messages show paths, user text and byte counts (one line, controls escaped) |
//! | [`error`]     | the error type every fallible step returns, with its exit code |
//! | [`simd`]      | the instruction sets the fast kernels run on (detected at run time), one vector trait for all, and the dispatch every SIMD kernel runs through |
//! | [`progress`]  | progress of long work on rank 0's stderr: a bar on a terminal, lines elsewhere |
//! | [`threads`]   | the threads of each rank: rayon's pool, at most the node's logical CPUs |
//! | [`signals`]   | SIGINT and SIGTERM remove the temporary output file, then end the process; rank 0's deferred stop saves first |

pub mod cities;
pub mod cli;
pub mod error;
pub mod mandel;
pub mod message;
pub mod names;
pub mod output;
pub mod partition;
pub mod progress;
pub mod signals;
pub mod simd;
pub mod spmd;
pub mod summary;
pub mod threads;

pub use error::Error;

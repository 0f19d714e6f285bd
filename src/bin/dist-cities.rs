//! `dist-cities`: the largest great-circle distance between any two cities of a file, under MPI.
//!
//! Rank 0 reads and validates the cities, every rank receives the coordinates, rank 0 scatters
//! each rank an equal share of the pair index space, every rank finds its farthest pair, and rank 0
//! gathers and reduces them. Memory per rank is O(n), never O(n^2). The steps are
//! `mpi_examples::cities::distributed`'s; the report is `mpi_examples::cities::report`'s.

use std::process::ExitCode;

use mpi_examples::cities::distributed::{Cities, Local, Share};
use mpi_examples::cities::report;
use mpi_examples::cli::{self, DistCitiesArgs as Args};
use mpi_examples::spmd::{exit_code, Halt, Spmd};
use mpi_examples::threads;

fn main() -> ExitCode {
    exit_code(run())
}

fn run() -> Result<(), Halt> {
    // MPI init, rank and size; every rank turns the same flags into the same request.
    let spmd = Spmd::init()?;
    let mut request = cli::parse_args::<Args>(&spmd)?.request();
    // The threads of each rank: at most the node's CPUs (rank 0 notes a clamp once agreed).
    let asked = request.threads;
    request.threads = threads::start(asked);
    // Rank 0 validates the request and reads the cities; everyone learns the outcome.
    let cities = Cities::read(&spmd, &request)?;
    threads::note_clamp(spmd.is_root(), asked, request.threads);
    // The scatter: every rank gets the coordinates, then its own range of pair indices.
    let share = Share::scatter(&spmd, &cities);
    // The local compute: this rank's farthest pair, or its K best in the order asked for.
    let local = Local::search(&spmd, &request, cities.algorithm, &share);
    // The gather: rank 0 gets the best pair (refined on the ellipsoid) and every rank's figures.
    let found = local.gather(&spmd, &request, &share, cities.read_s);
    // Rank 0's report.
    if let (Some(table), Some((answer, figures))) = (&cities.table, found) {
        let algorithm = cities.algorithm;
        let ranks = spmd.size();
        report::print(&report::Run {
            request: &request,
            algorithm,
            table,
            answer: &answer,
            figures: &figures,
            ranks,
        });
    }
    Ok(())
}

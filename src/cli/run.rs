//! The options both programs take: threads per rank and the report's form.

/// The options both programs take: threads per rank and the report's form.
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Threads per rank (rayon). Under mpirun, let ranks use several cores: `--bind-to none` or
    /// `--map-by slot:PE=N` (SLURM: `--cpus-per-task=N`).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: u16,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

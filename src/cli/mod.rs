//! The command-line arguments of both programs, parsed by clap: [`cities`] for `dist-cities`,
//! [`mandel`] for `mandel`, and the options they share here.
//!
//! In the library so that tests and fuzzers can parse argument lists (`try_parse_from`)
//! without MPI. The binaries under `src/bin/` parse these with [`crate::spmd::Spmd::parse_args`].

pub mod cities;
pub mod mandel;

pub use cities::{parse_delimiter, DistCitiesArgs};
pub use mandel::*;

pub use crate::names::OptionName;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cities::{Algorithm, Kernel as CityKernel, Units};
    use crate::mandel::png::PngCompression;
    use crate::mandel::{Kernel as MandelKernel, Schedule};
    use crate::progress::ProgressMode;

    /// The text report prints clap's names and the JSON report serde's: they must be the same
    /// words for every value.
    fn names_agree<T: clap::ValueEnum + serde::Serialize>() {
        for v in T::value_variants() {
            let json = serde_json::to_value(v).expect("serialises");
            assert_eq!(json.as_str(), Some(v.name().as_str()));
        }
    }

    #[test]
    fn option_names_are_the_reports_names() {
        names_agree::<Schedule>();
        names_agree::<MandelKernel>();
        names_agree::<PngCompression>();
        names_agree::<ProgressMode>();
        names_agree::<Algorithm>();
        names_agree::<CityKernel>();
        names_agree::<Units>();
        names_agree::<crate::cities::wgs84::Earth>();
    }
}

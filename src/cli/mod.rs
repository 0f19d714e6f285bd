//! The command-line arguments of both programs, parsed by clap: [`cities`] for `dist-cities`,
//! [`mandel`] for `mandel`, and the options they share ([`run`]).
//!
//! In the library so that tests and fuzzers can parse argument lists (`try_parse_from`)
//! without MPI. The binaries under `src/bin/` parse these with [`parse_args`]. Clap is known
//! here and in `src/bin/` only: the library's enumerations get their command-line names and
//! help from [`values`]' tables.

pub mod cities;
pub mod mandel;
pub mod run;
pub mod values;

pub use cities::{parse_delimiter, DistCitiesArgs};
pub use mandel::*;
pub use run::RunArgs;

pub use crate::names::OptionName;

use crate::error::EXIT_USAGE;
use crate::spmd::{Halt, Spmd};

/// Parses the command line with clap after MPI is up. Every rank parses the same arguments;
/// only rank 0 prints help, the version or the usage error, and every rank stops alike.
pub fn parse_args<P: clap::Parser>(spmd: &Spmd) -> Result<P, Halt> {
    match P::try_parse() {
        Ok(args) => Ok(args),
        Err(err) => {
            let code = if err.use_stderr() { EXIT_USAGE } else { 0 };
            if spmd.is_root() {
                // Prints to stdout for --help/--version, to stderr for usage errors.
                let _ = err.print();
            }
            Err(Halt(code))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cities::{Algorithm, Kernel as CityKernel, Units};
    use crate::mandel::sink::png::encoder::PngCompression;
    use crate::mandel::{Kernel as MandelKernel, Schedule};
    use crate::progress::ProgressMode;

    /// The text report prints clap's names and the JSON report serde's: they must be the same
    /// words for every value.
    fn names_agree<T: clap::ValueEnum + serde::Serialize + std::fmt::Debug + PartialEq>() {
        for v in T::value_variants() {
            let clap_name = v.to_possible_value().expect("shown").get_name().to_owned();
            assert_eq!(clap_name, v.name(), "{v:?}");
            assert_eq!(T::from_str(&clap_name, false).as_ref(), Ok(v));
        }
    }

    #[test]
    fn option_names_are_the_reports_names() {
        names_agree::<Schedule>();
        names_agree::<MandelKernel>();
        names_agree::<PngCompression>();
        names_agree::<ProgressMode>();
        names_agree::<crate::mandel::ColorScale>();
        names_agree::<Algorithm>();
        names_agree::<CityKernel>();
        names_agree::<Units>();
        names_agree::<crate::cities::wgs84::Earth>();
    }
}

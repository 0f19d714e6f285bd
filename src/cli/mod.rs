//! The command-line arguments of both programs, parsed by clap: [`cities`] for `dist-cities`,
//! [`mandel`] for `mandel`, and the options they share ([`run`]).
//!
//! In the library so that tests and fuzzers can parse argument lists (`try_parse_from`)
//! without MPI. The binaries under `src/bin/` parse these with [`crate::spmd::Spmd::parse_args`].

pub mod cities;
pub mod mandel;
pub mod run;
mod values;

pub use cities::{parse_delimiter, DistCitiesArgs};
pub use mandel::*;
pub use run::RunArgs;

pub use crate::names::OptionName;

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

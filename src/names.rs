//! The name of a value of an enumerated option, as the command line spells it and the reports
//! print it.
//!
//! A leaf of the library, so that the reports (and anything else that prints a choice) name
//! values without importing the command-line module.

/// The name of a value of an enumerated option as the command line spells it and the reports
/// print it. Clap's table of the enumeration (its `ValueEnum`) is the one source, so a name, its
/// parsing and its help cannot drift apart.
pub trait OptionName {
    /// The value's name, e.g. `"cyclic"`.
    fn name(&self) -> String;
}

impl<T: clap::ValueEnum> OptionName for T {
    fn name(&self) -> String {
        self.to_possible_value()
            .expect("no value of an option is hidden")
            .get_name()
            .to_owned()
    }
}

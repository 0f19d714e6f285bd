//! The name of a value of an enumerated option, as the reports print it and the command line
//! spells it.
//!
//! A leaf of the library, so that the reports (and anything else that prints a choice) name
//! values without the command-line module. Serde's name (`rename_all`) is the one source; the
//! command line's value tables (`cli::values`) use the same words, which a unit test there
//! checks for every value.

/// The name of a value of an enumerated option, e.g. `"cyclic"`: its serde name.
pub trait OptionName {
    /// The value's name.
    fn name(&self) -> String;
}

impl<T: serde::Serialize> OptionName for T {
    fn name(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(name)) => name,
            other => panic!("an option's value serialises as its name, not {other:?}"),
        }
    }
}

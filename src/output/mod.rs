//! Output files that appear whole or not at all, and the checks made on their paths first.
//!
//! Rank 0 calls [`check_output_path`] before any computing, so a typo in `--out` costs
//! nothing; then [`write_atomically`] writes a temporary file in the same folder and renames it
//! over the target, so a failed or killed run never leaves half a file and never spoils an
//! existing one.

mod atomic;
mod check;
mod error;
#[cfg(test)]
mod test_files;

pub use atomic::{folder_of, write_atomically};
pub use check::{check_output_path, check_room, free_space};
pub use error::OutputError;

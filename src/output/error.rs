//! Why an output file cannot be checked or written: what and where, and the exit code for it.

use std::io;
use std::path::PathBuf;

use crate::message::{bytes_text, shown};

/// An output file that cannot be checked or written; says what and where.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The path ends in `..` or `/` and names no file.
    #[error("output path names no file, {}", shown(path))]
    NoFileName {
        /// The path given.
        path: PathBuf,
    },
    /// The extension is not one the program writes.
    #[error("output file name must end in {}, {}", dotted(allowed), shown(path))]
    UnsupportedExtension {
        /// The path given.
        path: PathBuf,
        /// The extensions accepted, without dots.
        allowed: Vec<String>,
    },
    /// The folder the file would go in does not exist.
    #[error("output folder does not exist, {}", shown(dir))]
    FolderMissing {
        /// The folder.
        dir: PathBuf,
    },
    /// The "folder" the file would go in is a file.
    #[error("output folder is a file, not a folder, {}", shown(dir))]
    FolderIsFile {
        /// The folder path.
        dir: PathBuf,
    },
    /// The folder cannot be inspected or a file cannot be created in it.
    #[error("cannot create files in the output folder ({source}), {}", shown(dir))]
    FolderNotWritable {
        /// The folder.
        dir: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The output path is an existing folder.
    #[error("output path is a folder, {}", shown(path))]
    IsFolder {
        /// The path given.
        path: PathBuf,
    },
    /// The file would not fit the free space of its folder's file system.
    #[error("output needs {} but its folder has {} free, {}", bytes_text(*needed), bytes_text(*free), shown(path))]
    NoRoom {
        /// The path given.
        path: PathBuf,
        /// Bytes the file needs.
        needed: u64,
        /// Bytes free for an unprivileged user there.
        free: u64,
    },
    /// Writing, syncing or renaming failed at run time.
    #[error("cannot write the output file ({source}), {}", shown(path))]
    Write {
        /// The target path.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
}

impl OutputError {
    /// 2 when the path was refused before computing, 1 when writing failed at run time.
    pub fn exit_code(&self) -> u8 {
        match self {
            OutputError::Write { .. } => 1,
            _ => 2,
        }
    }
}

/// `["png", "npy"]` -> `.png or .npy`.
fn dotted(extensions: &[String]) -> String {
    let dotted: Vec<String> = extensions.iter().map(|e| format!(".{e}")).collect();
    dotted.join(" or ")
}

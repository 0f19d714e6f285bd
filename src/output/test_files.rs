//! Helpers the output tests share: scratch folders, listings, error kinds.
#![cfg(test)]

use std::fs;
use std::path::{Path, PathBuf};

use super::error::OutputError;

/// A fresh folder and the path `name` in it (the folder goes when the guard drops).
pub fn scratch(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    (dir, path)
}

/// `e` is of the kind `is_kind` tells, and every rank exits with `code` for it.
pub fn assert_kind(e: &OutputError, is_kind: fn(&OutputError) -> bool, code: u8) {
    assert!(is_kind(e), "{e}");
    assert_eq!(e.exit_code(), code, "{e}");
}

/// [`scratch`], with a file holding `old` at the path.
pub fn with_old_file(name: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, path) = scratch(name);
    fs::write(&path, b"old").expect("write");
    (dir, path)
}

/// Names in `dir`, sorted, to prove no temporary file was left.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

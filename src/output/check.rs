//! The checks rank 0 makes on an output path before any computing, so a typo in `--out` costs
//! nothing: the extension, the folder, that a file can be created there, and room for a file
//! whose size is known in advance (`statvfs`).

use std::fs;
use std::io;
use std::path::Path;

use super::atomic::{create_temp, folder_of};
use super::error::OutputError;

/// Bytes an unprivileged user may still write on the file system of `path`'s folder
/// (`statvfs`), or `None` where that cannot be asked.
pub fn free_space(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let dir = std::ffi::CString::new(folder_of(path).as_os_str().as_bytes()).ok()?;
        // SAFETY: statvfs(3) writes into the zeroed struct we own and reads the C string.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs(dir.as_ptr(), &mut st) } != 0 {
            return None;
        }
        // The fields' widths differ between platforms (u64 here, u32 on some).
        #[allow(clippy::useless_conversion)]
        let (blocks, size) = (u64::from(st.f_bavail), u64::from(st.f_frsize));
        Some(blocks.saturating_mul(size))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Refuses, before any computing, an output of `needed` bytes (a size known in advance) that
/// exceeds the free space where it goes.
pub fn check_room(path: &Path, needed: u64) -> Result<(), OutputError> {
    match free_space(path) {
        Some(free) if needed > free => Err(OutputError::NoRoom {
            path: path.to_path_buf(),
            needed,
            free,
        }),
        _ => Ok(()),
    }
}

/// Refuses, before any computing, an output path that [`write_atomically`](super::write_atomically) could not fill.
///
/// Checks the extension (case-insensitive, listed without dots), that the folder exists and is
/// a folder, that the path is not a folder, and that a file can be created in the folder
/// (by creating and removing one: permission bits say nothing when running as root).
pub fn check_output_path(path: &Path, allowed_extensions: &[&str]) -> Result<(), OutputError> {
    let Some(file_name) = path.file_name() else {
        return Err(OutputError::NoFileName {
            path: path.to_path_buf(),
        });
    };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let allowed = |a: &&str| a.trim_start_matches('.').eq_ignore_ascii_case(ext);
    if ext.is_empty() || !allowed_extensions.iter().any(allowed) {
        return Err(OutputError::UnsupportedExtension {
            path: path.to_path_buf(),
            allowed: allowed_extensions
                .iter()
                .map(|a| a.trim_start_matches('.').to_string())
                .collect(),
        });
    }
    let dir = folder_of(path);
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(OutputError::FolderIsFile {
                dir: dir.to_path_buf(),
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(OutputError::FolderMissing {
                dir: dir.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(OutputError::FolderNotWritable {
                dir: dir.to_path_buf(),
                source,
            })
        }
    }
    if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(OutputError::IsFolder {
            path: path.to_path_buf(),
        });
    }
    let (probe, file, registration) =
        create_temp(dir, file_name).map_err(|source| OutputError::FolderNotWritable {
            dir: dir.to_path_buf(),
            source,
        })?;
    drop(file);
    let removed = fs::remove_file(&probe).map_err(|source| OutputError::FolderNotWritable {
        dir: dir.to_path_buf(),
        source,
    });
    // Unregistered only once the file is gone, so a signal in between still removes it.
    drop(registration);
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::test_files::{assert_kind, listing, scratch};

    const EXTS: &[&str] = &["png", "npy"];

    #[test]
    fn accepts_a_good_path_and_leaves_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        check_output_path(&dir.path().join("out.png"), EXTS).expect("good path");
        check_output_path(&dir.path().join("OUT.NPY"), EXTS).expect("case-insensitive");
        check_output_path(&dir.path().join("out.png"), &[".png"]).expect("dotted extension");
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn bare_name_lives_in_current_folder() {
        assert_eq!(folder_of(Path::new("out.png")), Path::new("."));
        assert_eq!(folder_of(Path::new("a/out.png")), Path::new("a"));
        assert_eq!(folder_of(Path::new("/out.png")), Path::new("/"));
    }

    #[test]
    fn refuses_unsupported_extension() {
        let e = check_output_path(Path::new("out.jpg"), EXTS).unwrap_err();
        assert_eq!(
            e.to_string(),
            "output file name must end in .png or .npy, out.jpg"
        );
        assert_eq!(e.exit_code(), 2);
        let e = check_output_path(Path::new("out"), EXTS).unwrap_err();
        assert!(matches!(e, OutputError::UnsupportedExtension { .. }), "{e}");
        let e = check_output_path(Path::new("out/.."), EXTS).unwrap_err();
        assert!(matches!(e, OutputError::NoFileName { .. }), "{e}");
    }

    #[test]
    fn refuses_missing_folder() {
        let (_dir, missing) = scratch("nope");
        let e = check_output_path(&missing.join("out.png"), EXTS).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("output folder does not exist, {}", missing.display())
        );
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn refuses_a_file_as_folder() {
        let (_dir, file) = scratch("plain.txt");
        fs::write(&file, "x").expect("write");
        let e = check_output_path(&file.join("out.png"), EXTS).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("output folder is a file, not a folder, {}", file.display())
        );
        // Deeper below a file the system says "not a directory": still refused, with its words.
        let e = check_output_path(&file.join("sub/out.png"), EXTS).unwrap_err();
        assert_kind(
            &e,
            |e| matches!(e, OutputError::FolderNotWritable { .. }),
            2,
        );
    }

    #[test]
    fn refuses_an_existing_folder_as_output() {
        let (_dir, sub) = scratch("img.png");
        fs::create_dir(&sub).expect("mkdir");
        let e = check_output_path(&sub, EXTS).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("output path is a folder, {}", sub.display())
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn refuses_a_folder_where_files_cannot_be_created() {
        // /proc refuses new files even to root, unlike permission bits.
        let e = check_output_path(Path::new("/proc/mandel-check.png"), EXTS).unwrap_err();
        assert!(matches!(e, OutputError::FolderNotWritable { .. }), "{e}");
        assert!(
            e.to_string()
                .starts_with("cannot create files in the output folder ("),
            "{e}"
        );
        assert!(e.to_string().ends_with("), /proc"), "{e}");
        assert_eq!(e.exit_code(), 2);
    }
}

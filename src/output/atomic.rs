//! The all-or-nothing write: a temporary file in the target's folder, renamed over the target
//! once it is whole and synced.
//!
//! On Linux the temporary file starts without a name (`O_TMPFILE`): while it is written it is
//! in no folder, so a process killed even by SIGKILL leaves nothing (the kernel frees it). Only
//! once it is whole and synced does it get a name (`linkat`), for the instant before the rename.
//! Where a filesystem has no unnamed files (some network filesystems), or elsewhere than Linux,
//! the temporary file is named from the start. A named temporary file's path is registered with
//! [`signals`](crate::signals) for as long as it exists, so SIGINT or SIGTERM removes it too;
//! SIGKILL during a named write leaves it, hidden (a leading dot) and named for its pid.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::OutputError;
use crate::signals::TempRegistration;

/// The folder a path's file lives in; a bare file name lives in the current folder.
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes `path` through `f` into a temporary file beside it, then renames it into place.
///
/// The temporary file (unnamed while written where the system allows, see the module doc; named
/// `.<name>.tmp-<pid>-<n>` for the rename) has ordinary permissions (0666 less the umask); it is
/// flushed and synced before the rename and removed on any error or panic, so an existing
/// `path` is either replaced whole or left as it was.
pub fn write_atomically(
    path: &Path,
    f: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), OutputError> {
    let fail = |source: io::Error| OutputError::Write {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path.file_name().ok_or_else(|| {
        fail(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path names no file",
        ))
    })?;
    let dir = folder_of(path);
    #[cfg(target_os = "linux")]
    if let Some(file) = unnamed::create(dir) {
        let file = write_whole(file, f).map_err(fail)?;
        let guard = unnamed::name(file, dir, file_name).map_err(fail)?;
        return publish(guard, dir, path).map_err(fail);
    }
    write_named(dir, file_name, path, f).map_err(fail)
}

/// [`write_atomically`] through a temporary file that has its name from the start.
fn write_named(
    dir: &Path,
    file_name: &OsStr,
    path: &Path,
    f: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let (tmp, file, registration) = create_temp(dir, file_name)?;
    let guard = TempGuard {
        path: Some(tmp),
        _registration: registration,
    };
    drop(write_whole(file, f)?);
    publish(guard, dir, path)
}

/// Writes through `f`, flushes and syncs; returns the file.
fn write_whole(
    file: File,
    f: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<File> {
    let mut writer = BufWriter::new(file);
    f(&mut writer)?;
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(file)
}

/// Renames the whole, synced temporary file of `guard` over `path`.
fn publish(mut guard: TempGuard, dir: &Path, path: &Path) -> io::Result<()> {
    if let Some(tmp) = guard.path.as_deref() {
        fs::rename(tmp, path)?;
    }
    guard.path = None;
    // Make the rename itself durable; a folder that cannot be synced is no reason to fail.
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Temporary files without a name until they are whole (Linux `O_TMPFILE`).
#[cfg(target_os = "linux")]
mod unnamed {
    use std::ffi::{CString, OsStr};
    use std::fs::{File, OpenOptions};
    use std::io;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    use std::path::Path;

    use super::{create_temp, temp_name, TempGuard, TempRegistration};

    /// An unnamed regular file on `dir`'s filesystem (0666 less the umask once named), or
    /// `None` where the kernel or the filesystem offers none: then the caller names one.
    pub(super) fn create(dir: &Path) -> Option<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .mode(0o666)
            .custom_flags(libc::O_TMPFILE)
            .open(dir)
            .ok()
    }

    /// Gives the whole, synced unnamed `file` a fresh temporary name in `dir`, registered for
    /// removal on SIGINT or SIGTERM before it exists; returns the guard that renames or removes it.
    ///
    /// Links through `/proc/self/fd` (any user) or, without `/proc`, with `AT_EMPTY_PATH`
    /// (which needs `CAP_DAC_READ_SEARCH`); where neither can, the bytes are copied into a
    /// named temporary file instead.
    pub(super) fn name(mut file: File, dir: &Path, file_name: &OsStr) -> io::Result<TempGuard> {
        for _ in 0..100 {
            let tmp = temp_name(dir, file_name);
            let registration = TempRegistration::new(&tmp);
            match link(&file, &tmp) {
                Ok(()) if registration.taken_by_handler() => {
                    // A handler ran during the link and may have missed the name; the process
                    // is ending, so remove it here in case this thread gets there first.
                    let _ = std::fs::remove_file(&tmp);
                    return Err(io::Error::new(
                        io::ErrorKind::Interrupted,
                        "interrupted by a signal",
                    ));
                }
                Ok(()) => {
                    return Ok(TempGuard {
                        path: Some(tmp),
                        _registration: registration,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(_) => break,
            }
        }
        // No way to name it: copy the bytes into a named temporary file.
        let (tmp, mut named, registration) = create_temp(dir, file_name)?;
        let guard = TempGuard {
            path: Some(tmp),
            _registration: registration,
        };
        io::Seek::rewind(&mut file)?;
        io::copy(&mut file, &mut named)?;
        named.sync_all()?;
        Ok(guard)
    }

    /// `linkat` of `file` to the new path `to`.
    fn link(file: &File, to: &Path) -> io::Result<()> {
        let to = CString::new(to.as_os_str().as_bytes())?;
        let fd = file.as_raw_fd();
        let via_proc = CString::new(format!("/proc/self/fd/{fd}"))?;
        // SAFETY: both paths are NUL-terminated strings that outlive the calls; the flags are
        // linkat's own.
        let linked = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                via_proc.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if linked == 0 {
            return Ok(());
        }
        let first = io::Error::last_os_error();
        if first.kind() == io::ErrorKind::AlreadyExists {
            return Err(first);
        }
        // SAFETY: as above; an empty path with AT_EMPTY_PATH names `fd` itself.
        let linked = unsafe {
            libc::linkat(
                fd,
                c"".as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::AT_EMPTY_PATH,
            )
        };
        if linked == 0 {
            Ok(())
        } else {
            Err(first)
        }
    }
}

/// Removes the temporary file when dropped, unless it has been renamed into place.
///
/// The signal registration is a field, so it is dropped (withdrawn) only after `drop` has
/// removed the file: a SIGINT or SIGTERM at any point before that still removes it.
struct TempGuard {
    path: Option<PathBuf>,
    _registration: TempRegistration,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = fs::remove_file(path);
        }
    }
}

/// A temporary name `.<name>.tmp-<pid>-<n>` in `dir`, `n` counting up within the process.
fn temp_name(dir: &Path, file_name: &OsStr) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = OsString::from(".");
    name.push(file_name);
    name.push(format!(".tmp-{}-{n}", std::process::id()));
    dir.join(name)
}

/// Creates a fresh `.<name>.tmp-<pid>-<n>` in `dir`, never reusing an existing file, and
/// registers it for removal on SIGINT or SIGTERM (before creating it, so no instant is missed).
/// The caller drops the registration only after renaming or removing the file.
pub(super) fn create_temp(
    dir: &Path,
    file_name: &OsStr,
) -> io::Result<(PathBuf, File, TempRegistration)> {
    let mut last_err = None;
    for _ in 0..100 {
        let tmp = temp_name(dir, file_name);
        let registration = TempRegistration::new(&tmp);
        // create_new: never follow or clobber; mode is 0666 less the umask, like any new file.
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) if registration.taken_by_handler() => {
                // A handler ran during the open and may have missed the file; the process is
                // ending, so remove it here in case this thread gets there first.
                drop(file);
                let _ = fs::remove_file(&tmp);
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    "interrupted by a signal",
                ));
            }
            Ok(file) => return Ok((tmp, file, registration)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary name")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::test_files::{assert_kind, listing, scratch, with_old_file};
    use std::io::Write;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_file_being_written_is_in_no_folder() {
        // On Linux filesystems with unnamed files (ext4, xfs, btrfs, tmpfs), nothing is in the
        // folder while the bytes are written, so even SIGKILL could leave nothing behind.
        let dir = tempfile::tempdir().expect("temp dir");
        if unnamed::create(dir.path()).is_none() {
            eprintln!("no O_TMPFILE on this filesystem: the named path is used");
            return;
        }
        let target = dir.path().join("out.npy");
        fs::write(&target, b"old").expect("write");
        write_atomically(&target, |w| {
            w.write_all(b"new")?;
            w.flush()?;
            assert_eq!(listing(dir.path()), ["out.npy"], "visible while written");
            Ok(())
        })
        .expect("write");
        assert_eq!(fs::read(&target).expect("read"), b"new");
        assert_eq!(listing(dir.path()), ["out.npy"]);
    }

    #[test]
    fn the_named_path_writes_whole_files_and_cleans_up() {
        // The path taken where unnamed files are not available.
        let (dir, target) = scratch("out.png");
        let name = target.file_name().expect("name");
        write_named(dir.path(), name, &target, |w| {
            let names = listing(dir.path());
            assert!(
                names.len() == 1 && names[0].starts_with(".out.png.tmp-"),
                "{names:?}"
            );
            w.write_all(b"png")
        })
        .expect("write");
        assert_eq!(fs::read(&target).expect("read"), b"png");
        let e = write_named(dir.path(), name, &target, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("encoder failed"))
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "encoder failed");
        assert_eq!(fs::read(&target).expect("read"), b"png");
        assert_eq!(listing(dir.path()), ["out.png"]);
    }

    #[test]
    fn writes_whole_file_and_leaves_no_temp() {
        let (dir, target) = scratch("out.npy");
        write_atomically(&target, |w| w.write_all(b"hello")).expect("write");
        assert_eq!(fs::read(&target).expect("read"), b"hello");
        // Replaces an existing file whole.
        write_atomically(&target, |w| w.write_all(b"bye")).expect("rewrite");
        assert_eq!(fs::read(&target).expect("read"), b"bye");
        assert_eq!(listing(dir.path()), ["out.npy"]);
    }

    #[cfg(unix)]
    #[test]
    fn new_file_has_ordinary_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        // A file made by std gets 0666 less the umask; ours must match it (not tempfile's 0600).
        let reference = dir.path().join("reference");
        File::create(&reference).expect("create");
        let want = fs::metadata(&reference).expect("meta").permissions().mode() & 0o777;
        let target = dir.path().join("out.png");
        write_atomically(&target, |w| w.write_all(b"x")).expect("write");
        let got = fs::metadata(&target).expect("meta").permissions().mode() & 0o777;
        assert_eq!(got, want, "mode {got:o} vs {want:o}");
        assert_eq!(got & !0o666, 0);
    }

    #[test]
    fn failure_keeps_existing_target_and_removes_temp() {
        let (dir, target) = with_old_file("out.png");
        let e = write_atomically(&target, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("encoder failed"))
        })
        .unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            e.to_string(),
            format!(
                "cannot write the output file (encoder failed), {}",
                target.display()
            )
        );
        assert_eq!(fs::read(&target).expect("read"), b"old");
        assert_eq!(listing(dir.path()), ["out.png"]);
    }

    #[test]
    fn panic_keeps_existing_target_and_removes_temp() {
        let (dir, target) = with_old_file("out.png");
        let result = std::panic::catch_unwind(|| {
            let _ = write_atomically(&target, |w| {
                w.write_all(b"partial")?;
                panic!("encoder bug");
            });
        });
        assert!(result.is_err());
        assert_eq!(fs::read(&target).expect("read"), b"old");
        assert_eq!(listing(dir.path()), ["out.png"]);
    }

    #[test]
    fn write_into_missing_folder_is_a_runtime_failure() {
        let (_dir, target) = scratch("gone/out.png");
        let e = write_atomically(&target, |w| w.write_all(b"x")).unwrap_err();
        assert_kind(&e, |e| matches!(e, OutputError::Write { .. }), 1);
    }

    #[test]
    fn rename_onto_a_folder_fails_cleanly() {
        let (dir, target) = scratch("out.png");
        fs::create_dir(&target).expect("mkdir");
        fs::write(target.join("keep"), b"k").expect("write");
        let e = write_atomically(&target, |w| w.write_all(b"x")).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert_eq!(listing(dir.path()), ["out.png"]);
        assert_eq!(listing(&target), ["keep"]);
    }

    #[test]
    fn temp_names_are_hidden_and_distinct() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (a, _fa, _ra) = create_temp(dir.path(), "out.png".as_ref()).expect("temp");
        let (b, _fb, _rb) = create_temp(dir.path(), "out.png".as_ref()).expect("temp");
        assert_ne!(a, b);
        let name = a.file_name().expect("name").to_string_lossy().into_owned();
        assert!(
            name.starts_with(&format!(".out.png.tmp-{}-", std::process::id())),
            "{name}"
        );
    }
}

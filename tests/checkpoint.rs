//! Checkpoint integrity under mpirun: an image interrupted with `--checkpoint` (SIGTERM to the
//! launcher once two chunks are saved), one byte flipped in the body of its second chunk, then
//! the same command again: the corrupt chunk is not trusted (its rows and every row after it are
//! computed again, the first chunk's are restored), and the PNG and `.npy` are an uninterrupted
//! run's bytes. The checksum's rejection itself is unit-tested in `src/mandel/sink/checkpoint.rs`.
//!
//! The interrupted run is started with `common::Running`, so it is bounded by the same timeout as
//! every other launch.

mod common;

use std::path::{Path, PathBuf};

use common::{listing, mpirun_command, mpirun_n, mpirun_n_env, signal, slow_image, strs, Running};

const BIN: &str = env!("CARGO_BIN_EXE_mandel");

/// The image's height in rows.
const HEIGHT: u64 = 300;

/// Bytes before a chunk's body: magic (8), request hash (8), first row, end row, width (4 each),
/// smooth flag (1), then the body's CRC-32 (4).
const BEFORE_BODY: usize = 8 + 8 + 4 + 4 + 4 + 1 + 4;

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The chunk files in a checkpoint folder, `(first, end, path)`, by first row.
fn chunks(cp: &Path) -> Vec<(u64, u64, PathBuf)> {
    let mut found: Vec<(u64, u64, PathBuf)> = listing(cp)
        .iter()
        .filter_map(|name| {
            let span = name.strip_prefix("rows-")?.strip_suffix(".bin")?;
            let (a, b) = span.split_once('-')?;
            Some((a.parse().ok()?, b.parse().ok()?, cp.join(name)))
        })
        .collect();
    found.sort();
    found
}

/// [`slow_image`] three times slower (about 7 s at 2 ranks on 2 cores), so that a loaded machine
/// still saves two chunks well before the image is done.
fn slower(mut args: Vec<String>) -> Vec<String> {
    let at = args
        .iter()
        .position(|a| a == "--max-iter")
        .expect("--max-iter")
        + 1;
    args[at] = "900000".into();
    args
}

#[test]
fn a_chunk_with_a_flipped_byte_is_computed_again_and_the_image_is_whole() {
    let dir = tempfile::tempdir().expect("dir");
    let (want_png, want_npy) = (dir.path().join("want.png"), dir.path().join("want.npy"));
    mpirun_n(
        BIN,
        2,
        &strs(&slower(slow_image(
            &[("--out", &want_png), ("--counts", &want_npy)],
            None,
        ))),
    )
    .assert_success();

    // Interrupted once two chunks are saved.
    let (png, npy, cp) = (
        dir.path().join("got.png"),
        dir.path().join("got.npy"),
        dir.path().join("cp"),
    );
    let args = slower(slow_image(
        &[("--out", &png), ("--counts", &npy)],
        Some(&cp),
    ));
    let env = [("MPI_EXAMPLES_CHECKPOINT_MS", "200")];
    let mut job = Running::spawn(mpirun_command(BIN, 2, &strs(&args), &env));
    let two_saved = || chunks(&cp).len() >= 2;
    assert!(
        job.wait_for("two saved chunks", two_saved),
        "the image was done before two chunks were saved"
    );
    signal(job.pid(), libc::SIGTERM, "the launcher");
    let o = job.finish();
    assert!(!o.timed_out, "timed out: {o:?}");
    assert!(
        !png.exists() && !npy.exists(),
        "no output from an interrupted run"
    );

    // One byte flipped in the second chunk's body: the low byte of a count in the middle of its
    // counts (which come before the smooth values), so that a chunk restored as if whole would
    // change the `.npy`.
    let saved = chunks(&cp);
    assert!(saved.len() >= 2, "{saved:?}");
    let (first, kept, _) = &saved[0];
    let (second, _, corrupt) = &saved[1];
    assert_eq!((*first, second), (0, kept), "chunks follow on: {saved:?}");
    let mut body = bytes(corrupt);
    assert!(body.len() > BEFORE_BODY, "{} bytes", body.len());
    let counts_bytes = (body.len() - BEFORE_BODY) / 2;
    let at = BEFORE_BODY + counts_bytes / 2 / 4 * 4;
    body[at] ^= 0x01;
    std::fs::write(corrupt, &body).expect("write");

    // The rerun restores the first chunk only and computes the rest.
    let o = mpirun_n_env(BIN, 2, &strs(&args), &env);
    o.assert_success();
    // Not assert_eq: a difference would print every byte.
    assert!(
        bytes(&png) == bytes(&want_png),
        "the PNG is an uninterrupted run's"
    );
    assert!(
        bytes(&npy) == bytes(&want_npy),
        "the .npy is an uninterrupted run's"
    );
    assert!(
        !cp.exists(),
        "the checkpoint is removed once the image is written"
    );
    let j = o.json();
    let restored = j["rows_restored"].as_u64().expect("restored");
    let computed = j["rows_computed"].as_u64().expect("computed");
    assert_eq!(
        restored, *kept,
        "only the rows before the corrupt chunk are restored"
    );
    assert_eq!(restored + computed, HEIGHT);
}

//! The counts as a NumPy `.npy` file, written row by row as batches arrive.

use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use super::{incomplete, Batch, OutputThread};
use crate::mandel::npy::npy_header;
use crate::output::write_atomically;

/// The exact size of the `.npy` file of a `width` x `height` image, header included.
pub fn npy_size(width: u32, height: u32) -> u64 {
    npy_header(width, height).len() as u64 + 4 * u64::from(width) * u64::from(height)
}

/// An output thread writing `path` as a `(height, width)` `<u4` array.
pub fn npy_output(path: PathBuf, width: u32, height: u32) -> OutputThread {
    Box::new(move |rx: Receiver<Arc<Batch>>| {
        write_atomically(&path, |w| {
            w.write_all(&npy_header(width, height))?;
            let want = u64::from(width) * u64::from(height);
            let mut got = 0u64;
            let mut bytes = Vec::new();
            for batch in rx {
                bytes.clear();
                bytes.extend(batch.counts.iter().flat_map(|n| n.to_le_bytes()));
                w.write_all(&bytes)?;
                got += batch.counts.len() as u64;
            }
            if got != want {
                let w = u64::from(width.max(1));
                return Err(incomplete(&path, got / w, want / w));
            }
            Ok(())
        })?;
        Ok(())
    })
}

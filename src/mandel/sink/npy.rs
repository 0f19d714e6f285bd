//! Escape counts as a NumPy `.npy` file, so `np.load` gives the notebook's array directly: the
//! header, a whole array at once ([`write_npy`]), and the output thread that writes rows as
//! batches arrive ([`npy_output`]).
//!
//! Format version 1.0, dtype `<u4`, C order, shape `(height, width)`. The header is written
//! exactly as `np.save` (NumPy 2.x) writes it: the dict, 21 minus the digits of the first axis
//! in spare spaces, then space padding and `\n` so data starts on a 64-byte boundary.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use super::{incomplete, Batch, OutputThread};
use crate::output::write_atomically;

/// The magic string that opens every `.npy` file.
const MAGIC: &[u8] = b"\x93NUMPY";

/// Alignment of the data start, as NumPy's `ARRAY_ALIGN`.
const ALIGN: usize = 64;

/// Spare header room NumPy leaves for the growing axis (`GROWTH_AXIS_MAX_DIGITS`).
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// Writes `counts` (row-major, `height` rows of `width`) as a `.npy` array of little-endian `u32`.
///
/// Refuses (`InvalidInput`) a `counts` whose length is not `width * height`.
pub fn write_npy<W: Write>(w: &mut W, width: u32, height: u32, counts: &[u32]) -> io::Result<()> {
    if counts.len() as u64 != u64::from(width) * u64::from(height) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} counts do not fill a {width} x {height} array",
                counts.len()
            ),
        ));
    }
    w.write_all(&npy_header(width, height))?;
    // Little-endian bytes, a row at a time to keep the buffer small.
    let mut bytes = Vec::with_capacity(width as usize * 4);
    for row in counts.chunks(width.max(1) as usize) {
        bytes.clear();
        bytes.extend(row.iter().flat_map(|n| n.to_le_bytes()));
        w.write_all(&bytes)?;
    }
    Ok(())
}

/// The full header: magic, version 1.0, little-endian `u16` length, the padded dict (the data
/// follows it: `4 * width * height` bytes, so the file size is known before a row is computed).
pub fn npy_header(width: u32, height: u32) -> Vec<u8> {
    let mut dict =
        format!("{{'descr': '<u4', 'fortran_order': False, 'shape': ({height}, {width}), }}");
    let first_axis_digits = height.to_string().len();
    dict.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(first_axis_digits)));
    // NumPy: hlen = len(dict) + 1; padlen = ALIGN - ((6 + 2 + 2 + hlen) % ALIGN), 1..=64.
    let hlen = dict.len() + 1;
    let padlen = ALIGN - ((MAGIC.len() + 2 + 2 + hlen) % ALIGN);
    dict.push_str(&" ".repeat(padlen));
    dict.push('\n');
    // The dict is at most ~110 bytes, far below u16::MAX.
    let len = u16::try_from(dict.len()).unwrap_or(u16::MAX);
    let mut header = Vec::with_capacity(10 + dict.len());
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&[1, 0]);
    header.extend_from_slice(&len.to_le_bytes());
    header.extend_from_slice(dict.as_bytes());
    header
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads back what [`write_npy`] wrote: (shape, data); a tiny parser just for the tests.
    fn parse(bytes: &[u8]) -> ((usize, usize), Vec<u32>) {
        assert_eq!(&bytes[..6], MAGIC);
        assert_eq!(&bytes[6..8], &[1, 0]);
        let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        let header = std::str::from_utf8(&bytes[10..10 + hlen]).expect("ascii header");
        assert!(header.contains("'descr': '<u4'") && header.contains("'fortran_order': False"));
        let shape = &header[header.find("'shape': (").expect("shape") + 10..];
        let shape = &shape[..shape.find(')').expect("closing paren")];
        let dims: Vec<usize> = shape.split(", ").map(|d| d.parse().expect("dim")).collect();
        let data = bytes[10 + hlen..]
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        ((dims[0], dims[1]), data)
    }

    #[test]
    fn header_is_byte_identical_to_numpy_save() {
        // np.save(f, np.arange(6, dtype='<u4').reshape(2, 3)): 128-byte header, then the data.
        let mut out = Vec::new();
        write_npy(&mut out, 3, 2, &[0, 1, 2, 3, 4, 5]).expect("in-memory write");
        let mut want =
            b"\x93NUMPY\x01\x00v\x00{'descr': '<u4', 'fortran_order': False, 'shape': (2, 3), }"
                .to_vec();
        want.resize(127, b' ');
        want.push(b'\n');
        assert_eq!(&out[..128], &want[..]);
        assert_eq!(out.len(), 128 + 24);
        assert_eq!(&out[128..136], &[0, 0, 0, 0, 1, 0, 0, 0]);
    }

    #[test]
    fn header_keeps_64_byte_alignment_for_any_shape() {
        for (w, h) in [
            (1, 1),
            (0, 123_456_789),
            (1200, 800),
            (u32::MAX, u32::MAX),
            (7, 1_000_000_000),
        ] {
            let header = npy_header(w, h);
            assert_eq!(header.len() % 64, 0, "{w} x {h}");
            assert_eq!(header.last(), Some(&b'\n'));
            assert_eq!(
                u16::from_le_bytes([header[8], header[9]]) as usize,
                header.len() - 10
            );
        }
        // np.save of a (123456789, 0) array has exactly one 128-byte header.
        assert_eq!(npy_header(0, 123_456_789).len(), 128);
    }

    #[test]
    fn round_trips() {
        let counts: Vec<u32> = (0..35).map(|i| i * 1_000_003).collect();
        let mut out = Vec::new();
        write_npy(&mut out, 7, 5, &counts).expect("in-memory write");
        let (shape, data) = parse(&out);
        assert_eq!(shape, (5, 7));
        assert_eq!(data, counts);
    }

    #[test]
    fn refuses_a_wrong_length() {
        let err = write_npy(&mut Vec::new(), 3, 2, &[1, 2, 3]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}

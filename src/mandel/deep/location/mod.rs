//! Location files written by other deep-zoom programs.
//!
//! Two formats are read:
//!
//! * **rust-fractal-core** `.toml` files (keys `real`, `imag`, `zoom`, `iterations`);
//! * **Kalles Fraktaler 2+** `.kfr` files (lines `Re: …`, `Im: …`, `Zoom: …`, `Iterations: …`).
//!
//! The numbers are kept as the decimal strings that were written (any length), after a
//! syntax check; an arbitrary-precision parser elsewhere turns them into numbers.
//!
//! # Our pixel grid
//!
//! `mandel --center RE,IM --scale S --width W --height H` samples, with `d = S/W`,
//! column `j` (0..W) at `x = RE + d·(j − W/2)` and row `r` (0..H, row 0 at the top) at
//! `y = IM + d·((H−1−r) − H/2)`. Pixels are square, north (larger imaginary part) is up,
//! and the centre `RE + i·IM` falls at column `W/2` and row `H−1−H/2` (real division, so
//! half-way between two pixels when `W`, or `H`, is odd).
//!
//! # What the two programs do (facts read from their source code)
//!
//! **rust-fractal-core** (github.com/rust-fractal/rust-fractal-core, commit 6af4724c,
//! 2022-11-21):
//! * pixel spacing `d = 4 / ((H−1)·zoom)` (`src/renderer.rs` line 340), so the centres of
//!   the top and bottom rows are `4/zoom` apart;
//! * pixel `(i, j)` (column `i`, row `j` of the saved PNG, row 0 first; `src/renderer.rs`
//!   lines 400–401 and 425–428, `src/util/data_export.rs` `save_colour`) samples
//!   `x = real + d·(i − W(H−1)/(2H))`, `y = imag + d·(j − (H−1)/2)` (top-left offset from
//!   `get_delta_top_left`, `src/util/mod.rs` lines 141–150). So the imaginary part grows
//!   *downwards* (row 0 has the smallest imaginary part) and the centre lands at column
//!   `W(H−1)/(2H)` (which is `(W−1)/2` only for square images) and row `(H−1)/2`;
//! * `rotate` (degrees) turns the pixel grid about the centre;
//! * it reads `zoom`, `real` and `imag` with `get_str` and `iterations` with `get_int`
//!   (`src/renderer.rs` lines 61–65) through the `config` 0.9 crate, which lower-cases
//!   TOML keys, turns numbers into strings and parses integer strings (config 0.9.3
//!   `src/file/format/toml.rs` line 32, `src/value.rs` lines 201–224 and 291–297). Its
//!   zoom parser (`string_to_extended`, `src/util/mod.rs` lines 71–87) needs an exponent
//!   (`E`/`e`); every file in its `benchmarks/` and `locations/` folders writes `real`,
//!   `imag`, `zoom` as strings and `iterations` as a TOML integer.
//!
//! **Kalles Fraktaler 2+** (KF 2.15.2, the history of code.mathr.co.uk/kalles-fraktaler-2
//! as mirrored at github.com/LegalizeAdulthood/kalles-fraktaler, commit d7fd346f):
//! * `Zoom` sets the radius `2/zoom` (`fraktal_sft/fraktal_sft.cpp` `SetPosition`, line
//!   1516) and the pixel spacing is `2·radius / H` = `4 / (H·zoom)` (`fraktal_sft/render.cpp`
//!   line 335): the image *height* (not the shorter side) spans `4/zoom`, whatever the width;
//! * pixel `(i, j)` samples `x = Re + d·(i − ⌊W/2⌋)`, `y = Im + d·(j − ⌊H/2⌋)` (`GetPixelCoordinates`,
//!   `fraktal_sft/fraktal_sft.cpp` lines 3877–3902, integer division), and row `j` is the
//!   `j`-th row from the top of the saved image (bottom-up bitmap written at row `H−1−j`,
//!   `fraktal_sft/fraktal_sft.cpp` line 465, and flipped again by `bmp2rgb` in
//!   `fraktal_sft/main.cpp`), so here too the imaginary part grows downwards;
//! * `RotateAngle`, `StretchAngle`, `StretchAmount` transform the grid (`Parameter.cpp` lines
//!   465–483); files from KF before 2.15.1 carry `Rotate` and `Ratio` instead (`Ratio: 360`
//!   meant square pixels), which KF 2.15 no longer reads (commit a35ed017, 2020-10-13), so
//!   we ignore them too;
//! * keys are matched exactly and case-sensitively, the *first* matching line wins, and the
//!   row separator is CRLF (`Parameter.cpp` line 133, `common/StringVector.cpp`
//!   `FindString`); `Zoom` is written as `d.dddE<exp>` and read by an MPFR-backed decimal
//!   parser, so `1e1000`, `1.5E1000` or plain `1000` all work; `Re`/`Im` are written as long
//!   fixed-point decimals (thousands of digits at deep zooms).
//!
//! # Mapping to our grid
//!
//! We do not flip anything: a point is a point. Because both programs put the smallest
//! imaginary part at the top, our north-up image of the same location is *their image
//! mirrored top to bottom* (our row `r` shows their row `H−1−r`).
//!
//! With `S = scale_factor(W, H) / zoom` our pixel spacing equals theirs. Using the file's
//! `re`/`im` as our centre then samples their points shifted by a fraction of a pixel
//! (by `W/(2H)` pixels horizontally for rust-fractal-core, so more for very wide images);
//! to sample exactly their points, move the centre by [`Location::centre_offset`] pixels:
//! `RE = re + dx·S/W`, `IM = im + dy·S/W`.
//!
//! | format | `scale_factor` (S·zoom) | `centre_offset` (dx, dy) in pixels |
//! |---|---|---|
//! | rust-fractal-core | `4·W/(H−1)` | `(W/(2H), 1/2)` |
//! | Kalles Fraktaler | `4·W/H` | `(½ if W odd else 0, ½ if H odd else 0)` |
//!
//! # What we refuse
//!
//! Our renderer draws the plain Mandelbrot set `z² + c`, north up, with square pixels.
//! Files that ask for something else are refused with
//! [`LocationError::Unsupported`] instead of being rendered wrongly: a non-zero rotation or
//! stretch, another fractal type or power, a hybrid formula or a non-zero starting `z`.

//!
//! # Files
//!
//! | file            | what it holds |
//! |-----------------|---------------|
//! | `values.rs`     | [`Location`] and [`LocationFormat`]: the values read, their zoom and centre in our grid |
//! | `read.rs`       | [`Location::read`] and [`Location::parse`]: the format by extension, then its reader |
//! | `rust_fractal.rs` | the rust-fractal-core TOML reader |
//! | `kalles.rs`     | the Kalles Fraktaler KFR reader |
//! | `text.rs`       | the decimal syntax check and the quoting of values in messages |
//! | `error.rs`      | [`LocationError`]: one line naming the file, line and key |
//! | `wire.rs`       | a location as bytes, for rank 0 to broadcast |

mod error;
mod kalles;
mod read;
mod rust_fractal;
#[cfg(test)]
mod tests;
mod text;
mod values;
mod wire;

pub use error::LocationError;
pub use text::is_decimal;
pub use values::{Location, LocationFormat};
pub use wire::{location_from_wire, location_to_wire};

//! Colour maps: count -> RGB, matplotlib's `jet` and `gray` exactly, and colorous's gradients.
//!
//! `jet` and `gray` are rebuilt the way matplotlib 3.x builds them: a `LinearSegmentedColormap`
//! with `N = 256` whose lookup table comes from `_create_lookup_table` (same `f64` operations in
//! the same order), a value `t` picks entry `int(t * 256)` clipped to `[0, 255]`, and a float
//! channel becomes a byte as `Colormap.__call__(bytes=True)` does, `(lut * 255).astype(uint8)`,
//! which *truncates*. That `bytes=True` path is what `plt.imsave(counts, cmap=..., vmin=0,
//! vmax=max_iter)` writes, so an image of integer counts is byte-identical to the notebook's
//! `imsave` (checked against matplotlib 3.11 in the tests). `imshow` + `savefig` resamples and
//! is not a byte-exact reference.
//!
//! Deep zooms crowd their counts into a narrow band, which `t = value / max_iter` paints one
//! colour; a [`Cycle`] instead runs the map there and back many times over a log, square-root or
//! linear scale of the value, with the inside in a fixed colour, and [`auto_cycle`] fits it to
//! a sample of the picture. Every step is portable `f64` arithmetic, so a pixel's colour is a
//! function of its value and the options alone. (The colorous maps `sinebow`, `rainbow`,
//! `cubehelix`, `warm` and `cool` evaluate `f32` `sin`/`cos` from the platform's libm, linear
//! or cycled; the table maps and the other gradients use `+ - * /` only.)

use super::kernel::log2_portable;
use super::MandelError;

/// Entries in matplotlib's lookup table for its named colour maps (`rcParams['image.lut']`).
const LUT_SIZE: usize = 256;

/// Every colour map: its name and where its colours come from, in the order `--help` lists
/// them. Names, parsing and the error's list of valid names all follow from this one table.
#[rustfmt::skip]
const MAPS: &[(&str, Source)] = {
    use colorous::*;
    use Source::{Gradient as G, Segmented as S};
    &[
        ("jet", S(&JET)), ("gray", S(&GRAY)),
        ("viridis", G(VIRIDIS)), ("magma", G(MAGMA)), ("inferno", G(INFERNO)), ("plasma", G(PLASMA)),
        ("cividis", G(CIVIDIS)), ("turbo", G(TURBO)), ("cubehelix", G(CUBEHELIX)),
        ("warm", G(WARM)), ("cool", G(COOL)), ("rainbow", G(RAINBOW)), ("sinebow", G(SINEBOW)),
        ("spectral", G(SPECTRAL)), ("rdylbu", G(RED_YELLOW_BLUE)),
    ]
};

/// The names of [`MAPS`], in its order.
const NAMES: [&str; MAPS.len()] = {
    let mut names = [""; MAPS.len()];
    let mut k = 0;
    while k < MAPS.len() {
        names[k] = MAPS[k].0;
        k += 1;
    }
    names
};

/// Where a map's colours come from.
enum Source {
    /// matplotlib's segment data, turned into its 256-entry table.
    Segmented(&'static [&'static [(f64, f64, f64)]; 3]),
    /// A continuous gradient from the colorous crate.
    Gradient(colorous::Gradient),
}

/// matplotlib's `_jet_data`: per channel, rows of `(x, y0, y1)`.
const JET: [&[(f64, f64, f64)]; 3] = [
    &[
        (0.0, 0.0, 0.0),
        (0.35, 0.0, 0.0),
        (0.66, 1.0, 1.0),
        (0.89, 1.0, 1.0),
        (1.0, 0.5, 0.5),
    ],
    &[
        (0.0, 0.0, 0.0),
        (0.125, 0.0, 0.0),
        (0.375, 1.0, 1.0),
        (0.64, 1.0, 1.0),
        (0.91, 0.0, 0.0),
        (1.0, 0.0, 0.0),
    ],
    &[
        (0.0, 0.5, 0.5),
        (0.11, 1.0, 1.0),
        (0.34, 1.0, 1.0),
        (0.65, 0.0, 0.0),
        (1.0, 0.0, 0.0),
    ],
];

/// matplotlib's `_gray_data`: black to white on every channel.
const GRAY: [&[(f64, f64, f64)]; 3] = [&[(0.0, 0.0, 0.0), (1.0, 1.0, 1.0)]; 3];

/// A named map from `t` in `[0, 1]` to an RGB colour.
#[derive(Debug, Clone)]
pub struct Colormap {
    name: &'static str,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// A matplotlib-style 256-entry table of bytes.
    Table(Box<[[u8; 3]; LUT_SIZE]>),
    /// A continuous gradient from the colorous crate.
    Gradient(colorous::Gradient),
}

impl Colormap {
    /// Looks a map up by name, ignoring case; the error lists the names on offer.
    pub fn from_name(name: &str) -> Result<Self, MandelError> {
        let lower = name.to_ascii_lowercase();
        let Some((found, source)) = MAPS.iter().find(|(n, _)| *n == lower) else {
            return Err(MandelError::UnknownColormap {
                name: name.to_string(),
                valid: &NAMES,
            });
        };
        let kind = match source {
            Source::Segmented(data) => Kind::Table(segmented_table(data)),
            Source::Gradient(g) => Kind::Gradient(*g),
        };
        Ok(Self { name: found, kind })
    }

    /// The names [`Colormap::from_name`] accepts, for `--help` and error messages.
    pub fn names() -> &'static [&'static str] {
        &NAMES
    }

    /// This map's canonical (lowercase) name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The colour at `t`, clamped to `[0, 1]`; NaN is taken as 0.
    ///
    /// For the table maps this is matplotlib's `cmap(t, bytes=True)` (except NaN, which
    /// matplotlib paints transparent).
    pub fn rgb(&self, t: f64) -> [u8; 3] {
        let t = if t.is_nan() { 0.0 } else { t };
        match &self.kind {
            Kind::Table(table) => {
                // matplotlib: xa = t * N; xa == N -> N - 1; under -> 0; over -> N - 1;
                // int() truncates.
                let xa = t * LUT_SIZE as f64;
                let index = if xa < 0.0 {
                    0
                } else if xa >= LUT_SIZE as f64 {
                    LUT_SIZE - 1
                } else {
                    xa as usize
                };
                table[index]
            }
            Kind::Gradient(gradient) => {
                let c = gradient.eval_continuous(t.clamp(0.0, 1.0));
                [c.r, c.g, c.b]
            }
        }
    }
}

/// matplotlib's `_create_lookup_table(256, data)` for each channel, then
/// `(lut * 255).astype(uint8)`.
fn segmented_table(channels: &[&[(f64, f64, f64)]; 3]) -> Box<[[u8; 3]; LUT_SIZE]> {
    let mut table = Box::new([[0u8; 3]; LUT_SIZE]);
    for (ch, segments) in channels.iter().enumerate() {
        for (i, value) in segmented_lut(segments).into_iter().enumerate() {
            // Truncation, as numpy's astype(uint8) of a value already clipped to [0, 255].
            table[i][ch] = (value * 255.0) as u8;
        }
    }
    table
}

/// One channel of `_create_lookup_table(N=256, data, gamma=1.0)`, operation for operation.
///
/// `segments` starts at `x = 0`, ends at `x = 1`, with `x` strictly increasing (true of the
/// built-in data; the table is ours, not the user's).
fn segmented_lut(segments: &[(f64, f64, f64)]) -> [f64; LUT_SIZE] {
    let n1 = (LUT_SIZE - 1) as f64;
    // x = x * (N - 1)
    let x: Vec<f64> = segments.iter().map(|s| s.0 * n1).collect();
    // np.linspace(0, 1, N): i * (1 / (N - 1)), last forced to exactly 1; ** 1.0 is exact.
    let step = 1.0 / n1;
    let mut lut = [0.0; LUT_SIZE];
    lut[0] = segments[0].2;
    lut[LUT_SIZE - 1] = segments[segments.len() - 1].1;
    for (i, out) in lut.iter_mut().enumerate().take(LUT_SIZE - 1).skip(1) {
        let xind = n1 * (i as f64 * step);
        // np.searchsorted(x, xind) (side='left'): first index with x[ind] >= xind.
        let ind = x.partition_point(|&xk| xk < xind);
        let distance = (xind - x[ind - 1]) / (x[ind] - x[ind - 1]);
        *out = distance * (segments[ind].1 - segments[ind - 1].2) + segments[ind - 1].2;
    }
    for v in &mut lut {
        *v = v.clamp(0.0, 1.0);
    }
    lut
}

/// How a value (count or smooth count) becomes a position on the colour map.
///
/// With [`Painter::new`] only `Linear` exists: `t = value / max_iter`, once over the map. In a
/// [`Cycle`] each scale names the function `f` whose differences the palette cycles over:
/// `f(v) = v`, `log2(1 + v)` or `sqrt(v)`. Negative values and NaN are taken as 0 (counts never
/// are), so `f` is defined, finite for finite `v` and non-decreasing everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColourScale {
    /// `f(v) = v`: the present `t = v / max_iter` (no cycling); in a [`Cycle`], a period in
    /// iterations.
    Linear,
    /// `f(v) = log2(1 + v)`, a period in doublings of `1 + v`; `log2` is computed with `+ - * /`
    /// only (not the platform's libm), so it gives the same bits on every machine.
    Log,
    /// `f(v) = sqrt(v)` (IEEE `sqrt` is correctly rounded, so the same bits everywhere).
    Sqrt,
}

impl ColourScale {
    /// `f(v)` on this scale; `v` below 0, and NaN, are taken as 0.
    pub fn apply(self, v: f64) -> f64 {
        // `!(v > 0)` catches NaN as well as negatives and -0.
        let v = if v > 0.0 { v } else { 0.0 };
        match self {
            ColourScale::Linear => v,
            ColourScale::Log => log2_portable(1.0 + v),
            ColourScale::Sqrt => v.sqrt(),
        }
    }
}

/// Scale a cycling palette uses unless told otherwise: log. Each cycle spans the same ratio of
/// counts, so the bands of a wide view are spread evenly from the outside in to the set, where
/// sqrt leaves the outside one slow gradient and crowds the bands at the boundary; on a deep
/// view's narrow band of counts the two look alike.
pub const DEFAULT_CYCLE_SCALE: ColourScale = ColourScale::Log;

/// Palette cycles [`auto_cycle`] fits between the 1st and 99th percentile of a picture's
/// exterior values unless told otherwise. Enough that the crowded low end of a deep view (half
/// its pixels lie in the lowest fifth of that span, or less, on a log scale) gets more than one
/// colour; few enough that the bands of a wide view stay several pixels apart.
pub const DEFAULT_CYCLES: f64 = 6.0;

/// Colour of pixels that never escape (count `>= max_iter`) in a cycling palette: black.
pub const DEFAULT_INSIDE: [u8; 3] = [0, 0, 0];

/// Cycling options for Log and Sqrt.
///
/// An exterior value `v` sits at `t = frac((f(v) - f(offset)) / period)` in its cycle, and at
/// `s = 1 - |2t - 1|` on the colour map: a triangle wave, so the map runs there and back
/// (`jet`: blue, red, blue) and meets itself without a seam. Values below `offset` wrap as
/// well; `offset` itself is at `s = 0`, `offset` plus half a period at `s = 1`. Every step is
/// `f64` arithmetic that is the same on every machine, so a pixel's colour depends only on its
/// value and these options.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Cycle {
    /// Log or Sqrt; Linear here cycles linearly in the count, a period in iterations.
    pub scale: ColourScale,
    /// Value (in counts) at which the palette starts (phase 0, `s = 0`).
    pub offset: f64,
    /// Length of one palette cycle in the transformed units, `f(v) - f(offset)`: doublings for
    /// Log (`f = log2(1 + v)`, not `ln`), square-root units for Sqrt, iterations for Linear.
    /// Its sign does not matter (the triangle wave is symmetric); zero or non-finite puts the
    /// whole exterior at `s = 0` ([`auto_cycle`] never gives those).
    pub period: f64,
    /// Colour for pixels with count `>= max_iter`.
    pub inside: [u8; 3],
}

impl Cycle {
    /// A cycle fitted to `samples` by [`auto_cycle`], painting the inside `inside`.
    pub fn auto(
        samples: &[f64],
        max_iter: u32,
        scale: ColourScale,
        cycles: f64,
        inside: [u8; 3],
    ) -> Cycle {
        let (offset, period) = auto_cycle(samples, max_iter, scale, cycles);
        Cycle {
            scale,
            offset,
            period,
            inside,
        }
    }

    /// Position `s` in `[0, 1]` on the colour map of the exterior value `v`.
    pub fn position(&self, v: f64) -> f64 {
        Phase::of(self).position(v)
    }
}

/// A [`Cycle`] with `f(offset)` worked out once.
#[derive(Debug, Clone, Copy)]
struct Phase {
    scale: ColourScale,
    origin: f64,
    period: f64,
}

impl Phase {
    fn of(cycle: &Cycle) -> Phase {
        Phase {
            scale: cycle.scale,
            origin: cycle.scale.apply(cycle.offset),
            period: cycle.period,
        }
    }

    fn position(&self, v: f64) -> f64 {
        let x = (self.scale.apply(v) - self.origin) / self.period;
        if !x.is_finite() {
            return 0.0;
        }
        // In [0, 1]; a tiny negative x may round to t = 1, which is s = 0 as t = 0 is.
        let t = x - x.floor();
        1.0 - (2.0 * t - 1.0).abs()
    }
}

/// Offset and period for `scale` so that the sampled exterior values span `cycles` palette cycles
/// (inside samples, count >= max_iter, ignored).
///
/// Robust to outliers: the span is from the 1st to the 99th percentile (nearest rank, rounded
/// inwards: `(n - 1) / 100` places in from each end of the `n` sorted exterior samples), and the
/// offset is the 1st percentile, so the low end of the picture starts the palette at `s = 0`.
/// NaN and infinite samples are ignored too. Deterministic: sorted with `total_cmp`, and the
/// result depends only on the samples as a multiset, not on their order. With no exterior
/// samples the result is offset 0, period 1; with no spread between the percentiles, offset at
/// them, period 1. `cycles` that is not positive and finite is taken as 1.
pub fn auto_cycle(samples: &[f64], max_iter: u32, scale: ColourScale, cycles: f64) -> (f64, f64) {
    let limit = f64::from(max_iter);
    let mut exterior: Vec<f64> = samples
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v < limit)
        .collect();
    if exterior.is_empty() {
        return (0.0, 1.0);
    }
    exterior.sort_unstable_by(f64::total_cmp);
    let last = exterior.len() - 1;
    let cut = last / 100;
    let (low, high) = (exterior[cut], exterior[last - cut]);
    let cycles = if cycles.is_finite() && cycles > 0.0 {
        cycles
    } else {
        1.0
    };
    let span = scale.apply(high) - scale.apply(low);
    let period = if span > 0.0 { span / cycles } else { 1.0 };
    (low, period)
}

/// Counts (or smooth counts) to RGB8 pixels through a colour map: `t = value / max_iter`
/// ([`Painter::new`]) or a cycling palette ([`Painter::with_cycle`]).
///
/// Integer counts go through a per-count colour table, built once (up to [`TABLE_LIMIT`]
/// entries), so colouring costs one lookup per pixel; beyond that, and for smooth values, each
/// pixel is mapped directly, which gives the same bytes. Each pixel's colour depends only on its
/// own count (and smooth value), so any split of an image paints it the same. Shared by the
/// threads that encode.
#[derive(Debug, Clone)]
pub struct Painter {
    map: Colormap,
    max_iter: u32,
    /// The cycling palette and the inside colour; `None` for the linear map.
    cycle: Option<(Phase, [u8; 3])>,
    table: Option<Vec<[u8; 3]>>,
}

/// The longest per-count colour table a [`Painter`] builds (3 bytes an entry).
pub const TABLE_LIMIT: u32 = 1 << 20;

impl Painter {
    /// A painter for counts up to `max_iter` (`max_iter == 0`, refused upstream, paints `t = 0`).
    pub fn new(map: &Colormap, max_iter: u32) -> Painter {
        Painter::build(map, max_iter, None)
    }

    /// A painter that cycles `map` as `cycle` says, and paints counts `>= max_iter` (the inside,
    /// judged by the count even when smooth values are given) `cycle.inside`.
    pub fn with_cycle(map: &Colormap, max_iter: u32, cycle: Cycle) -> Painter {
        Painter::build(map, max_iter, Some((Phase::of(&cycle), cycle.inside)))
    }

    fn build(map: &Colormap, max_iter: u32, cycle: Option<(Phase, [u8; 3])>) -> Painter {
        let mut painter = Painter {
            map: map.clone(),
            max_iter,
            cycle,
            table: None,
        };
        if max_iter <= TABLE_LIMIT {
            let table = (0..=max_iter)
                .map(|n| painter.colour(n, f64::from(n)))
                .collect();
            painter.table = Some(table);
        }
        painter
    }

    /// The colour of a pixel with count `n` and value `v` (`n` itself, or its smooth count).
    fn colour(&self, n: u32, v: f64) -> [u8; 3] {
        match &self.cycle {
            None => {
                let t = if self.max_iter == 0 {
                    0.0
                } else {
                    v / f64::from(self.max_iter)
                };
                self.map.rgb(t)
            }
            Some((_, inside)) if n >= self.max_iter => *inside,
            Some((phase, _)) => self.map.rgb(phase.position(v)),
        }
    }

    /// Paints `counts` (or, when given, the smooth values, one per count) into `rgb`, 3 bytes a
    /// pixel.
    ///
    /// # Panics
    /// If `smooth` or `rgb` does not match `counts` in length: a caller's bug.
    pub fn paint(&self, counts: &[u32], smooth: Option<&[f32]>, rgb: &mut [u8]) {
        assert_eq!(rgb.len(), counts.len() * 3, "three bytes per pixel");
        match (smooth, &self.table) {
            (Some(smooth), _) => {
                assert_eq!(smooth.len(), counts.len(), "one smooth value per count");
                for ((px, &n), &mu) in rgb.chunks_exact_mut(3).zip(counts).zip(smooth) {
                    px.copy_from_slice(&self.colour(n, f64::from(mu)));
                }
            }
            (None, Some(table)) => {
                for (px, &n) in rgb.chunks_exact_mut(3).zip(counts) {
                    px.copy_from_slice(&table[n.min(self.max_iter) as usize]);
                }
            }
            (None, None) => {
                for (px, &n) in rgb.chunks_exact_mut(3).zip(counts) {
                    px.copy_from_slice(&self.colour(n, f64::from(n)));
                }
            }
        }
    }
}

/// RGB8 pixels for counts (or smooth counts): `t = value / max_iter` through `map`, all at once
/// ([`Painter`] does it block by block).
///
/// # Panics
/// If `smooth` is given with a length other than `counts.len()`: a caller's bug.
pub fn colorize(counts: &[u32], smooth: Option<&[f32]>, max_iter: u32, map: &Colormap) -> Vec<u8> {
    let mut rgb = vec![0u8; counts.len() * 3];
    Painter::new(map, max_iter).paint(counts, smooth, &mut rgb);
    rgb
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(colormaps["jet"]._lut * 255).astype(np.uint8)[:256, :3]` from matplotlib 3.11.2, hex.
    const MATPLOTLIB_JET: &str = concat!(
        "00007f00008400008800008d00009100009600009a00009f0000a30000a80000",
        "ac0000b10000b60000ba0000bf0000c30000c80000cc0000d10000d50000da00",
        "00de0000e30000e80000ec0000f10000f50000fa0000fe0000ff0000ff0000ff",
        "0000ff0004ff0008ff000cff0010ff0014ff0018ff001cff0020ff0024ff0028",
        "ff002cff0030ff0034ff0038ff003cff0040ff0044ff0048ff004cff0050ff00",
        "54ff0058ff005cff0060ff0064ff0068ff006cff0070ff0074ff0078ff007cff",
        "0080ff0084ff0088ff008cff0090ff0094ff0098ff009cff00a0ff00a4ff00a8",
        "ff00acff00b0ff00b4ff00b8ff00bcff00c0ff00c4ff00c8ff00ccff00d0ff00",
        "d4ff00d8ff00dcfe00e0fa00e4f702e8f405ecf108f0ed0cf4ea0ff8e712fce4",
        "15ffe118ffdd1cffda1fffd722ffd425ffd029ffcd2cffca2fffc732ffc336ff",
        "c039ffbd3cffba3fffb742ffb346ffb049ffad4cffaa4fffa653ffa356ffa059",
        "ff9d5cff9a5fff9663ff9366ff9069ff8d6cff8970ff8673ff8376ff8079ff7d",
        "7cff7980ff7683ff7386ff7089ff6c8dff6990ff6693ff6396ff5f9aff5c9dff",
        "59a0ff56a3ff53a6ff4faaff4cadff49b0ff46b3ff42b7ff3fbaff3cbdff39c0",
        "ff36c3ff32c7ff2fcaff2ccdff29d0ff25d4ff22d7ff1fdaff1cddff18e0ff15",
        "e4ff12e7ff0feaff0cedff08f1fc05f4f802f7f400faf000feed00ffe900ffe5",
        "00ffe200ffde00ffda00ffd700ffd300ffcf00ffcb00ffc800ffc400ffc000ff",
        "bd00ffb900ffb500ffb100ffae00ffaa00ffa600ffa300ff9f00ff9b00ff9800",
        "ff9400ff9000ff8c00ff8900ff8500ff8100ff7e00ff7a00ff7600ff7300ff6f",
        "00ff6b00ff6700ff6400ff6000ff5c00ff5900ff5500ff5100ff4d00ff4a00ff",
        "4600ff4200ff3f00ff3b00ff3700ff3400ff3000ff2c00ff2800ff2500ff2100",
        "ff1d00ff1a00ff1600fe1200fa0f00f50b00f10700ec0300e80000e30000de00",
        "00da0000d50000d10000cc0000c80000c30000bf0000ba0000b60000b10000ac",
        "0000a80000a300009f00009a00009600009100008d00008800008400007f0000",
    );

    /// The same for `colormaps["gray"]`; note the truncation doubles (0x20 0x20, 0x24 0x24, ...).
    const MATPLOTLIB_GRAY: &str = concat!(
        "0000000101010202020303030404040505050606060707070808080909090a0a",
        "0a0b0b0b0c0c0c0d0d0d0e0e0e0f0f0f10101011111112121213131314141415",
        "15151616161717171818181919191a1a1a1b1b1b1c1c1c1d1d1d1e1e1e1f1f1f",
        "2020202020202222222323232424242424242626262727272828282828282a2a",
        "2a2b2b2b2c2c2c2c2c2c2e2e2e2f2f2f30303030303032323233333334343434",
        "34343636363737373838383838383a3a3a3b3b3b3c3c3c3c3c3c3e3e3e3f3f3f",
        "4040404141414141414343434444444545454646464747474848484949494949",
        "494b4b4b4c4c4c4d4d4d4e4e4e4f4f4f50505051515151515153535354545455",
        "55555656565757575858585959595959595b5b5b5c5c5c5d5d5d5e5e5e5f5f5f",
        "6060606161616161616363636464646565656666666767676868686969696969",
        "696b6b6b6c6c6c6d6d6d6e6e6e6f6f6f70707071717171717173737374747475",
        "75757676767777777878787979797979797b7b7b7c7c7c7d7d7d7e7e7e7f7f7f",
        "8080808181818282828383838383838585858686868787878888888989898a8a",
        "8a8b8b8b8c8c8c8d8d8d8e8e8e8f8f8f90909091919192929293939393939395",
        "95959696969797979898989999999a9a9a9b9b9b9c9c9c9d9d9d9e9e9e9f9f9f",
        "a0a0a0a1a1a1a2a2a2a3a3a3a3a3a3a5a5a5a6a6a6a7a7a7a8a8a8a9a9a9aaaa",
        "aaabababacacacadadadaeaeaeafafafb0b0b0b1b1b1b2b2b2b3b3b3b3b3b3b5",
        "b5b5b6b6b6b7b7b7b8b8b8b9b9b9babababbbbbbbcbcbcbdbdbdbebebebfbfbf",
        "c0c0c0c1c1c1c2c2c2c3c3c3c3c3c3c5c5c5c6c6c6c7c7c7c8c8c8c9c9c9caca",
        "cacbcbcbcccccccdcdcdcecececfcfcfd0d0d0d1d1d1d2d2d2d3d3d3d3d3d3d5",
        "d5d5d6d6d6d7d7d7d8d8d8d9d9d9dadadadbdbdbdcdcdcdddddddedededfdfdf",
        "e0e0e0e1e1e1e2e2e2e3e3e3e3e3e3e5e5e5e6e6e6e7e7e7e8e8e8e9e9e9eaea",
        "eaebebebecececedededeeeeeeefefeff0f0f0f1f1f1f2f2f2f3f3f3f3f3f3f5",
        "f5f5f6f6f6f7f7f7f8f8f8f9f9f9fafafafbfbfbfcfcfcfdfdfdfefefeffffff",
    );

    fn hex_table(hex: &str) -> Vec<[u8; 3]> {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
            .collect();
        bytes.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
    }

    fn table_of(map: &Colormap) -> Vec<[u8; 3]> {
        // t = (i + 0.5) / 256 lands in the middle of entry i.
        (0..LUT_SIZE)
            .map(|i| map.rgb((i as f64 + 0.5) / LUT_SIZE as f64))
            .collect()
    }

    #[test]
    fn jet_matches_matplotlib_byte_for_byte() {
        let jet = Colormap::from_name("jet").expect("jet exists");
        assert_eq!(table_of(&jet), hex_table(MATPLOTLIB_JET));
    }

    #[test]
    fn gray_matches_matplotlib_byte_for_byte() {
        let gray = Colormap::from_name("gray").expect("gray exists");
        assert_eq!(table_of(&gray), hex_table(MATPLOTLIB_GRAY));
        assert_eq!(gray.rgb(0.0), [0, 0, 0]);
        assert_eq!(gray.rgb(1.0), [255, 255, 255]);
    }

    #[test]
    fn jet_lookup_matches_matplotlib_calls() {
        // matplotlib 3.11.2: colormaps["jet"](xs, bytes=True)[:, :3]
        let jet = Colormap::from_name("jet").expect("jet exists");
        let cases: [(f64, [u8; 3]); 11] = [
            (0.0, [0, 0, 127]),
            (1.0, [127, 0, 0]),
            (0.5, [124, 255, 121]),
            (0.999, [127, 0, 0]),
            (0.25, [0, 128, 255]),
            (1.0 / 80.0, [0, 0, 141]),
            (79.0 / 80.0, [141, 0, 0]),
            (0.00390625, [0, 0, 132]),
            (0.996, [132, 0, 0]),
            (-0.1, [0, 0, 127]),
            (1.1, [127, 0, 0]),
        ];
        for (t, want) in cases {
            assert_eq!(jet.rgb(t), want, "t = {t}");
        }
    }

    #[test]
    fn colorize_matches_matplotlib_imsave() {
        // plt.imsave(buf, [[0, 1, 2, 40, 79, 80]], cmap="jet", vmin=0, vmax=80), RGB of the PNG.
        let jet = Colormap::from_name("jet").expect("jet exists");
        let rgb = colorize(&[0, 1, 2, 40, 79, 80], None, 80, &jet);
        let want = [
            [0, 0, 127],
            [0, 0, 141],
            [0, 0, 154],
            [124, 255, 121],
            [141, 0, 0],
            [127, 0, 0],
        ];
        assert_eq!(rgb, want.concat());
    }

    #[test]
    fn names_are_case_insensitive_and_all_resolve() {
        for &name in Colormap::names() {
            let map = Colormap::from_name(&name.to_uppercase()).expect("listed name resolves");
            assert_eq!(map.name(), name);
            // Both ends give a colour and nothing panics at or beyond them.
            for t in [-1.0, 0.0, 0.5, 1.0, 2.0, f64::NAN] {
                let _ = map.rgb(t);
            }
        }
        assert_eq!(
            Colormap::from_name("Viridis").expect("viridis").name(),
            "viridis"
        );
    }

    #[test]
    fn unknown_name_lists_the_valid_ones() {
        let e = Colormap::from_name("hot").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("--colormap hot is not one of jet, gray, viridis"),
            "{msg}"
        );
        assert!(msg.ends_with("rdylbu"), "{msg}");
    }

    #[test]
    fn gradients_match_colorous() {
        let viridis = Colormap::from_name("viridis").expect("viridis");
        let c = colorous::VIRIDIS.eval_continuous(0.3);
        assert_eq!(viridis.rgb(0.3), [c.r, c.g, c.b]);
        let c = colorous::VIRIDIS.eval_continuous(1.0);
        assert_eq!(viridis.rgb(7.0), [c.r, c.g, c.b]);
    }

    #[test]
    fn colorize_table_and_direct_paths_agree() {
        let map = Colormap::from_name("turbo").expect("turbo");
        let counts: Vec<u32> = (0..=300).collect();
        let fast = colorize(&counts, None, 300, &map);
        let direct: Vec<u8> = counts
            .iter()
            .flat_map(|&n| map.rgb(f64::from(n) / 300.0))
            .collect();
        assert_eq!(fast, direct);
        // A max_iter larger than the table limit takes the direct path with the same result.
        let big = 1 << 20;
        let counts = [0, 1, big / 2, big];
        let slow = colorize(&counts, None, big, &map);
        let direct: Vec<u8> = counts
            .iter()
            .flat_map(|&n| map.rgb(f64::from(n) / f64::from(big)))
            .collect();
        assert_eq!(slow, direct);
    }

    #[test]
    fn colorize_smooth_uses_the_fraction() {
        let map = Colormap::from_name("jet").expect("jet");
        let rgb = colorize(&[0, 0], Some(&[0.0, 40.0]), 80, &map);
        assert_eq!(rgb, [map.rgb(0.0), map.rgb(0.5)].concat());
        assert_eq!(colorize(&[], None, 80, &map), Vec::<u8>::new());
        assert_eq!(colorize(&[3], None, 0, &map), map.rgb(0.0).to_vec());
    }
    fn cycle(scale: ColourScale, offset: f64, period: f64) -> Cycle {
        Cycle {
            scale,
            offset,
            period,
            inside: [1, 2, 3],
        }
    }

    fn paint_all(painter: &Painter, counts: &[u32], smooth: Option<&[f32]>) -> Vec<u8> {
        let mut rgb = vec![0u8; counts.len() * 3];
        painter.paint(counts, smooth, &mut rgb);
        rgb
    }

    /// Largest difference in any channel between two colours.
    fn distance(a: [u8; 3], b: [u8; 3]) -> u8 {
        (0..3).map(|i| a[i].abs_diff(b[i])).max().unwrap_or(0)
    }

    #[test]
    fn linear_painter_still_paints_the_inside_at_the_top_of_the_map() {
        // Painter::new is untouched by cycling: no inside colour, t = max_iter / max_iter = 1.
        let jet = Colormap::from_name("jet").expect("jet");
        let painter = Painter::new(&jet, 80);
        let want = [jet.rgb(1.0), jet.rgb(1.0), jet.rgb(0.5)].concat();
        assert_eq!(paint_all(&painter, &[80, 95, 40], None), want);
        let smooth = paint_all(&painter, &[80, 95, 40], Some(&[80.0, 80.0, 40.0]));
        assert_eq!(smooth, want);
    }

    #[test]
    fn offset_starts_the_palette_and_half_a_period_reaches_its_end() {
        let jet = Colormap::from_name("jet").expect("jet");
        let (offset, period) = (1000.0, 0.75);
        for scale in [ColourScale::Linear, ColourScale::Log, ColourScale::Sqrt] {
            let c = cycle(scale, offset, period);
            assert_eq!(c.position(offset), 0.0, "{scale:?}");
            let painter = Painter::with_cycle(&jet, 5000, c);
            assert_eq!(
                paint_all(&painter, &[1000], None),
                jet.rgb(0.0).to_vec(),
                "{scale:?}"
            );
            assert_eq!(
                paint_all(&painter, &[7], Some(&[1000.0])),
                jet.rgb(0.0).to_vec(),
                "{scale:?}"
            );
            // The value half a period on, and one a whole period on, by the inverse of f.
            let f0 = scale.apply(offset);
            let inverse = |y: f64| match scale {
                ColourScale::Linear => y,
                ColourScale::Log => y.exp2() - 1.0,
                ColourScale::Sqrt => y * y,
            };
            let half = inverse(f0 + period / 2.0);
            let whole = inverse(f0 + period);
            assert!((c.position(half) - 1.0).abs() < 1e-9, "{scale:?}");
            assert!(c.position(whole) < 1e-9, "{scale:?}: s = 0 again, not 1");
        }
        // Below the offset the palette wraps: a quarter period below is t = 0.75, s = 0.5.
        let c = cycle(ColourScale::Linear, 100.0, 40.0);
        assert_eq!(c.position(90.0), 0.5);
        assert_eq!(c.position(110.0), 0.5);
        assert_eq!(c.position(60.0), 0.0);
        assert_eq!(c.position(120.0), 1.0);
    }

    #[test]
    fn cycles_join_without_a_seam() {
        for name in ["jet", "turbo"] {
            let map = Colormap::from_name(name).expect("map");
            let c = cycle(ColourScale::Log, 40_000.0, 0.25);
            let painter = Painter::with_cycle(&map, 263_010, c);
            // Four cycles, in steps of 1/2000 of one, across the boundaries at whole periods.
            let f0 = ColourScale::Log.apply(40_000.0);
            let values: Vec<f32> = (0..8000)
                .map(|i| ((f0 + 0.25 * f64::from(i) / 2000.0).exp2() - 1.0) as f32)
                .collect();
            let counts = vec![0; values.len()];
            let rgb = paint_all(&painter, &counts, Some(&values));
            let px: Vec<[u8; 3]> = rgb.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
            let worst = px.windows(2).map(|w| distance(w[0], w[1])).max();
            assert!(worst <= Some(8), "{name}: neighbours differ by {worst:?}");
            // Either side of a cycle boundary both ends are at the start of the map.
            for k in 1..4 {
                let at = ((f0 + 0.25 * f64::from(k)).exp2() - 1.0).round();
                let (below, above) = (at - 0.5, at + 0.5);
                assert!(
                    c.position(below) < 0.01 && c.position(above) < 0.01,
                    "k = {k}"
                );
                let colours = paint_all(&painter, &[0, 0], Some(&[below as f32, above as f32]));
                let (a, b) = (
                    [colours[0], colours[1], colours[2]],
                    [colours[3], colours[4], colours[5]],
                );
                assert!(distance(a, b) <= 4, "{name} at cycle {k}: {a:?} vs {b:?}");
                assert!(distance(a, map.rgb(0.0)) <= 4, "{name} at cycle {k}");
            }
        }
    }

    #[test]
    fn inside_pixels_get_the_inside_colour() {
        let jet = Colormap::from_name("jet").expect("jet");
        for max_iter in [100, TABLE_LIMIT + 1] {
            let painter = Painter::with_cycle(&jet, max_iter, cycle(ColourScale::Log, 10.0, 0.5));
            let counts = [max_iter, max_iter.saturating_add(5), 0, max_iter - 1];
            let inside = [1, 2, 3];
            let rgb = paint_all(&painter, &counts, None);
            assert_eq!(&rgb[..6], &[inside, inside].concat()[..], "{max_iter}");
            assert_ne!(&rgb[6..9], &inside[..]);
            // With smooth values the count decides: an escaped pixel whose smooth value was
            // clamped to max_iter is still painted from the map.
            let top = max_iter as f32;
            let smooth = [3.0, top, 0.0, top];
            let rgb = paint_all(&painter, &counts, Some(&smooth));
            assert_eq!(&rgb[..6], &[inside, inside].concat()[..], "{max_iter}");
            let c = cycle(ColourScale::Log, 10.0, 0.5);
            assert_eq!(&rgb[9..], &jet.rgb(c.position(f64::from(top)))[..]);
        }
        // max_iter 0: every pixel is inside.
        let painter = Painter::with_cycle(&jet, 0, cycle(ColourScale::Sqrt, 0.0, 1.0));
        assert_eq!(paint_all(&painter, &[0, 3], None), [1, 2, 3, 1, 2, 3]);
    }

    #[test]
    fn cycling_table_and_direct_paths_agree() {
        let map = Colormap::from_name("turbo").expect("turbo");
        for scale in [ColourScale::Linear, ColourScale::Log, ColourScale::Sqrt] {
            let c = cycle(scale, 37.5, scale.apply(5000.0) / 7.3);
            let table = Painter::with_cycle(&map, 5000, c);
            let direct = Painter::with_cycle(&map, TABLE_LIMIT + 1, c);
            assert!(table.table.is_some() && direct.table.is_none());
            let counts: Vec<u32> = (0..5000).collect();
            let smooth: Vec<f32> = counts.iter().map(|&n| n as f32).collect();
            let want: Vec<u8> = counts
                .iter()
                .flat_map(|&n| map.rgb(c.position(f64::from(n))))
                .collect();
            assert_eq!(paint_all(&table, &counts, None), want, "{scale:?}");
            assert_eq!(paint_all(&direct, &counts, None), want, "{scale:?}");
            assert_eq!(paint_all(&table, &counts, Some(&smooth)), want, "{scale:?}");
        }
    }

    #[test]
    fn auto_cycle_fits_known_distributions() {
        // Squares 0, 1, 4, ..., 1000^2: 1001 samples, 10 in from each end are 10^2 and 990^2.
        let squares: Vec<f64> = (0..=1000).map(|i| f64::from(i * i)).collect();
        let big = 2_000_000;
        assert_eq!(
            auto_cycle(&squares, big, ColourScale::Sqrt, 4.0),
            (100.0, 245.0)
        );
        // 0..=10000: 100 in from each end.
        let line: Vec<f64> = (0..=10_000).map(f64::from).collect();
        assert_eq!(
            auto_cycle(&line, big, ColourScale::Linear, 7.0),
            (100.0, 9800.0 / 7.0)
        );
        // log2(1 + v) = i / 8 for i in 0..=200: 2 in from each end, 0.25 to 24.75 doublings.
        let powers: Vec<f64> = (0..=200)
            .map(|i| (f64::from(i) / 8.0).exp2() - 1.0)
            .collect();
        let (offset, period) = auto_cycle(&powers, u32::MAX, ColourScale::Log, 6.0);
        assert_eq!(offset, powers[2]);
        assert!((period - 24.5 / 6.0).abs() < 1e-12, "{period}");
        // The fitted cycle starts the palette at the 1st percentile and, with whole cycles,
        // returns to the start at the 99th.
        let c = Cycle::auto(&powers, u32::MAX, ColourScale::Log, 6.0, DEFAULT_INSIDE);
        assert_eq!(c.position(powers[2]), 0.0);
        let end = c.position(powers[198]);
        assert!(end < 1e-9, "{end}");
    }

    #[test]
    fn auto_cycle_ignores_inside_samples_outliers_and_nan() {
        let max_iter = 1_000_000_000;
        // 990 values 1000..1990, 5 low and 5 high outliers: 1000 in all, 9 in from each end.
        let mut samples: Vec<f64> = (0..990).map(|i| f64::from(1000 + i)).collect();
        samples.extend([0.5; 5]);
        samples.extend([1e8; 5]);
        for scale in [ColourScale::Linear, ColourScale::Log, ColourScale::Sqrt] {
            let want = (1004.0, (scale.apply(1985.0) - scale.apply(1004.0)) / 6.0);
            assert_eq!(
                auto_cycle(&samples, max_iter, scale, 6.0),
                want,
                "{scale:?}"
            );
            // Inside samples, NaN and infinities change nothing; nor does the order.
            let mut more = samples.clone();
            more.extend([f64::from(max_iter); 3000]);
            more.extend([
                f64::from(max_iter) + 7.0,
                f64::NAN,
                f64::INFINITY,
                -f64::INFINITY,
            ]);
            more.reverse();
            more.rotate_left(1234);
            assert_eq!(auto_cycle(&more, max_iter, scale, 6.0), want, "{scale:?}");
        }
    }

    #[test]
    fn auto_cycle_without_exterior_samples_or_spread() {
        let s = ColourScale::Log;
        assert_eq!(auto_cycle(&[], 100, s, 6.0), (0.0, 1.0));
        assert_eq!(
            auto_cycle(&[100.0, 250.0, f64::NAN], 100, s, 6.0),
            (0.0, 1.0)
        );
        assert_eq!(auto_cycle(&[42.0, 100.0], 100, s, 6.0), (42.0, 1.0));
        assert_eq!(auto_cycle(&[42.0; 500], 100, s, 6.0), (42.0, 1.0));
        // Cycles that are not positive and finite are taken as 1.
        let samples = [10.0, 20.0, 30.0];
        let one = auto_cycle(&samples, 100, s, 1.0);
        for bad in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            assert_eq!(auto_cycle(&samples, 100, s, bad), one, "{bad}");
        }
    }

    #[test]
    fn painting_is_the_same_however_a_row_is_split() {
        let max_iter = 263_010;
        // A deterministic row: counts in a narrow deep-zoom band, some inside.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut counts = Vec::new();
        let mut smooth = Vec::new();
        for _ in 0..3000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let r = (x >> 33) as u32;
            let n = if r.is_multiple_of(10) {
                max_iter
            } else {
                40_000 + r % 223_010
            };
            counts.push(n);
            smooth.push(n as f32 + (r % 1000) as f32 / 1000.0);
        }
        let samples: Vec<f64> = smooth.iter().step_by(17).map(|&v| f64::from(v)).collect();
        let map = Colormap::from_name("jet").expect("jet");
        let c = Cycle::auto(
            &samples,
            max_iter,
            DEFAULT_CYCLE_SCALE,
            DEFAULT_CYCLES,
            [0; 3],
        );
        for painter in [
            Painter::with_cycle(&map, max_iter, c),
            Painter::with_cycle(&map, TABLE_LIMIT + 1, c),
            Painter::new(&map, max_iter),
        ] {
            for smooth in [None, Some(&smooth[..])] {
                let whole = paint_all(&painter, &counts, smooth);
                let mut pieces = vec![0u8; whole.len()];
                let mut start = 0;
                for len in [1, 7, 500, 3, 1000, 2].iter().cycle() {
                    if start == counts.len() {
                        break;
                    }
                    let end = (start + len).min(counts.len());
                    painter.paint(
                        &counts[start..end],
                        smooth.map(|s| &s[start..end]),
                        &mut pieces[start * 3..end * 3],
                    );
                    start = end;
                }
                assert_eq!(whole, pieces);
                // And one pixel at a time, backwards.
                let mut single = vec![0u8; whole.len()];
                for i in (0..counts.len()).rev() {
                    painter.paint(
                        &counts[i..=i],
                        smooth.map(|s| &s[i..=i]),
                        &mut single[i * 3..i * 3 + 3],
                    );
                }
                assert_eq!(whole, single);
            }
        }
    }

    #[test]
    fn cycle_position_is_in_the_unit_interval_and_tolerates_odd_input() {
        let c = cycle(ColourScale::Log, 1000.0, 0.3);
        for v in [
            0.0,
            -5.0,
            1e-300,
            1.0,
            999.999,
            1e6,
            4e9,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
        ] {
            let s = c.position(v);
            assert!((0.0..=1.0).contains(&s), "{v}: {s}");
        }
        // Negative and NaN values count as 0.
        assert_eq!(c.position(-5.0), c.position(0.0));
        assert_eq!(c.position(f64::NAN), c.position(0.0));
        // A zero or non-finite period puts everything at the start; the sign does not matter.
        for period in [0.0, f64::NAN, f64::INFINITY] {
            assert_eq!(cycle(ColourScale::Log, 1.0, period).position(77.0), 0.0);
        }
        let flipped = cycle(ColourScale::Linear, 0.0, -8.0);
        let plain = cycle(ColourScale::Linear, 0.0, 8.0);
        for v in [0.0, 1.0, 2.0, 3.0, 5.0, 13.0] {
            assert_eq!(flipped.position(v), plain.position(v), "{v}");
        }
    }

    #[test]
    fn portable_log2_matches_the_platform_closely() {
        for k in -1074..=1023 {
            let x = f64::from(k).exp2();
            assert_eq!(log2_portable(x), f64::from(k), "2^{k}");
        }
        let mut x = 1e-310;
        while x < 1e300 {
            let (got, want) = (log2_portable(x), x.log2());
            assert!(
                (got - want).abs() <= 4.0 * f64::EPSILON * want.abs().max(1.0),
                "{x}: {got} vs {want}"
            );
            x *= 1.0137;
        }
        for x in [
            1.0 + f64::EPSILON,
            1.0 - f64::EPSILON / 2.0,
            1.5,
            std::f64::consts::SQRT_2,
            f64::from_bits(std::f64::consts::SQRT_2.to_bits() + 1),
            263_011.0,
        ] {
            let (got, want) = (log2_portable(x), x.log2());
            assert!((got - want).abs() <= 4.0 * f64::EPSILON * want.abs(), "{x}");
        }
        assert_eq!(log2_portable(0.0), f64::NEG_INFINITY);
        assert_eq!(log2_portable(f64::INFINITY), f64::INFINITY);
        assert!(log2_portable(-1.0).is_nan() && log2_portable(f64::NAN).is_nan());
    }

    #[test]
    fn scales_parse_and_serialize_in_lowercase() {
        use clap::ValueEnum;
        for (name, scale) in [
            ("linear", ColourScale::Linear),
            ("log", ColourScale::Log),
            ("sqrt", ColourScale::Sqrt),
        ] {
            assert_eq!(ColourScale::from_str(name, true), Ok(scale));
            assert_eq!(
                serde_json::to_string(&scale).expect("json"),
                format!("\"{name}\"")
            );
        }
        let c = cycle(ColourScale::Sqrt, 2.0, 0.5);
        assert_eq!(
            serde_json::to_string(&c).expect("json"),
            r#"{"scale":"sqrt","offset":2.0,"period":0.5,"inside":[1,2,3]}"#
        );
    }
}

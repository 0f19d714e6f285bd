//! The named colour maps: `t` in `[0, 1]` -> RGB, matplotlib's `jet` and `gray` exactly, and
//! colorous's gradients.
//!
//! `jet` and `gray` are rebuilt the way matplotlib 3.x builds them: a `LinearSegmentedColormap`
//! with `N = 256` whose lookup table comes from `_create_lookup_table` (same `f64` operations in
//! the same order), a value `t` picks entry `int(t * 256)` clipped to `[0, 255]`, and a float
//! channel becomes a byte as `Colormap.__call__(bytes=True)` does, `(lut * 255).astype(uint8)`,
//! which *truncates*. That `bytes=True` path is what `plt.imsave(counts, cmap=..., vmin=0,
//! vmax=max_iter)` writes, so an image of integer counts is byte-identical to the notebook's
//! `imsave` (checked against matplotlib 3.11 in the tests, here and in [`super::palette`]).
//! `imshow` + `savefig` resamples and is not a byte-exact reference.
//!
//! (The colorous maps `sinebow`, `rainbow`, `cubehelix`, `warm` and `cool` evaluate `f32`
//! `sin`/`cos` from the platform's libm; the table maps and the other gradients use `+ - * /`
//! only.)

use crate::mandel::MandelError;

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
    fn a_colour_map_name_with_a_newline_stays_on_one_line() {
        let e = Colormap::from_name("x\ny").expect_err("unknown");
        assert!(!e.to_string().contains('\n'), "{e}");
        assert!(
            e.to_string().starts_with("--colormap x\\ny is not one of"),
            "{e}"
        );
    }
}

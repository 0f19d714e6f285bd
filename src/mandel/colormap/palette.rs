//! Painting: a pixel's count (or smooth count) -> RGB through a colour map, once over the map
//! ([`Painter::new`], the notebook's `t = value / max_iter`) or as a [`Cycle`]d palette.
//!
//! Deep zooms crowd their counts into a narrow band, which `t = value / max_iter` paints one
//! colour; a [`Cycle`] instead runs the map there and back many times over a log, square-root or
//! linear scale of the value ([`ColorScale`]), with the inside in a fixed colour, and
//! [`auto_cycle`] fits it to a sample of the picture. Every step is portable `f64` arithmetic,
//! so a pixel's colour is a function of its value and the options alone.

use super::maps::Colormap;
use super::scale::ColorScale;

/// Scale a cycling palette uses unless told otherwise: log. Each cycle spans the same ratio of
/// counts, so the bands of a wide view are spread evenly from the outside in to the set, where
/// sqrt leaves the outside one slow gradient and crowds the bands at the boundary; on a deep
/// view's narrow band of counts the two look alike.
pub const DEFAULT_CYCLE_SCALE: ColorScale = ColorScale::Log;

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
    /// Log, Sqrt or Linear (linearly in the count, a period in iterations); `MaxIter` here
    /// cycles as `Linear` does.
    pub scale: ColorScale,
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
        scale: ColorScale,
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
    scale: ColorScale,
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
pub fn auto_cycle(samples: &[f64], max_iter: u32, scale: ColorScale, cycles: f64) -> (f64, f64) {
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
    fn cycle(scale: ColorScale, offset: f64, period: f64) -> Cycle {
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
        for scale in [ColorScale::Linear, ColorScale::Log, ColorScale::Sqrt] {
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
                ColorScale::MaxIter | ColorScale::Linear => y,
                ColorScale::Log => y.exp2() - 1.0,
                ColorScale::Sqrt => y * y,
            };
            let half = inverse(f0 + period / 2.0);
            let whole = inverse(f0 + period);
            assert!((c.position(half) - 1.0).abs() < 1e-9, "{scale:?}");
            assert!(c.position(whole) < 1e-9, "{scale:?}: s = 0 again, not 1");
        }
        // Below the offset the palette wraps: a quarter period below is t = 0.75, s = 0.5.
        let c = cycle(ColorScale::Linear, 100.0, 40.0);
        assert_eq!(c.position(90.0), 0.5);
        assert_eq!(c.position(110.0), 0.5);
        assert_eq!(c.position(60.0), 0.0);
        assert_eq!(c.position(120.0), 1.0);
    }

    #[test]
    fn cycles_join_without_a_seam() {
        for name in ["jet", "turbo"] {
            let map = Colormap::from_name(name).expect("map");
            let c = cycle(ColorScale::Log, 40_000.0, 0.25);
            let painter = Painter::with_cycle(&map, 263_010, c);
            // Four cycles, in steps of 1/2000 of one, across the boundaries at whole periods.
            let f0 = ColorScale::Log.apply(40_000.0);
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
            let painter = Painter::with_cycle(&jet, max_iter, cycle(ColorScale::Log, 10.0, 0.5));
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
            let c = cycle(ColorScale::Log, 10.0, 0.5);
            assert_eq!(&rgb[9..], &jet.rgb(c.position(f64::from(top)))[..]);
        }
        // max_iter 0: every pixel is inside.
        let painter = Painter::with_cycle(&jet, 0, cycle(ColorScale::Sqrt, 0.0, 1.0));
        assert_eq!(paint_all(&painter, &[0, 3], None), [1, 2, 3, 1, 2, 3]);
    }

    #[test]
    fn cycling_table_and_direct_paths_agree() {
        let map = Colormap::from_name("turbo").expect("turbo");
        for scale in [ColorScale::Linear, ColorScale::Log, ColorScale::Sqrt] {
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
            auto_cycle(&squares, big, ColorScale::Sqrt, 4.0),
            (100.0, 245.0)
        );
        // 0..=10000: 100 in from each end.
        let line: Vec<f64> = (0..=10_000).map(f64::from).collect();
        assert_eq!(
            auto_cycle(&line, big, ColorScale::Linear, 7.0),
            (100.0, 9800.0 / 7.0)
        );
        // log2(1 + v) = i / 8 for i in 0..=200: 2 in from each end, 0.25 to 24.75 doublings.
        let powers: Vec<f64> = (0..=200)
            .map(|i| (f64::from(i) / 8.0).exp2() - 1.0)
            .collect();
        let (offset, period) = auto_cycle(&powers, u32::MAX, ColorScale::Log, 6.0);
        assert_eq!(offset, powers[2]);
        assert!((period - 24.5 / 6.0).abs() < 1e-12, "{period}");
        // The fitted cycle starts the palette at the 1st percentile and, with whole cycles,
        // returns to the start at the 99th.
        let c = Cycle::auto(&powers, u32::MAX, ColorScale::Log, 6.0, DEFAULT_INSIDE);
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
        for scale in [ColorScale::Linear, ColorScale::Log, ColorScale::Sqrt] {
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
        let s = ColorScale::Log;
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
        let c = cycle(ColorScale::Log, 1000.0, 0.3);
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
            assert_eq!(cycle(ColorScale::Log, 1.0, period).position(77.0), 0.0);
        }
        let flipped = cycle(ColorScale::Linear, 0.0, -8.0);
        let plain = cycle(ColorScale::Linear, 0.0, 8.0);
        for v in [0.0, 1.0, 2.0, 3.0, 5.0, 13.0] {
            assert_eq!(flipped.position(v), plain.position(v), "{v}");
        }
    }

    #[test]
    fn cycles_serialize_with_their_scale_in_lowercase() {
        let c = cycle(ColorScale::Sqrt, 2.0, 0.5);
        assert_eq!(
            serde_json::to_string(&c).expect("json"),
            r#"{"scale":"sqrt","offset":2.0,"period":0.5,"inside":[1,2,3]}"#
        );
    }
}

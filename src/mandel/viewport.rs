//! The rectangle of the complex plane an image shows, and which point each pixel samples.
//!
//! The mapping is fixed bit for bit so every rank computes the same `c` for the same pixel:
//! `dx = (xmax - xmin) / W` and `dy = (ymax - ymin) / H` first, then column `j` samples
//! `x = xmin + j * dx` and row `r` samples `y = ymin + (H - 1 - r) * dy` (row 0 is the top).

use num_complex::Complex;

use super::error::MandelError;

/// Default left edge of the view (the classic full-set view).
pub const DEFAULT_XMIN: f64 = -2.0;
/// Default right edge of the view.
pub const DEFAULT_XMAX: f64 = 1.0;
/// Default bottom edge of the view.
pub const DEFAULT_YMIN: f64 = -1.0;
/// Default top edge of the view.
pub const DEFAULT_YMAX: f64 = 1.0;
/// Default image width in pixels.
pub const DEFAULT_WIDTH: u32 = 1200;
/// Default image height in pixels.
pub const DEFAULT_HEIGHT: u32 = 800;
/// Default iteration limit, as in the seed notebook.
pub const DEFAULT_MAX_ITER: u32 = 80;

/// The longest side an image may have: PNG's limit, 2^31 - 1 pixels.
pub const MAX_SIDE: u32 = i32::MAX as u32;

/// Most pixels one image may have: [`MAX_SIDE`] squared. Messages are cut to MPI's `i32`
/// counts and rank 0 streams rows to disk, so the real limit is the disk, checked before a run.
pub const MAX_PIXELS: u64 = MAX_SIDE as u64 * MAX_SIDE as u64;

/// A validated view: finite bounds with `min < max`, at least one pixel, at most [`MAX_PIXELS`].
///
/// Fields are private so that every `Viewport` in the program has passed [`Viewport::new`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Viewport {
    xmin: f64,
    xmax: f64,
    ymin: f64,
    ymax: f64,
    width: u32,
    height: u32,
    #[serde(skip)]
    dx: f64,
    #[serde(skip)]
    dy: f64,
}

impl Viewport {
    /// Checks a view given by its edges; the error names the flag and value at fault.
    pub fn new(
        xmin: f64,
        xmax: f64,
        ymin: f64,
        ymax: f64,
        width: u32,
        height: u32,
    ) -> Result<Self, MandelError> {
        for (option, value) in [
            ("--xmin", xmin),
            ("--xmax", xmax),
            ("--ymin", ymin),
            ("--ymax", ymax),
        ] {
            if !value.is_finite() {
                return Err(MandelError::NonFinite { option, value });
            }
        }
        check_size(width, height)?;
        // Each axis: its flags, its bounds and its pixels.
        let axes = [
            ("--xmin", xmin, "--xmax", xmax, width),
            ("--ymin", ymin, "--ymax", ymax, height),
        ];
        for (min_option, min, max_option, max, _) in axes {
            if min >= max {
                return Err(MandelError::BadBounds {
                    min_option,
                    min,
                    max_option,
                    max,
                });
            }
        }
        let dx = (xmax - xmin) / f64::from(width);
        let dy = (ymax - ymin) / f64::from(height);
        // The step must also be resolvable: at least 4 units in the last place of the view's
        // largest coordinate, so neighbouring pixels sample different numbers, and the last
        // pixel must stay below the upper edge (1e15 + 0.125 wide over 1000 pixels is neither).
        let resolvable = |min: f64, max: f64, step: f64, n: u32| {
            let m = min.abs().max(max.abs());
            let ulp = m.next_up() - m;
            step.is_finite() && step >= 4.0 * ulp && min + f64::from(n - 1) * step < max
        };
        for ((min_option, min, max_option, max, pixels), step) in axes.into_iter().zip([dx, dy]) {
            if !resolvable(min, max, step, pixels) {
                return Err(MandelError::BadStep {
                    min_option,
                    min,
                    max_option,
                    max,
                    pixels,
                });
            }
        }
        Ok(Self {
            xmin,
            xmax,
            ymin,
            ymax,
            width,
            height,
            dx,
            dy,
        })
    }

    /// Checks a view centred on `re + i*im`, `scale` wide; its height keeps pixels square.
    ///
    /// The view's height in the plane is `scale * height / width`.
    pub fn from_center(
        re: f64,
        im: f64,
        scale: f64,
        width: u32,
        height: u32,
    ) -> Result<Self, MandelError> {
        for (option, value) in [("--center", re), ("--center", im)] {
            if !value.is_finite() {
                return Err(MandelError::NonFinite { option, value });
            }
        }
        if !(scale.is_finite() && scale > 0.0) {
            return Err(MandelError::BadScale { scale, re, im });
        }
        check_size(width, height)?;
        let half_w = scale / 2.0;
        let half_h = scale * f64::from(height) / f64::from(width) / 2.0;
        Self::new(
            re - half_w,
            re + half_w,
            im - half_h,
            im + half_h,
            width,
            height,
        )
        .map_err(|e| match e {
            MandelError::NonFinite { .. }
            | MandelError::BadBounds { .. }
            | MandelError::BadStep { .. } => MandelError::BadScale { scale, re, im },
            other => other,
        })
    }

    /// The default view of the seed notebook: `[-2, 1] x [-1, 1]` at 1200 x 800.
    pub fn default_view() -> Self {
        Self {
            xmin: DEFAULT_XMIN,
            xmax: DEFAULT_XMAX,
            ymin: DEFAULT_YMIN,
            ymax: DEFAULT_YMAX,
            width: DEFAULT_WIDTH,
            height: DEFAULT_HEIGHT,
            dx: (DEFAULT_XMAX - DEFAULT_XMIN) / f64::from(DEFAULT_WIDTH),
            dy: (DEFAULT_YMAX - DEFAULT_YMIN) / f64::from(DEFAULT_HEIGHT),
        }
    }

    /// Left edge, sampled by column 0.
    pub fn xmin(&self) -> f64 {
        self.xmin
    }

    /// Right edge (one step past the last column's sample).
    pub fn xmax(&self) -> f64 {
        self.xmax
    }

    /// Bottom edge, sampled by the last row.
    pub fn ymin(&self) -> f64 {
        self.ymin
    }

    /// Top edge (one step above row 0's sample).
    pub fn ymax(&self) -> f64 {
        self.ymax
    }

    /// Image width in pixels (columns).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Image height in pixels (rows).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Total pixels; fits in an `i32` by construction.
    pub fn pixels(&self) -> usize {
        self.width as usize * self.height as usize
    }

    /// Step between columns, `(xmax - xmin) / width`.
    pub fn dx(&self) -> f64 {
        self.dx
    }

    /// Step between rows, `(ymax - ymin) / height`.
    pub fn dy(&self) -> f64 {
        self.dy
    }

    /// Real part sampled by column `col`: `xmin + col * dx`.
    pub fn x_at(&self, col: u32) -> f64 {
        self.xmin + f64::from(col) * self.dx
    }

    /// Imaginary part sampled by row `row` (row 0 is the top): `ymin + (height - 1 - row) * dy`.
    ///
    /// # Panics
    /// If `row >= height`, a caller's bug.
    pub fn y_at(&self, row: u32) -> f64 {
        assert!(
            row < self.height,
            "row {row} outside an image {} rows high",
            self.height
        );
        self.ymin + f64::from(self.height - 1 - row) * self.dy
    }

    /// The point of the plane that pixel (`col`, `row`) samples.
    ///
    /// # Panics
    /// If `row >= height`, a caller's bug.
    pub fn c_at(&self, col: u32, row: u32) -> Complex<f64> {
        Complex::new(self.x_at(col), self.y_at(row))
    }
}

impl Default for Viewport {
    fn default() -> Self {
        Self::default_view()
    }
}

/// Both dimensions at least 1, and their product within one MPI message's `i32` count.
pub(crate) fn check_size(width: u32, height: u32) -> Result<(), MandelError> {
    if width == 0 {
        return Err(MandelError::BadSize {
            option: "--width",
            value: 0,
        });
    }
    if height == 0 {
        return Err(MandelError::BadSize {
            option: "--height",
            value: 0,
        });
    }
    for (option, value) in [("width", width), ("height", height)] {
        if value > MAX_SIDE {
            return Err(MandelError::TooLong { option, value });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_view_passes_validation() {
        let v = Viewport::new(
            DEFAULT_XMIN,
            DEFAULT_XMAX,
            DEFAULT_YMIN,
            DEFAULT_YMAX,
            DEFAULT_WIDTH,
            DEFAULT_HEIGHT,
        );
        assert_eq!(v, Ok(Viewport::default_view()));
        assert_eq!(Viewport::default().pixels(), 960_000);
    }

    #[test]
    fn mapping_is_the_documented_formula_bit_for_bit() {
        let (xmin, xmax, ymin, ymax, w, h) = (-0.7435, -0.7415, 0.1305, 0.1325, 7u32, 3u32);
        let v = Viewport::new(xmin, xmax, ymin, ymax, w, h).expect("valid view");
        let dx = (xmax - xmin) / w as f64;
        let dy = (ymax - ymin) / h as f64;
        for r in 0..h {
            for j in 0..w {
                let c = v.c_at(j, r);
                assert_eq!(c.re.to_bits(), (xmin + (j as f64) * dx).to_bits());
                assert_eq!(c.im.to_bits(), (ymin + ((h - 1 - r) as f64) * dy).to_bits());
            }
        }
    }

    #[test]
    fn row_zero_is_the_top() {
        // Asymmetric in both axes so a flip or transpose shows.
        let v = Viewport::new(-3.0, 0.5, -0.25, 1.75, 5, 4).expect("valid view");
        let top_left = v.c_at(0, 0);
        assert_eq!(top_left.re, -3.0);
        assert_eq!(top_left.im, -0.25 + 3.0 * v.dy());
        assert_eq!(top_left.im, 1.25);
        let bottom_left = v.c_at(0, 3);
        assert_eq!(bottom_left.im, -0.25);
        assert!(v.c_at(4, 0).re > top_left.re);
    }

    #[test]
    fn refuses_bad_bounds_naming_the_options() {
        let e = Viewport::new(-1.0, -2.0, -1.0, 1.0, 10, 10).unwrap_err();
        assert_eq!(e.to_string(), "--xmin -1 must be less than --xmax -2");
        let e = Viewport::new(-1.0, 1.0, 1.0, 1.0, 10, 10).unwrap_err();
        assert_eq!(e.to_string(), "--ymin 1 must be less than --ymax 1");
    }

    #[test]
    fn refuses_non_finite_values() {
        let e = Viewport::new(f64::NAN, 1.0, -1.0, 1.0, 10, 10).unwrap_err();
        assert_eq!(e.to_string(), "--xmin NaN must be a finite number");
        let e = Viewport::new(-1.0, 1.0, -1.0, f64::INFINITY, 10, 10).unwrap_err();
        assert_eq!(e.to_string(), "--ymax inf must be a finite number");
    }

    #[test]
    fn refuses_zero_sizes() {
        let e = Viewport::new(-1.0, 1.0, -1.0, 1.0, 0, 10).unwrap_err();
        assert_eq!(e.to_string(), "--width 0 must be at least 1");
        let e = Viewport::new(-1.0, 1.0, -1.0, 1.0, 10, 0).unwrap_err();
        assert_eq!(e.to_string(), "--height 0 must be at least 1");
    }

    #[test]
    fn refuses_a_side_longer_than_a_png_allows_but_not_more_pixels_than_i32() {
        let e = Viewport::new(-1.0, 1.0, -1.0, 1.0, 10, MAX_SIDE + 1).unwrap_err();
        assert_eq!(
            e,
            MandelError::TooLong {
                option: "height",
                value: MAX_SIDE + 1
            }
        );
        // Past 2^31 pixels is fine now: 65536 x 32768 = 2^31.
        let ok = Viewport::new(-1.0, 1.0, -1.0, 1.0, 65_536, 32_768).expect("fits");
        assert_eq!(ok.pixels(), 1 << 31);
        assert!(Viewport::new(-1.0, 1.0, -1.0, 1.0, MAX_SIDE, 1).is_ok());
    }

    #[test]
    fn refuses_a_span_that_overflows() {
        let e = Viewport::new(-1e308, 1e308, -1.0, 1.0, 10, 10).unwrap_err();
        assert!(
            matches!(
                e,
                MandelError::BadStep {
                    min_option: "--xmin",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn single_pixel_image_samples_the_corner() {
        let v = Viewport::new(-1.0, 1.0, -2.0, 2.0, 1, 1).expect("valid view");
        assert_eq!(v.c_at(0, 0), Complex::new(-1.0, -2.0));
    }

    #[test]
    fn from_center_spans_scale_and_keeps_pixels_square() {
        let v = Viewport::from_center(-0.5, 0.0, 3.0, 1200, 800).expect("valid view");
        assert_eq!((v.xmin(), v.xmax()), (-2.0, 1.0));
        assert_eq!((v.ymin(), v.ymax()), (-1.0, 1.0));
        assert_eq!(v.dx(), v.dy());
        assert_eq!(v, Viewport::default_view());
    }

    #[test]
    fn from_center_refuses_bad_scale_and_centre() {
        for scale in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-300] {
            let e = Viewport::from_center(-0.5, 0.0, scale, 100, 100).unwrap_err();
            assert!(matches!(e, MandelError::BadScale { .. }), "{scale}: {e}");
        }
        let e = Viewport::from_center(f64::NAN, 0.0, 1.0, 100, 100).unwrap_err();
        assert_eq!(e.to_string(), "--center NaN must be a finite number");
        let e = Viewport::from_center(0.0, 0.0, 1.0, 0, 100).unwrap_err();
        assert_eq!(e.to_string(), "--width 0 must be at least 1");
    }

    #[test]
    #[should_panic(expected = "outside an image")]
    fn row_past_the_bottom_is_a_bug() {
        Viewport::default_view().c_at(0, DEFAULT_HEIGHT);
    }
}

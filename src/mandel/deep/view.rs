//! A view of any depth: its centre in fixed point, its pixel steps in extended range.
//!
//! The grid is the README's at every depth: column `j` samples `x = xmin + j dx` and row `r`
//! samples `y = ymin + (H-1-r) dy`, with `xmin = RE - W dx / 2` and `ymin = IM - H dy / 2`. So
//! pixel `(j, r)` lies at `(RE, IM) + ((2j - W) dx/2, (2(H-1-r) - H) dy/2)`: the centre is the
//! reference point, and each pixel's offset from it is an integer times half a step, exact in
//! extended range whatever the depth. With `--center/--scale`, `dx = dy = S / W`.

use num_complex::Complex;

use super::bignum::{Decimal, Fixed};
use super::floatexp::{Cfe, Fe};
use crate::mandel::viewport::check_size;
use crate::mandel::{MandelError, Viewport};

/// Fraction bits of the reference beyond the pixel step's: the reference is exact far below
/// a pixel, so its rounding never shows in a count.
const GUARD_BITS: i64 = 96;

/// The most fraction bits a reference may carry (about 1e-19700): past this the reference
/// alone would take hours per million iterations, so the request is refused.
pub const MAX_PRECISION_BITS: i64 = 1 << 16;

/// Steps whose exponent is below this put pixel offsets under f64's normal range.
const DEEP_BELOW_EXP: i32 = -960;

/// A validated view of any depth.
#[derive(Debug, Clone)]
pub struct DeepView {
    width: u32,
    height: u32,
    re: Fixed,
    im: Fixed,
    half_dx: Fe,
    half_dy: Fe,
    /// The half steps in f64 (meaningful for views that are not deep), for [`Self::dc64`].
    half64: (f64, f64),
    /// The centre and scale as given, for the report.
    re_text: String,
    im_text: String,
    scale_text: String,
}

/// `x` as an extended-range number (`None` if its binary exponent leaves `i32`).
pub fn decimal_to_fe(x: &Decimal) -> Option<Fe> {
    match x.to_binary() {
        None => Some(Fe::ZERO),
        Some((negative, m, e)) => {
            let e = i32::try_from(e).ok().filter(|e| e.abs() < i32::MAX / 8)?;
            Some(Fe::new(if negative { -m } else { m }, e))
        }
    }
}

/// Fraction limbs for pixel steps as small as `step`.
fn limbs_for(step: Fe) -> Result<usize, MandelError> {
    let bits = (-i64::from(step.exp())).max(0) + GUARD_BITS;
    if bits > MAX_PRECISION_BITS {
        return Err(MandelError::Deep(format!(
            "a pixel step of 2^{} needs {bits} bits of precision, past the limit of {} \
             (about 1e-19700): choose a larger --scale",
            step.exp(),
            MAX_PRECISION_BITS
        )));
    }
    Ok(((bits + 63) / 64).max(2) as usize)
}

impl DeepView {
    /// A view centred on `re + i im`, `scale` wide (positive; `scale_text` as given), square
    /// pixels.
    pub fn from_center(
        re: &Decimal,
        im: &Decimal,
        s: Fe,
        scale_text: String,
        width: u32,
        height: u32,
    ) -> Result<DeepView, MandelError> {
        check_size(width, height)?;
        if s.log2_abs() > 8.0 {
            return Err(MandelError::Deep(format!(
                "--scale {scale_text} is wider than the plane worth drawing (at most 256)"
            )));
        }
        let half = s.div(Fe::from_f64(2.0 * f64::from(width)));
        let limbs = limbs_for(half)?;
        let fixed = |x: &Decimal| {
            Fixed::from_decimal(x, limbs)
                .map_err(|e| MandelError::Deep(format!("--center {re},{im}: {e}")))
        };
        Ok(DeepView {
            width,
            height,
            re: fixed(re)?,
            im: fixed(im)?,
            half_dx: half,
            half_dy: half,
            half64: (half.to_f64(), half.to_f64()),
            re_text: re.to_string(),
            im_text: im.to_string(),
            scale_text,
        })
    }

    /// The same grid as an f64 view (edges and steps exactly its `f64`s), for rendering it by
    /// perturbation.
    pub fn from_viewport(v: &Viewport) -> Result<DeepView, MandelError> {
        let half_dx = Fe::from_f64(v.dx()).mul(Fe::from_f64(0.5));
        let half_dy = Fe::from_f64(v.dy()).mul(Fe::from_f64(0.5));
        let limbs = limbs_for(half_dx.min(half_dy))?;
        let exact =
            |x: f64| Fixed::from_f64(x, limbs).map_err(|e| MandelError::Deep(format!("{x}: {e}")));
        // RE = xmin + W dx / 2 and IM = ymin + H dy / 2, exactly.
        let re = exact(v.xmin())?.add(&exact(v.dx() / 2.0)?.mul(&exact(f64::from(v.width()))?));
        let im = exact(v.ymin())?.add(&exact(v.dy() / 2.0)?.mul(&exact(f64::from(v.height()))?));
        Ok(DeepView {
            width: v.width(),
            height: v.height(),
            re_text: re.to_decimal_string(20),
            im_text: im.to_decimal_string(20),
            scale_text: format!("{}", v.xmax() - v.xmin()),
            re,
            im,
            half_dx,
            half_dy,
            half64: (half_dx.to_f64(), half_dy.to_f64()),
        })
    }

    /// Image width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Image height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The reference point (the centre), real and imaginary parts.
    pub fn centre(&self) -> (&Fixed, &Fixed) {
        (&self.re, &self.im)
    }

    /// The centre rounded to f64.
    pub fn centre_f64(&self) -> Complex<f64> {
        Complex::new(self.re.to_f64(), self.im.to_f64())
    }

    /// The centre and scale as given (decimal text).
    pub fn texts(&self) -> (&str, &str, &str) {
        (&self.re_text, &self.im_text, &self.scale_text)
    }

    /// Bits of precision the reference is computed with.
    pub fn precision_bits(&self) -> u32 {
        64 * self.re.frac_limbs() as u32
    }

    /// The pixel step along x (`dx`).
    pub fn dx(&self) -> Fe {
        self.half_dx.mul(Fe::from_f64(2.0))
    }

    /// Whether pixel offsets lie below f64's normal range (extended range needed).
    pub fn is_deep(&self) -> bool {
        self.half_dx.exp() < DEEP_BELOW_EXP || self.half_dy.exp() < DEEP_BELOW_EXP
    }

    /// The largest pixel offset from the centre, `|(W dx/2, H dy/2)|`.
    pub fn dc_max(&self) -> Fe {
        let x = self.half_dx.mul(Fe::from_f64(f64::from(self.width)));
        let y = self.half_dy.mul(Fe::from_f64(f64::from(self.height)));
        Cfe::from_parts(x, y).norm()
    }

    /// The integer multiples of the half steps that pixel `(col, row)` lies at.
    #[inline]
    fn multiples(&self, col: u32, row: u32) -> (f64, f64) {
        let j = 2.0 * f64::from(col) - f64::from(self.width);
        let r = 2.0 * f64::from(self.height - 1 - row) - f64::from(self.height);
        (j, r)
    }

    /// Pixel `(col, row)`'s offset from the centre in f64 (views that are not [`Self::is_deep`]).
    #[inline]
    pub fn dc64(&self, col: u32, row: u32) -> Complex<f64> {
        let (j, r) = self.multiples(col, row);
        Complex::new(j * self.half64.0, r * self.half64.1)
    }

    /// Pixel `(col, row)`'s offset from the centre in extended range.
    pub fn dc_fe(&self, col: u32, row: u32) -> Cfe {
        let (j, r) = self.multiples(col, row);
        Cfe::from_parts(
            Fe::from_f64(j).mul(self.half_dx),
            Fe::from_f64(r).mul(self.half_dy),
        )
    }
}

//! Our own big numbers: decimals of any length read exactly, and the fixed-point arithmetic of
//! the reference orbit.
//!
//! | module          | what it holds |
//! |-----------------|---------------|
//! | [`decimal`]     | [`Decimal`]: a decimal exactly as written, correctly rounded to binary |
//! | [`fixed`]       | [`Fixed`]: signed fixed point with `64 * frac_limbs` fraction bits |
//! | `natural`       | natural numbers of any length as `u64` limb vectors (parse, print, divide) |
//! | `limbs`         | add, subtract and truncated products on limb slices of one length |
//! | `rounding`      | rounding a binary fraction with a sticky bit to `f64` or to 53 bits |
//!
//! The orbit that uses them is [`crate::mandel::deep::orbit`].
//!
//! Why our own: the reference orbit needs only `z^2 + c` at one fixed precision with `|z| < 2`,
//! which fixed point on 64-bit limbs does exactly, deterministically and without a C toolchain:
//! truncated products that skip the partial products below the kept limbs, squares with the
//! cross terms doubled, and no allocation in the loop. We chose it over `rug` (GMP/MPFR: the
//! fastest, but LGPL C libraries, with a build that needs them or m4 and minutes) and the
//! pure-Rust `dashu`, `astro-float` and `malachite` (general-purpose floats that allocate per
//! operation; malachite is LGPL too). Decimal input of any length (exponents beyond ±1e18
//! included) and every conversion are exact and correctly rounded, tested against num-bigint,
//! which the program itself does not use.
//!
//! Everything is integer arithmetic on `u64` limbs; the conversions to `f64` are done with
//! integer operations too, so all results are bit-identical on every machine.

pub mod decimal;
pub mod fixed;
pub(in crate::mandel::deep) mod limbs;
mod natural;
mod rounding;
#[cfg(test)]
pub(crate) mod test_support;

pub use decimal::Decimal;
pub use fixed::Fixed;

//! Deep zoom: views past f64's resolution, rendered by perturbation from one reference orbit.
//!
//! | module        | what it holds |
//! |---------------|---------------|
//! | [`floatexp`]  | f64 mantissas with separate exponents, for deltas below 1e-300 |
//! | [`bla`]       | bilinear approximation: runs of steps merged into one |
//! | [`perturb`]   | the per-pixel perturbation iteration, with rebasing |
//! | [`group`]     | neighbouring pixels in lock step: one lookup serves eight |
//! | `lanes`       | eight pixels' plain steps at once on the CPU's vector instructions |
//! | [`bignum`]    | our own big numbers: decimals of any length, fixed point |
//! | [`orbit`]     | the reference orbit in fixed point |
//! | [`view`]      | a view of any depth: centre in fixed point, pixel steps in extended range |
//! | [`render`]    | the reference and its table once per image, the rows on threads |
//! | [`location`]  | rust-fractal-core's and Kalles Fraktaler's location files |

pub mod bignum;
pub mod bla;
pub mod floatexp;
pub mod group;
mod lanes;
pub mod location;
pub mod orbit;
pub mod perturb;
pub mod render;
pub mod view;

//! Colour: the named colour maps ([`maps`]), how a pixel's value meets them ([`scale`]), and the
//! painter that turns counts into RGB, once over a map or as a cycled palette ([`palette`]).
//!
//! | module      | what it holds |
//! |-------------|---------------|
//! | [`maps`]    | [`Colormap`]: matplotlib's `jet` and `gray` byte-exact, colorous's gradients |
//! | [`scale`]   | [`ColorScale`]: `max-iter`, or the `log`, `sqrt` or `linear` cycled palette |
//! | [`palette`] | [`Painter`], [`Cycle`] and [`auto_cycle`]: counts to RGB |

pub mod maps;
pub mod palette;
pub mod scale;

pub use maps::Colormap;
pub use palette::{
    auto_cycle, colorize, Cycle, Painter, DEFAULT_CYCLES, DEFAULT_CYCLE_SCALE, DEFAULT_INSIDE,
    TABLE_LIMIT,
};
pub use scale::ColorScale;

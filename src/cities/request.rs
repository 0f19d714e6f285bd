//! What one run of `dist-cities` is asked to do, as plain data: the file and how to read it, the
//! kernel, the algorithm, the Earth's shape, the units, the ranking (`--top`, `--closest`), the
//! threads and the report's form.
//!
//! The command line (`cli::cities`) builds it once from the flags; the distributed search and
//! the report take it and never see a flag. Its messages still name the flags a value came from.

use std::path::PathBuf;

use super::read::ReadOptions;
use super::search::{Algorithm, Kernel};
use super::sphere::Units;
use super::top::Order;
use super::wgs84::Earth;
use crate::partition::pair_count;

/// A validated-once description of a `dist-cities` run.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The city file.
    pub path: PathBuf,
    /// How to read it.
    pub read: ReadOptions,
    /// The all-pairs kernel.
    pub kernel: Kernel,
    /// How the pairs are searched, before it is resolved for the number of cities.
    pub algorithm: Algorithm,
    /// The Earth's shape.
    pub earth: Earth,
    /// The unit of the printed distance.
    pub units: Units,
    /// `--top K`: also list the K best pairs.
    pub top: Option<u64>,
    /// `--closest`: the closest pair instead of the farthest.
    pub closest: bool,
    /// Threads per rank.
    pub threads: u16,
    /// One JSON object instead of text.
    pub json: bool,
}

impl Request {
    /// Whether `--top` and `--closest` fit the other options: they rank pairs by the fast
    /// kernel's dot product on the sphere, so the haversine kernel and the ellipsoid are refused.
    pub fn check_ranking(&self) -> Result<(), String> {
        let (flags, is, ranks) = match (self.top.is_some(), self.closest) {
            (false, false) => return Ok(()),
            (true, false) => ("--top", "is", "ranks"),
            (false, true) => ("--closest", "is", "ranks"),
            (true, true) => ("--top and --closest", "are", "rank"),
        };
        if self.earth != Earth::Sphere {
            return Err(format!(
                "{flags} {is} sphere-only for now; drop --earth wgs84"
            ));
        }
        if self.kernel != Kernel::Fast {
            return Err(format!(
                "{flags} {ranks} pairs by the fast kernel's dot product; drop --kernel haversine"
            ));
        }
        Ok(())
    }

    /// Which end of the distances is wanted: the closest pairs with `--closest`, else the
    /// farthest.
    pub fn order(&self) -> Order {
        if self.closest {
            Order::Closest
        } else {
            Order::Farthest
        }
    }

    /// Whether pairs are ranked in lists (`--top` or `--closest`) rather than by one best pair.
    pub fn ranked(&self) -> bool {
        self.top.is_some() || self.closest
    }

    /// The number of pairs a list keeps among `n` cities: `--top`, or 1, never more than there
    /// are pairs.
    pub fn list_len(&self, n: u64) -> usize {
        self.top.unwrap_or(1).min(pair_count(n)) as usize
    }
}

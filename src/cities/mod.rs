//! Cities: reading and validating city files, sphere geometry, the pair searches, and
//! `dist-cities`' distributed search and report.
//!
//! | module          | what it holds |
//! |-----------------|---------------|
//! | [`request`]     | what one run is asked to do, as plain data ([`Request`]) |
//! | [`read`]        | the city reader (CSV and the notebook's whitespace layout) and its validation |
//! | [`table`]       | the cities of one file as rank 0 holds them ([`CityTable`]) |
//! | [`sphere`]      | the sphere: the haversine formula, units, the Earth's radius |
//! | [`candidate`]   | the one candidate type of every search ([`Candidate`]) and its order ([`candidate::key_order`]) |
//! | [`haversine`]   | the notebook's per-pair haversine over a slice of the pair index: the reference kernel |
//! | [`dot`]         | the fast kernel: unit vectors, the smallest dot product in SIMD lanes |
//! | [`search`]      | kernels and algorithms, the coordinates prepared for a kernel, a rank's brute-force search |
//! | [`tree`]        | the exact k-d tree: brute force's answer in about O(n log n) |
//! | [`top`]         | the K best pairs, farthest or closest |
//! | [`wgs84`]       | the ellipsoid: Karney's geodesic, filtered by a proven bound on the sphere |
//! | [`distributed`] | the search under MPI: read and agree, scatter, each rank's search, gather |
//! | [`report`]      | what rank 0 prints: text or one JSON object |

pub mod candidate;
pub mod distributed;
pub mod dot;
pub mod haversine;
pub mod read;
pub mod report;
pub mod request;
pub mod search;
pub mod sphere;
pub mod table;
pub mod top;
pub mod tree;
pub mod wgs84;

#[cfg(test)]
pub(crate) mod test_points;

pub use candidate::Candidate;
pub use dot::UnitVectors;
pub use haversine::Points;
pub use read::{read_cities, Format, ReadError, ReadOptions};
pub use request::Request;
pub use search::{Algorithm, Kernel, Prepared, AUTO_TREE_MIN};
pub use sphere::{haversine_km, Units, EARTH_RADIUS_KM};
pub use table::CityTable;

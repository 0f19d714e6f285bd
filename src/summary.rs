//! The lines both programs' reports share: the seed program's lines, per-rank times, the load
//! balance and peak memory.
//!
//! The two lines of the notebook's mpi4py program keep their exact format
//! (`Maximum distance: %.0f km`, `Computing time: %.3f sec`); the rest is added after them.

/// The load balance of per-rank figures: mean / max, 1.0 when perfectly even (or all zero).
pub fn load_balance(per_rank: &[f64]) -> f64 {
    let max = per_rank.iter().cloned().fold(0.0_f64, f64::max);
    if per_rank.is_empty() || max <= 0.0 {
        return 1.0;
    }
    let mean = per_rank.iter().sum::<f64>() / per_rank.len() as f64;
    mean / max
}

/// The seed's result line, e.g. `Maximum distance: 19983 km`.
pub fn max_distance_line(distance: f64, unit: &str) -> String {
    format!("Maximum distance: {distance:.0} {unit}")
}

/// The closest pair's line, in the seed's format, e.g. `Minimum distance: 3 km`.
pub fn min_distance_line(distance: f64, unit: &str) -> String {
    format!("Minimum distance: {distance:.0} {unit}")
}

/// The seed's timing line, e.g. `Computing time: 0.682 sec`.
pub fn computing_time_line(seconds: f64) -> String {
    format!("Computing time: {seconds:.3} sec")
}

/// Each rank's own compute time on one line, e.g. `Rank compute times: 0.101 0.099 sec`.
pub fn rank_times_line(seconds: &[f64]) -> String {
    let times: Vec<String> = seconds.iter().map(|s| format!("{s:.3}")).collect();
    format!("Rank compute times: {} sec", times.join(" "))
}

/// The load-balance line for per-rank figures of a kind, e.g. `Load balance (time): 0.98`.
pub fn balance_line(what: &str, per_rank: &[f64]) -> String {
    format!(
        "Load balance ({what}, mean/max): {:.3}",
        load_balance(per_rank)
    )
}

/// This process's peak resident memory in bytes (`getrusage`; Linux reports KiB), 0 if unknown.
pub fn peak_rss_bytes() -> u64 {
    #[cfg(unix)]
    {
        // SAFETY: getrusage(2) fills the zeroed struct we own.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
            let kib = u64::try_from(usage.ru_maxrss).unwrap_or(0);
            return if cfg!(target_os = "macos") {
                kib
            } else {
                kib * 1024
            };
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_lines_keep_their_format() {
        assert_eq!(
            max_distance_line(19982.978621, "km"),
            "Maximum distance: 19983 km"
        );
        assert_eq!(
            max_distance_line(12416.8, "mi"),
            "Maximum distance: 12417 mi"
        );
        assert_eq!(computing_time_line(0.6824), "Computing time: 0.682 sec");
        assert_eq!(
            rank_times_line(&[0.1, 0.25]),
            "Rank compute times: 0.100 0.250 sec"
        );
    }

    #[test]
    fn balance_is_mean_over_max() {
        assert_eq!(load_balance(&[1.0, 1.0, 1.0]), 1.0);
        assert_eq!(load_balance(&[1.0, 3.0]), 2.0 / 3.0);
        assert_eq!(load_balance(&[0.0, 0.0]), 1.0);
        assert_eq!(load_balance(&[]), 1.0);
        assert_eq!(
            balance_line("time", &[1.0, 3.0]),
            "Load balance (time, mean/max): 0.667"
        );
    }
}

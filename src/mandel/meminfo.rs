//! The memory the system says is available (`/proc/meminfo`'s `MemAvailable`), for the checks
//! rank 0 makes before a render.

/// `MemAvailable` from /proc/meminfo, in bytes (Linux); `None` elsewhere.
pub fn mem_available_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

//! What the tests and benchmarks read from /proc: a process's parent, state and CPU time,
//! everything under it (the app, WebKit's web and network processes), its memory.

use std::collections::{HashMap, HashSet};
use std::fs;

/// Clock ticks per second, the unit of the CPU times in /proc/<pid>/stat.
pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no memory effects.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }) as f64
}

/// What /proc/<pid>/stat says about a process.
#[derive(Clone, Copy, Debug)]
pub struct Stat {
    pub ppid: u32,
    /// R, S, D, Z (a zombie waiting to be reaped), X…
    pub state: char,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
    /// Clock ticks after boot: with the pid, tells a process from a later one that reuses it.
    pub start: u64,
}

pub fn stat(pid: u32) -> Option<Stat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain anything: parse after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // after "comm": state(0) ppid(1) ... utime(11) stime(12) ... starttime(19)
    Some(Stat {
        state: f.first()?.chars().next()?,
        ppid: f.get(1)?.parse().ok()?,
        cpu_ticks: f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?,
        start: f.get(19)?.parse().ok()?,
    })
}

/// Every pid in /proc right now.
pub fn all_pids() -> Vec<u32> {
    fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Every process below `root` right now, as (pid, start time).
pub fn descendants(root: u32) -> Vec<(u32, u64)> {
    let mut children: HashMap<u32, Vec<(u32, u64)>> = HashMap::new();
    for pid in all_pids() {
        if let Some(s) = stat(pid) {
            children.entry(s.ppid).or_default().push((pid, s.start));
        }
    }
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        for &(child, start) in children.get(&pid).into_iter().flatten() {
            if seen.insert(child) {
                found.push((child, start));
                queue.push(child);
            }
        }
    }
    found
}

/// `pid` and all its descendants.
pub fn family(pid: u32) -> Vec<u32> {
    std::iter::once(pid)
        .chain(descendants(pid).into_iter().map(|(p, _)| p))
        .collect()
}

pub fn comm(pid: u32) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// CPU ticks per (pid, start time), so a reused pid is not mixed up.
pub fn cpu_of(pids: &[u32]) -> HashMap<(u32, u64), (String, u64)> {
    pids.iter()
        .filter_map(|&p| stat(p).map(|s| ((p, s.start), (comm(p), s.cpu_ticks))))
        .collect()
}

/// (Rss, Pss) in kB from /proc/<pid>/smaps_rollup.
pub fn memory(pid: u32) -> (u64, u64) {
    let text = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("Rss:"), field("Pss:"))
}

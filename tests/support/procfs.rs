//! What the benchmarks read from /proc: CPU time and memory of a process and everything
//! under it (the app, WebKit's web and network processes).

use std::collections::HashMap;
use std::fs;

/// Clock ticks per second, the unit of the CPU times in /proc/<pid>/stat.
pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no memory effects.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }) as f64
}

/// (ppid, utime+stime in ticks, start time) from /proc/<pid>/stat.
pub fn stat(pid: u32) -> Option<(u32, u64, u64)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // after "comm": state(0) ppid(1) ... utime(11) stime(12) ... starttime(19)
    let ppid = f.get(1)?.parse().ok()?;
    let cpu = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let start = f.get(19)?.parse().ok()?;
    Some((ppid, cpu, start))
}

pub fn all_pids() -> Vec<u32> {
    fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// `pid` and all its descendants.
pub fn family(pid: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for p in all_pids() {
        if let Some((ppid, _, _)) = stat(p) {
            children.entry(ppid).or_default().push(p);
        }
    }
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        if let Some(c) = children.get(&out[i]) {
            out.extend(c);
        }
        i += 1;
    }
    out
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
        .filter_map(|&p| stat(p).map(|(_, cpu, start)| ((p, start), (comm(p), cpu))))
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

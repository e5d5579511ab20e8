//! The watcher's files: small JSON written atomically by [`crate::json_file`] (temporary
//! file, sync, rename), with errors that say which file and whether it was damaged.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::clock::later;
use crate::json_file;

/// Why a watcher file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("couldn't use {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{detail}; it was kept as {kept}")]
    Damaged {
        path: PathBuf,
        detail: String,
        kept: PathBuf,
    },
}

/// Reads `path`: the saved value, or `None` when there is none yet. A file that cannot be
/// decoded is set aside (kept for a person to look at) and reported in the second value;
/// the watcher then starts empty, which every one of its files can afford. Only failing
/// to read or set aside the file is an error.
pub fn load<T: DeserializeOwned>(
    path: &Path,
) -> Result<(Option<T>, Option<StoreError>), StoreError> {
    let io_err = |source| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    match json_file::load(path) {
        Ok(value) => Ok((value, None)),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            let kept = json_file::set_aside(path).map_err(io_err)?;
            let damage = StoreError::Damaged {
                path: path.to_owned(),
                detail: e.to_string(),
                kept,
            };
            Ok((None, Some(damage)))
        }
        Err(e) => Err(io_err(e)),
    }
}

/// Replaces `path` with `value` atomically and durably.
pub fn save<T: Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    json_file::save(path, value).map_err(|source| StoreError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Times are stored as Unix milliseconds: plain numbers a person can read with any tool.
pub fn to_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A damaged or hand-edited file may hold any number; a far one must not overflow.
pub fn from_ms(ms: u64) -> SystemTime {
    later(UNIX_EPOCH, Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn a_damaged_file_is_kept_aside_and_reported_then_reads_as_new() {
        let dir = std::env::temp_dir().join(format!(
            "atelier-store-damaged-{}-{}",
            std::process::id(),
            to_ms(SystemTime::now())
        ));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.json");
        fs::write(&path, b"{not json").unwrap();
        let (value, damage) = load::<Vec<u32>>(&path).unwrap();
        assert_eq!(value, None, "a damaged file means starting empty");
        let Some(StoreError::Damaged { kept, .. }) = &damage else {
            panic!("the damage is reported: {damage:?}")
        };
        assert!(kept.exists());
        let (value, damage) = load::<Vec<u32>>(&path).unwrap();
        assert!(
            value.is_none() && damage.is_none(),
            "set aside: nothing left to report"
        );
        save(&path, &vec![7u32]).unwrap();
        let (value, damage) = load::<Vec<u32>>(&path).unwrap();
        assert_eq!(value, Some(vec![7]));
        assert!(damage.is_none());
        let _ = fs::remove_dir_all(&dir);
    }
}

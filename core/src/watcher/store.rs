//! Small JSON files that must survive a crash at any instant: each save writes a temporary
//! file beside the target, flushes it to disk, then renames it over the target, so a reader
//! sees either the old or the new content, never half of one.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why a watcher file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("couldn't use {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} is damaged ({detail}); it was kept as {kept}")]
    Damaged {
        path: PathBuf,
        detail: String,
        kept: PathBuf,
    },
}

/// Reads `path`, or `None` when it does not exist yet. A file that cannot be decoded is
/// renamed aside (kept for a person to look at) and reported, so the caller can decide
/// whether starting empty is acceptable.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, StoreError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_owned(),
                source,
            })
        }
    };
    match serde_json::from_slice(&bytes) {
        Ok(value) => Ok(Some(value)),
        Err(e) => {
            let kept = path.with_extension("damaged");
            fs::rename(path, &kept).map_err(|source| StoreError::Io {
                path: path.to_owned(),
                source,
            })?;
            Err(StoreError::Damaged {
                path: path.to_owned(),
                detail: e.to_string(),
                kept,
            })
        }
    }
}

/// Replaces `path` with `value` atomically and durably.
pub fn save<T: Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let io_err = |source| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| io_err(io::Error::new(io::ErrorKind::InvalidData, e)))?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        fs::create_dir_all(dir).map_err(io_err)?;
    }
    // Same directory as the target: a rename is only atomic within one file system.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(e));
    }
    sync_dir(dir);
    Ok(())
}

/// Makes the rename itself durable. Only Unix can open a directory for this; elsewhere
/// the rename is as durable as the platform makes it.
fn sync_dir(dir: Option<&Path>) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir.unwrap_or(Path::new("."))) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Times are stored as Unix milliseconds: plain numbers a person can read with any tool.
pub fn to_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

pub fn from_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "atelier-store-{name}-{}-{}",
            std::process::id(),
            to_ms(SystemTime::now())
        ));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_saved_value_is_read_back_and_no_temporary_file_is_left() {
        let d = dir("roundtrip");
        let path = d.join("x.json");
        assert_eq!(load::<Vec<u32>>(&path).unwrap(), None);
        save(&path, &vec![1u32, 2]).unwrap();
        save(&path, &vec![3u32]).unwrap();
        assert_eq!(load::<Vec<u32>>(&path).unwrap(), Some(vec![3]));
        let names: Vec<_> = fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("x.json")]);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_damaged_file_is_kept_aside_and_reported() {
        let d = dir("damaged");
        fs::create_dir_all(&d).unwrap();
        let path = d.join("x.json");
        fs::write(&path, b"{not json").unwrap();
        let err = load::<Vec<u32>>(&path).unwrap_err();
        assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
        assert!(d.join("x.damaged").exists());
        assert_eq!(load::<Vec<u32>>(&path).unwrap(), None);
        let _ = fs::remove_dir_all(&d);
    }
}

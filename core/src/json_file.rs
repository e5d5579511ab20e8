//! Small JSON files that must survive crashes: settings, the practice marketplace, the
//! watcher's memory. A save writes a temporary file beside the target, syncs it, and
//! renames it over the target, so a reader sees the old file or the new one, never half.
//!
//! These files hold a creator's orders, clients' briefs, deliveries and settings: on Unix
//! they are readable by their owner only (0600, directories 0700), so other accounts on a
//! shared computer cannot read them.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// The value stored at `path`; `None` when there is no file yet. A file that is not valid
/// JSON for `T` is `InvalidData`, so callers can tell "new" from "damaged".
pub fn load<T: DeserializeOwned>(path: &Path) -> io::Result<Option<T>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is damaged: {e}", path.display()),
        )
    })
}

pub fn save<T: Serialize + ?Sized>(path: &Path, value: &T) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let temp = temp_path(path);
    let written = (|| {
        let mut file = create_private_file(&temp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        sync_dir(dir)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

/// Creates `dir` and any missing parents, owner-only. A directory that already exists is
/// left as it is: it may be one the creator chose and shares on purpose.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates (or truncates) `path`, owner-only. The mode given at creation does not apply to
/// a file that already exists (a temporary file left by a crash), so it is set again.
fn create_private_file(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

/// The rename itself is durable only once the directory entry is on disk. Windows cannot
/// open a directory as a file, and its rename is already durable enough there.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Moves a damaged file aside (kept for inspection, never silently overwritten) and
/// returns where it went.
pub fn set_aside(path: &Path) -> io::Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let aside = path.with_file_name(format!("{}.damaged-{stamp}", file_name(path)));
    fs::rename(path, &aside)?;
    // It holds the same private data; an older version may have left it readable to all.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(&aside, fs::Permissions::from_mode(0o600));
    }
    Ok(aside)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data.json".to_owned())
}

fn temp_path(path: &Path) -> PathBuf {
    path.with_file_name(format!(".{}.{}.tmp", file_name(path), std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "atelier-json-file-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir.join("nested").join("data.json")
    }

    #[test]
    fn a_missing_file_is_nothing_and_a_save_leaves_only_the_file() {
        let path = scratch();
        assert_eq!(load::<Vec<u32>>(&path).unwrap(), None);
        save(&path, &vec![1u32, 2, 3]).unwrap();
        save(&path, &vec![4u32]).unwrap();
        assert_eq!(load::<Vec<u32>>(&path).unwrap(), Some(vec![4]));
        let entries: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(entries.len(), 1, "no temporary file is left behind");
        fs::remove_dir_all(path.parent().unwrap().parent().unwrap()).ok();
    }

    #[test]
    fn a_damaged_file_is_reported_and_can_be_set_aside() {
        let path = scratch();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, b"{\"half\": ").unwrap();
        assert_eq!(
            load::<serde_json::Value>(&path).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        let aside = set_aside(&path).unwrap();
        assert!(aside.exists() && !path.exists());
        fs::remove_dir_all(path.parent().unwrap().parent().unwrap()).ok();
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn what_is_saved_is_private_to_this_user() {
        use std::os::unix::fs::PermissionsExt;
        let path = scratch();
        save(&path, &vec![1u32]).unwrap();
        let nested = path.parent().unwrap();
        assert_eq!(mode(&path), 0o600, "the file");
        assert_eq!(mode(nested), 0o700, "the directory made for it");
        assert_eq!(mode(nested.parent().unwrap()), 0o700, "and the one above");
        // A file an older version left readable to all is private after the next save.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        save(&path, &vec![2u32]).unwrap();
        assert_eq!(mode(&path), 0o600);
        fs::remove_dir_all(nested.parent().unwrap()).ok();
    }
}

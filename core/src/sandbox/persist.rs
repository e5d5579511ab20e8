//! The optional data file. It is replaced atomically (write a temporary file in
//! the same directory, then rename) so a crash never leaves half a file.
//! It holds API keys in clear, as the real database does.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::store::Store;

/// The store saved at `path`, or `None` when there is no file yet.
pub fn load(path: &Path) -> io::Result<Option<Store>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is not a sandbox data file: {e}", path.display()),
        )
    })
}

pub fn save(path: &Path, store: &Store) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(store).map_err(io::Error::other)?;
    let temp = temp_path(path);
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sandbox.json".to_owned());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "atelier-sandbox-persist-{}-{name}-{}",
            std::process::id(),
            super::super::ids::now_ms()
        ));
        fs::create_dir_all(&dir).ok();
        dir.join("data.json")
    }

    #[test]
    fn missing_file_loads_as_nothing_and_saves_leave_no_temp_file() {
        let path = scratch("roundtrip");
        assert!(load(&path).ok().flatten().is_none());
        save(&path, &Store::default()).expect("save");
        assert!(load(&path).ok().flatten().is_some());
        let dir = path.parent().expect("parent");
        let leftovers: Vec<_> = fs::read_dir(dir).expect("dir").flatten().collect();
        assert_eq!(leftovers.len(), 1, "only the data file should remain");
        fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn garbage_file_is_invalid_data() {
        let path = scratch("garbage");
        fs::write(&path, b"not json").expect("write");
        assert_eq!(
            load(&path).err().map(|e| e.kind()),
            Some(io::ErrorKind::InvalidData)
        );
        fs::remove_dir_all(path.parent().expect("parent")).ok();
    }
}

//! The optional data file, replaced atomically on every change (see `json_file`).

use std::io;
use std::path::Path;

use super::store::Store;
use crate::json_file;

/// The store saved at `path`, or `None` when there is no file yet.
pub fn load(path: &Path) -> io::Result<Option<Store>> {
    json_file::load(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("{} is not a sandbox data file: {e}", path.display()),
        )
    })
}

pub fn save(path: &Path, store: &Store) -> io::Result<()> {
    json_file::save(path, store)
}

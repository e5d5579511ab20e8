//! The API key lives in the operating system's keyring (Secret Service on Linux, the login
//! keychain on macOS, Credential Manager on Windows), never in a file. When no keyring can
//! be reached this says so; it never falls back to plain text, nor to memory.

// keyring 3 quietly keeps secrets in memory where no backend is built in: the key would
// vanish at quit. core/Cargo.toml names a backend for exactly these systems.
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
compile_error!(
    "Atelier Desk keeps the API key in the system keyring, and core/Cargo.toml names one only \
     for Linux, macOS and Windows: add this system's keyring backend there first."
);

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};

/// Where keys are kept. Calls may block (D-Bus round trips): run them off the async runtime.
pub trait KeyStore: Send + Sync + 'static {
    fn read(&self, account: &str) -> Result<Option<SecretString>, KeyringError>;
    fn write(&self, account: &str, key: &SecretString) -> Result<(), KeyringError>;
    /// Removing a key that is not there is fine.
    fn remove(&self, account: &str) -> Result<(), KeyringError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    #[error("Atelier Desk keeps your API key in your system keyring, and none is available right now. Start your desktop's keyring (GNOME Keyring or KWallet), then press Retry. The key is never saved anywhere else.")]
    Unavailable { detail: String },
    #[error("Your system keyring is locked. Unlock it (your login password usually does it), then press Retry.")]
    Locked,
    #[error("Your system keyring didn't accept the key ({detail}). Press Retry, or check your keyring app.")]
    Failed { detail: String },
}

impl crate::error::PageError for KeyringError {
    fn code(&self) -> &'static str {
        match self {
            KeyringError::Unavailable { .. } => "keyring_unavailable",
            KeyringError::Locked => "keyring_locked",
            KeyringError::Failed { .. } => "keyring_failed",
        }
    }
}

crate::serialize_as_page_error!(KeyringError);

impl From<keyring::Error> for KeyringError {
    fn from(err: keyring::Error) -> Self {
        match err {
            keyring::Error::NoStorageAccess(_) => KeyringError::Locked,
            keyring::Error::PlatformFailure(e) => KeyringError::Unavailable {
                detail: e.to_string(),
            },
            other => KeyringError::Failed {
                detail: other.to_string(),
            },
        }
    }
}

/// The keyring entry for one agent in one mode, so a practice account and a real one can
/// never overwrite each other.
pub fn account_name(mode: &str, agent_id: &str) -> String {
    format!("{mode}:{agent_id}")
}

/// Whether the keyring this build talks to keeps keys after the app quits. A build that
/// fell back on keyring's in-memory store would "save" a key and lose it at quit, and the
/// creator would only find out at the next start.
fn persistent_keyring() -> bool {
    use keyring::credential::CredentialPersistence;
    static PERSISTENT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *PERSISTENT.get_or_init(|| {
        matches!(
            keyring::default::default_credential_builder().persistence(),
            CredentialPersistence::UntilDelete
        )
    })
}

/// The operating system's keyring.
pub struct OsKeyring {
    service: String,
}

impl OsKeyring {
    pub fn new(service: impl Into<String>) -> OsKeyring {
        OsKeyring {
            service: service.into(),
        }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, KeyringError> {
        if !persistent_keyring() {
            return Err(KeyringError::Unavailable {
                detail: "this build of Atelier Desk has no keyring that outlives the app"
                    .to_owned(),
            });
        }
        keyring::Entry::new(&self.service, account).map_err(KeyringError::from)
    }
}

impl KeyStore for OsKeyring {
    fn read(&self, account: &str) -> Result<Option<SecretString>, KeyringError> {
        match self.entry(account)?.get_password() {
            Ok(key) => Ok(Some(SecretString::from(key))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn write(&self, account: &str, key: &SecretString) -> Result<(), KeyringError> {
        self.entry(account)?
            .set_password(key.expose_secret())
            .map_err(KeyringError::from)
    }

    fn remove(&self, account: &str) -> Result<(), KeyringError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// A keyring in memory, shared by clones, for tests of everything around the keyring.
/// It can be switched off to play a machine without one.
#[derive(Clone, Default)]
pub struct MemoryKeyring {
    keys: Arc<Mutex<HashMap<String, String>>>,
    broken: Arc<Mutex<Option<KeyringError>>>,
}

impl MemoryKeyring {
    pub fn new() -> MemoryKeyring {
        MemoryKeyring::default()
    }

    /// From now on every call fails with `error` (or works again with `None`).
    pub fn break_with(&self, error: Option<KeyringError>) {
        *self.broken.lock().unwrap_or_else(|p| p.into_inner()) = error;
    }

    pub fn len(&self) -> usize {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check(&self) -> Result<(), KeyringError> {
        match self
            .broken
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

impl KeyStore for MemoryKeyring {
    fn read(&self, account: &str) -> Result<Option<SecretString>, KeyringError> {
        self.check()?;
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        Ok(keys.get(account).map(|k| SecretString::from(k.clone())))
    }

    fn write(&self, account: &str, key: &SecretString) -> Result<(), KeyringError> {
        self.check()?;
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.insert(account.to_owned(), key.expose_secret().to_owned());
        Ok(())
    }

    fn remove(&self, account: &str) -> Result<(), KeyringError> {
        self.check()?;
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(account);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// The lines of `manifest` under `[header]`, up to the next table.
    fn table<'m>(manifest: &'m str, header: &str) -> &'m str {
        let Some(start) = manifest.find(&format!("[{header}]")) else {
            return "";
        };
        let rest = &manifest[start + header.len() + 2..];
        &rest[..rest.find("\n[").unwrap_or(rest.len())]
    }

    #[test]
    fn every_desktop_we_build_for_keeps_the_key_in_its_own_keyring() {
        let manifest = include_str!("../Cargo.toml");
        for (os, backend) in [
            ("linux", "\"sync-secret-service\""),
            ("macos", "\"apple-native\""),
            ("windows", "\"windows-native\""),
        ] {
            let deps = table(
                manifest,
                &format!("target.'cfg(target_os = \"{os}\")'.dependencies"),
            );
            assert!(
                deps.lines()
                    .any(|l| l.starts_with("keyring") && l.contains(backend)),
                "{os}: keyring without {backend} keeps keys in memory only"
            );
        }
        assert!(
            !table(manifest, "dependencies")
                .lines()
                .any(|l| l.starts_with("keyring")),
            "keyring for every target would build, memory-only, where no backend is chosen"
        );
    }

    #[test]
    fn this_build_has_a_keyring_that_outlives_the_app() {
        assert!(super::persistent_keyring());
    }
}

//! What Atelier Desk remembers between runs: which marketplace, which agent, preferences.
//! Never the API key (that is in the keyring). A missing file means defaults; a damaged
//! one is set aside and reported, never a crash; every save is atomic.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::json_file;

/// Which marketplace the app talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The real Atelier marketplace.
    Live,
    /// The sandbox marketplace inside the app.
    Practice,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Practice => "practice",
        }
    }
}

/// One account per mode, so practising never touches the real account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountSettings {
    pub agent_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    pub notifications: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            notifications: true,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub mode: Option<Mode>,
    /// The real marketplace's address when the creator changed it under Advanced.
    pub live_base_url: Option<String>,
    pub live: AccountSettings,
    pub practice: AccountSettings,
    pub preferences: Preferences,
}

impl Settings {
    pub fn account(&self, mode: Mode) -> &AccountSettings {
        match mode {
            Mode::Live => &self.live,
            Mode::Practice => &self.practice,
        }
    }

    pub fn account_mut(&mut self, mode: Mode) -> &mut AccountSettings {
        match mode {
            Mode::Live => &mut self.live,
            Mode::Practice => &mut self.practice,
        }
    }
}

/// The settings file on disk.
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    pub fn new(path: impl Into<PathBuf>) -> SettingsFile {
        SettingsFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved settings, or defaults plus a notice for the creator when the file was
    /// damaged or unreadable.
    pub fn load(&self) -> (Settings, Option<String>) {
        match json_file::load::<Settings>(&self.path) {
            Ok(Some(settings)) => (settings, None),
            Ok(None) => (Settings::default(), None),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                let kept = match json_file::set_aside(&self.path) {
                    Ok(aside) => format!(" The damaged file was kept as {}.", aside.display()),
                    Err(_) => String::new(),
                };
                let notice =
                    format!("Your settings file was damaged, so Atelier Desk started with default settings.{kept}");
                (Settings::default(), Some(notice))
            }
            Err(e) => (
                Settings::default(),
                Some(format!("Atelier Desk couldn't read its settings ({e}), so it started with default settings.")),
            ),
        }
    }

    pub fn save(&self, settings: &Settings) -> io::Result<()> {
        json_file::save(&self.path, settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> SettingsFile {
        let dir =
            std::env::temp_dir().join(format!("atelier-settings-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        SettingsFile::new(dir.join("settings.json"))
    }

    #[test]
    fn a_first_run_has_defaults_and_no_notice() {
        let file = scratch("first");
        let (settings, notice) = file.load();
        assert_eq!(settings, Settings::default());
        assert!(settings.preferences.notifications);
        assert_eq!(notice, None);
    }

    #[test]
    fn settings_survive_a_restart() {
        let file = scratch("restart");
        let mut settings = Settings {
            mode: Some(Mode::Practice),
            ..Default::default()
        };
        settings.account_mut(Mode::Practice).agent_id = Some("ext_1_a".into());
        file.save(&settings).unwrap();
        assert_eq!(file.load(), (settings, None));
    }

    #[test]
    fn a_damaged_file_gives_defaults_a_notice_and_is_kept_aside() {
        let file = scratch("damaged");
        std::fs::create_dir_all(file.path().parent().unwrap()).unwrap();
        std::fs::write(file.path(), "{\"mode\": \"pra").unwrap();
        let (settings, notice) = file.load();
        assert_eq!(settings, Settings::default());
        let notice = notice.expect("the creator is told");
        assert!(
            notice.contains("damaged") && notice.contains("kept as"),
            "{notice}"
        );
        let kept = std::fs::read_dir(file.path().parent().unwrap())
            .unwrap()
            .count();
        assert_eq!(kept, 1, "the damaged file is kept, not overwritten");
    }

    #[test]
    fn unknown_and_missing_fields_are_tolerated() {
        let file = scratch("tolerant");
        std::fs::create_dir_all(file.path().parent().unwrap()).unwrap();
        std::fs::write(file.path(), r#"{"mode":"live","future_setting":42}"#).unwrap();
        let (settings, notice) = file.load();
        assert_eq!(settings.mode, Some(Mode::Live));
        assert_eq!(notice, None);
    }

    #[test]
    fn the_key_has_no_place_in_settings() {
        let json = serde_json::to_string(&Settings::default()).unwrap();
        assert!(!json.contains("key"), "{json}");
    }
}

//! Where the Atelier API lives. The platform is moving to a new address, so it is a
//! setting; an environment variable overrides it for tests and power users.

use serde::Serialize;
use url::{Host, Url};

pub const DEFAULT_BASE_URL: &str = "https://agentgram.fun/api/atelier";
pub const BASE_URL_ENV: &str = "ATELIER_API_URL";

/// A checked API base address: https, or plain http only to this computer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct BaseUrl(Url);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    #[error("Enter the server address, for example {DEFAULT_BASE_URL}")]
    Empty,
    #[error("That isn't a web address. It should look like {DEFAULT_BASE_URL}")]
    NotAUrl,
    #[error("The server address must start with https:// (plain http:// is allowed only for this computer: localhost, 127.0.0.1 or ::1).")]
    NotSecure,
    #[error("The server address can't contain a user name, password, ? or #.")]
    Extras,
}

impl BaseUrl {
    pub fn parse(text: &str) -> Result<BaseUrl, BaseUrlError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(BaseUrlError::Empty);
        }
        let url = Url::parse(text).map_err(|_| BaseUrlError::NotAUrl)?;
        let loopback = match url.host() {
            Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => return Err(BaseUrlError::NotAUrl),
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => return Err(BaseUrlError::NotSecure),
            _ => return Err(BaseUrlError::NotAUrl),
        }
        if !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(BaseUrlError::Extras);
        }
        let mut url = url;
        // One canonical form, so joining paths and comparing settings is predictable.
        let trimmed = url.path().trim_end_matches('/').to_owned();
        url.set_path(&trimmed);
        Ok(BaseUrl(url))
    }

    /// The environment variable wins over the saved setting: it is set deliberately for one
    /// launch (tests, a staging server), while the setting is the creator's lasting choice.
    /// Blank values count as unset.
    pub fn choose(env: Option<&str>, setting: Option<&str>) -> Result<BaseUrl, BaseUrlError> {
        let pick = [env, setting]
            .into_iter()
            .flatten()
            .find(|v| !v.trim().is_empty());
        BaseUrl::parse(pick.unwrap_or(DEFAULT_BASE_URL))
    }

    /// [`BaseUrl::choose`] with the process environment.
    pub fn from_env_or(setting: Option<&str>) -> Result<BaseUrl, BaseUrlError> {
        let env = std::env::var(BASE_URL_ENV).ok();
        BaseUrl::choose(env.as_deref(), setting)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The address of an endpoint below the base; each segment is escaped, so opaque IDs
    /// can never change the path.
    pub fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.0.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    pub(crate) fn same_origin(&self, other: &Url) -> bool {
        self.0.origin() == other.origin()
    }
}

impl Default for BaseUrl {
    fn default() -> Self {
        BaseUrl::parse(DEFAULT_BASE_URL).expect("the default base URL is valid")
    }
}

impl From<BaseUrl> for String {
    fn from(url: BaseUrl) -> String {
        url.0.into()
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_public_marketplace() {
        assert_eq!(
            BaseUrl::choose(None, None).unwrap().as_str(),
            DEFAULT_BASE_URL
        );
        assert_eq!(
            BaseUrl::choose(Some(" "), Some("")).unwrap().as_str(),
            DEFAULT_BASE_URL
        );
    }

    #[test]
    fn the_environment_overrides_the_setting() {
        let chosen = BaseUrl::choose(
            Some("http://127.0.0.1:8787/api/atelier/"),
            Some("https://new.example/api"),
        )
        .unwrap();
        assert_eq!(chosen.as_str(), "http://127.0.0.1:8787/api/atelier");
        let setting = BaseUrl::choose(None, Some("https://new.example/api")).unwrap();
        assert_eq!(setting.as_str(), "https://new.example/api");
    }

    #[test]
    fn plain_http_is_only_for_this_computer() {
        for ok in [
            "http://localhost:1/api",
            "http://127.0.0.1/api",
            "http://[::1]:9/api",
            "https://agentgram.fun/api/atelier",
        ] {
            assert!(BaseUrl::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            BaseUrl::parse("http://agentgram.fun/api/atelier"),
            Err(BaseUrlError::NotSecure)
        );
        assert_eq!(
            BaseUrl::parse("http://192.168.1.5/api"),
            Err(BaseUrlError::NotSecure)
        );
        assert_eq!(
            BaseUrl::parse("ftp://agentgram.fun"),
            Err(BaseUrlError::NotAUrl)
        );
        assert_eq!(
            BaseUrl::parse("agentgram.fun/api"),
            Err(BaseUrlError::NotAUrl)
        );
        assert_eq!(
            BaseUrl::parse("https://me:pw@agentgram.fun"),
            Err(BaseUrlError::Extras)
        );
        assert_eq!(
            BaseUrl::parse("https://agentgram.fun/api?x=1"),
            Err(BaseUrlError::Extras)
        );
        assert_eq!(BaseUrl::parse("  "), Err(BaseUrlError::Empty));
    }

    #[test]
    fn ids_are_escaped_into_single_path_segments() {
        let base = BaseUrl::parse("https://agentgram.fun/api/atelier/").unwrap();
        let url = base.endpoint(&["services", "svc_1/../../agents/me"]);
        assert_eq!(
            url.as_str(),
            "https://agentgram.fun/api/atelier/services/svc_1%2F..%2F..%2Fagents%2Fme"
        );
    }
}

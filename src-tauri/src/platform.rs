//! Workarounds for the desktop the app runs on, as pure functions of the environment so
//! they are tested anywhere.

/// Environment variables to set before GTK and WebKit start, given the current ones.
///
/// WebKitGTK's DMA-BUF renderer leaves windows blank on some Linux drivers and costs
/// first-paint time and memory everywhere we measured (see ../shared/tauri-linux.md), so it
/// is turned off — unless the user chose a value themselves, which always wins.
pub fn webkit_workarounds(
    get: impl Fn(&str) -> Option<String>,
) -> Vec<(&'static str, &'static str)> {
    let mut set = Vec::new();
    if cfg!(target_os = "linux") && get("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        set.push(("WEBKIT_DISABLE_DMABUF_RENDERER", "1"));
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn the_dmabuf_renderer_is_turned_off_only_when_the_user_left_it_alone() {
        assert_eq!(
            webkit_workarounds(|_| None),
            [("WEBKIT_DISABLE_DMABUF_RENDERER", "1")]
        );
        assert!(
            webkit_workarounds(|k| (k == "WEBKIT_DISABLE_DMABUF_RENDERER").then(|| "0".into()))
                .is_empty()
        );
    }
}

//! The Earnings screen: its figures, the CSV export through the native save dialog, and a
//! payout's page on the Solana explorer in the browser. The dialog and the browser are
//! opened from here, so the page has no dialog or opener permission at all: it cannot
//! choose where a file goes or open any address by itself.

use atelier_core::desk::earnings::{self, EarningsView};
use atelier_core::earnings::EXPLORER_ORIGIN;
use atelier_core::error::{ErrorView, PageError};
use atelier_core::session::SessionError;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use super::DeskState;

/// What can go wrong on the Earnings screen besides reading the orders.
#[derive(Debug, thiserror::Error)]
pub enum EarningsError {
    #[error(transparent)]
    Orders(#[from] SessionError),
    #[error("The save dialog couldn't be shown, so nothing was exported. Try again in a moment.")]
    NoDialog,
    #[error("Couldn't save {path} ({reason}). Choose another folder, or check that the disk has free space.")]
    Write { path: String, reason: String },
    #[error(
        "Atelier Desk has no payout recorded for this order, so there is no transaction to show."
    )]
    NoPayout,
    #[error("Couldn't open your web browser ({reason}). The payout is at {url}")]
    Browser { url: String, reason: String },
}

impl PageError for EarningsError {
    fn code(&self) -> &'static str {
        match self {
            EarningsError::Orders(e) => e.code(),
            EarningsError::NoDialog => "dialog_unavailable",
            EarningsError::Write { .. } => "export_failed",
            EarningsError::NoPayout => "no_payout",
            EarningsError::Browser { .. } => "browser_failed",
        }
    }

    fn view(&self) -> ErrorView<'_> {
        match self {
            EarningsError::Orders(e) => e.view(),
            other => ErrorView {
                code: other.code(),
                message: other.to_string(),
                ..ErrorView::default()
            },
        }
    }
}

atelier_core::serialize_as_page_error!(EarningsError);

/// The totals and one row per kept order; `utc_offset_minutes` east of UTC decides which
/// month "this month" is.
#[tauri::command]
pub async fn earnings(
    desk: DeskState<'_>,
    utc_offset_minutes: i32,
) -> Result<EarningsView, SessionError> {
    desk.earnings(utc_offset_minutes).await
}

/// Every kept order as CSV, saved where the creator chooses in the system's save dialog.
/// Answers the path written, or `None` when the dialog was cancelled (nothing written).
/// The orders are read first, so a creator who cannot export is told before choosing a
/// place.
#[tauri::command]
pub async fn export_orders<R: Runtime>(
    desk: DeskState<'_>,
    app: AppHandle<R>,
    utc_offset_minutes: Option<i32>,
) -> Result<Option<String>, EarningsError> {
    let csv = desk.orders_csv().await?;
    let offset = earnings::local_offset(utc_offset_minutes.unwrap_or(0));
    let mut dialog = app
        .dialog()
        .file()
        .set_title("Export all orders")
        .add_filter("CSV spreadsheet", &["csv"])
        .set_file_name(earnings::export_file_name(
            time::OffsetDateTime::now_utc(),
            offset,
        ));
    if let Some(window) = app.get_webview_window("main") {
        dialog = dialog.set_parent(&window);
    }
    let (chosen, answer) = tokio::sync::oneshot::channel();
    dialog.save_file(move |path| {
        let _ = chosen.send(path);
    });
    // The plugin drops the callback unanswered when it cannot show the dialog at all.
    let Some(path) = answer.await.map_err(|_| EarningsError::NoDialog)? else {
        return Ok(None);
    };
    let path = path.into_path().map_err(|e| EarningsError::Write {
        path: "the chosen file".to_owned(),
        reason: e.to_string(),
    })?;
    let shown = path.display().to_string();
    let written = {
        let path = path.clone();
        tauri::async_runtime::spawn_blocking(move || earnings::write_export(&path, &csv)).await
    };
    match written {
        Ok(Ok(())) => Ok(Some(shown)),
        Ok(Err(e)) => Err(EarningsError::Write {
            path: shown,
            reason: e.to_string(),
        }),
        Err(e) => Err(EarningsError::Write {
            path: shown,
            reason: e.to_string(),
        }),
    }
}

/// Opens a kept order's payout on the Solana explorer in the browser. Only a link the desk
/// built from a plausible signature, and only on the explorer's transaction pages.
#[tauri::command]
pub async fn open_payout<R: Runtime>(
    desk: DeskState<'_>,
    app: AppHandle<R>,
    order_id: String,
) -> Result<(), EarningsError> {
    let url = desk
        .payout_link(&order_id)
        .await
        .filter(|url| is_payout_page(url))
        .ok_or(EarningsError::NoPayout)?;
    let opener = app.clone();
    let shown = url.clone();
    // The launcher is waited for a moment (to try the next one if it fails): off the runtime.
    let opened =
        tauri::async_runtime::spawn_blocking(move || opener.opener().open_url(url, None::<&str>))
            .await;
    match opened {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(EarningsError::Browser {
            url: shown,
            reason: e.to_string(),
        }),
        Err(e) => Err(EarningsError::Browser {
            url: shown,
            reason: e.to_string(),
        }),
    }
}

/// A transaction page of the one explorer the app links to, and nothing else.
fn is_payout_page(url: &str) -> bool {
    url.strip_prefix(EXPLORER_ORIGIN)
        .and_then(|rest| rest.strip_prefix("/tx/"))
        .is_some_and(|tx| !tx.is_empty() && tx.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transaction_pages_of_the_explorer_are_opened() {
        let sig = "5".repeat(88);
        assert!(is_payout_page(&format!("https://solscan.io/tx/{sig}")));
        for bad in [
            "https://solscan.io/tx/".to_owned(),
            "https://solscan.io/account/abc".to_owned(),
            "https://solscan.io.evil.example/tx/abc".to_owned(),
            "https://solscan.io/tx/abc/../../account".to_owned(),
            "https://solscan.io/tx/abc?x=1".to_owned(),
            "http://solscan.io/tx/abc".to_owned(),
            "file:///etc/passwd".to_owned(),
            "javascript:alert(1)".to_owned(),
        ] {
            assert!(!is_payout_page(&bad), "{bad}");
        }
    }

    #[test]
    fn refusals_keep_the_desks_codes_and_name_their_own() {
        let view = serde_json::to_value(EarningsError::Orders(SessionError::NoMode)).unwrap();
        assert_eq!(view["code"], "no_mode");
        let view = serde_json::to_value(EarningsError::NoPayout).unwrap();
        assert_eq!(view["code"], "no_payout");
        let view = serde_json::to_value(EarningsError::Write {
            path: "/x/orders.csv".into(),
            reason: "No space left on device".into(),
        })
        .unwrap();
        assert_eq!(view["code"], "export_failed");
        assert!(view["message"].as_str().unwrap().contains("/x/orders.csv"));
    }
}

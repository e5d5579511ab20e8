//! What the watcher tells the app, and what the app tells the watcher. Everything the UI
//! sees serialises to JSON (`{"type": "new_orders", ...}`), so the app shell can pass it on
//! as it is.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::clock::far_future;
use super::schedule::Waiting;
use super::store::StoreError;
use crate::error::{ApiError, NetworkProblem};
use crate::models::{Delivery, Order, Timestamp};

/// Something that went wrong, as the UI shows it: the stable `code` of [`ApiError::code`]
/// (or `storage` for the watcher's own files) and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: String,
    pub message: String,
    /// The server's own words, when `message` paraphrases them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

impl From<&ApiError> for Problem {
    fn from(e: &ApiError) -> Problem {
        // ApiError's own serialisation already picks what may be shown; reuse it.
        let json = serde_json::to_value(e).unwrap_or_default();
        Problem {
            code: e.code().to_owned(),
            message: e.to_string(),
            detail: json
                .get("detail")
                .and_then(|d| d.as_str())
                .map(str::to_owned),
            retry_after_secs: e.retry_after_secs(),
        }
    }
}

impl Problem {
    /// A check or delivery that failed for a reason that passes by itself (the network, a
    /// slow or unwell server, a 429, an answer that could not be read): what happened, and
    /// when the watcher tries again without being asked (`None`: once the creator resumes).
    /// Any other failure is told as [`Problem::from`] tells it.
    pub fn passing(e: &ApiError, again_in: Option<Duration>) -> Problem {
        let mut problem = Problem::from(e);
        let Some(what) = passing_trouble(e) else {
            return problem;
        };
        let when = match again_in {
            Some(wait) => format!("Atelier Desk tries again by itself {}", in_about(wait)),
            None => "Atelier Desk tries again when you resume watching".to_owned(),
        };
        // Network trouble is also probed for (free) every 20 s, and its end ends the wait.
        let sooner = match e {
            ApiError::Network(_) if again_in.is_some() => ", sooner if the connection comes back",
            _ => "",
        };
        problem.message = format!("{what} {when}{sooner}.");
        problem.retry_after_secs = again_in.map(|wait| wait.as_secs());
        problem
    }
}

/// What went wrong, for trouble that passes by itself; the advice to try again is the
/// watcher's to give, with its own time.
fn passing_trouble(e: &ApiError) -> Option<String> {
    let said = match e {
        ApiError::Network(NetworkProblem::Offline) => {
            "Can't reach Atelier: check your internet connection.".to_owned()
        }
        ApiError::Network(NetworkProblem::NameNotFound) => {
            "Can't find the Atelier server: check your internet connection, or the server address under Advanced.".to_owned()
        }
        ApiError::Network(NetworkProblem::Tls) => {
            "Couldn't open a secure connection to Atelier: check your computer's date and time, or try another network.".to_owned()
        }
        ApiError::Network(NetworkProblem::Timeout) => "Atelier took too long to answer.".to_owned(),
        ApiError::Server { status } => {
            format!("Atelier is having trouble right now (error {status}). Nothing was lost.")
        }
        ApiError::RateLimited { .. } => "Atelier has asked this app to slow down.".to_owned(),
        ApiError::UnexpectedResponse { status, .. } => format!(
            "Atelier sent an answer Atelier Desk doesn't understand (status {status}), most likely a passing problem with the server or the connection."
        ),
        _ => return None,
    };
    Some(said)
}

impl From<&StoreError> for Problem {
    fn from(e: &StoreError) -> Problem {
        Problem {
            code: "storage".to_owned(),
            message: "Atelier Desk couldn't save what it knows about your orders. Check that your disk isn't full.".to_owned(),
            detail: Some(e.to_string()),
            retry_after_secs: None,
        }
    }
}

/// News from the watcher.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WatchEvent {
    /// A look at the orders succeeded.
    Checked {
        at: Timestamp,
        next_at: Option<Timestamp>,
        budget_left: u32,
    },
    /// Paid orders seen for the first time: one event (one notification) for all of them.
    NewOrders {
        orders: Vec<Order>,
    },
    /// Deadlines reached and orders that moved on without the creator (completed,
    /// disputed, cancelled), each told once (`desk/reminders.rs`).
    OrdersChanged {
        changes: Vec<OrderChange>,
    },
    /// The server accepted a delivery (or a re-read showed it had).
    Delivered {
        order: Order,
    },
    /// A delivery could not be sent for now; it stays queued (also across restarts).
    DeliveryRetrying {
        order_id: String,
        problem: Problem,
        next_attempt: Option<Timestamp>,
    },
    /// The server refused a delivery for good; it has left the queue.
    DeliveryFailed {
        order_id: String,
        problem: Problem,
    },
    /// A check failed, or the watcher's files could not be saved. It keeps going.
    Problem {
        problem: Problem,
    },
    Paused,
    Resumed,
    Stopped,
}

/// What became true of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Due within a few hours and not delivered.
    DueSoon,
    /// Past its turnaround and not delivered.
    Late,
    /// The client approved it: Atelier pays the price out.
    Completed,
    Disputed,
    Cancelled,
}

/// One piece of news about one order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderChange {
    pub kind: ChangeKind,
    pub order: Order,
    /// For `due_soon` and `late`: when it is (was) due.
    pub due_at: Option<Timestamp>,
}

/// Requests to the watcher.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchCommand {
    /// Look for orders as soon as the budget allows (even while paused).
    CheckNow,
    /// No more polling until `Resume`. Confirmed deliveries still go out.
    Pause,
    /// Poll again, starting with a check as soon as the budget allows.
    Resume,
    /// Queue a delivery the creator confirmed. It is validated first, kept on disk, and
    /// retried until the server accepts or refuses it.
    Deliver {
        order_id: String,
        delivery: Delivery,
    },
    Stop,
}

/// What the UI shows about the watcher.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchStatus {
    pub running: bool,
    pub paused: bool,
    /// The last attempt to reach the server failed for network reasons.
    pub offline: bool,
    pub last_check: Option<Timestamp>,
    /// `None` while paused or stopped.
    pub next_check: Option<Timestamp>,
    pub waiting: Waiting,
    /// Polls and deliveries left in the rolling hour, by the app's own count.
    pub budget_left: u32,
    pub budget_limit: u32,
    pub pending_deliveries: usize,
    /// The latest problem, cleared by the next successful check.
    pub problem: Option<Problem>,
    /// New orders are noticed through the free signals (each service's order count, each
    /// order's page) within seconds; `next_check` is then only the safety net's listing.
    /// `false`: the server cannot give them (or not now), and the watcher polls.
    pub signals: bool,
    /// Orders created but not yet paid that the watcher follows, to announce each the
    /// moment it is paid.
    pub following: usize,
}

impl WatchStatus {
    pub fn starting(budget_limit: u32) -> WatchStatus {
        WatchStatus {
            running: true,
            paused: false,
            offline: false,
            last_check: None,
            next_check: None,
            waiting: Waiting::Now,
            budget_left: budget_limit,
            budget_limit,
            pending_deliveries: 0,
            problem: None,
            signals: false,
            following: 0,
        }
    }
}

/// How long until something, in words that need no time zone: "in about 4 minutes".
pub fn in_about(d: Duration) -> String {
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let secs = d.as_secs();
    if secs < 60 {
        return "in less than a minute".to_owned();
    }
    let minutes = secs.div_ceil(60);
    if minutes <= 90 {
        return format!("in about {minutes} minute{}", plural(minutes));
    }
    let (hours, minutes) = (minutes / 60, minutes % 60);
    match minutes {
        0 => format!("in about {hours} hour{}", plural(hours)),
        m => format!(
            "in about {hours} hour{} {m} minute{}",
            plural(hours),
            plural(m)
        ),
    }
}

pub fn stamp(t: SystemTime) -> Timestamp {
    // Converting a time past the year 9999 panics; none should get here, but a panic
    // would end the whole app.
    let t = t.clamp(SystemTime::UNIX_EPOCH, far_future());
    Timestamp::from(time::OffsetDateTime::from(t))
}

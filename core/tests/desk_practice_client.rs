//! In Practice mode the creator plays the client from the running desk: each action and
//! each jump of the practice clock lands in the kept order list at once (no listing), with
//! one piece of news; refusals change nothing; outside Practice mode nothing is sent.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use atelier_core::base_url::BaseUrl;
use atelier_core::client::AtelierClient;
use atelier_core::desk::{Desk, DeskConfig, News};
use atelier_core::error::PageError;
use atelier_core::forms::ServiceForm;
use atelier_core::models::{Delivery, NewAgent, Order, OrderStatus};
use atelier_core::sandbox::simulate::{self, ClientAction};
use atelier_core::secrets::MemoryKeyring;
use atelier_core::settings::Mode;
use tokio::sync::broadcast;

const HOUR: u64 = 3600;
const WALLET: &str = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU";

struct Practice {
    desk: Desk,
    /// The practice marketplace, for the pretend client's orders.
    base: String,
    /// The creator, straight to the marketplace: delivering without waiting on the watcher.
    me: AtelierClient,
    service_id: String,
    dir: std::path::PathBuf,
}

impl Drop for Practice {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn practising(name: &str) -> Practice {
    let dir = std::env::temp_dir().join(format!(
        "atelier-desk-practice-client-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let desk = Desk::open(DeskConfig {
        settings_file: dir.join("settings.json"),
        practice_data: dir.join("practice.json"),
        watch_dir: dir.join("watch"),
        keys: Arc::new(MemoryKeyring::new()),
    })
    .await;
    desk.choose_mode(Mode::Practice, None, false).await.unwrap();
    let account = desk
        .register(&NewAgent {
            name: "Neon Avatars".into(),
            description: "Cyberpunk avatars in any style".into(),
            endpoint_url: "https://neon.example.com".into(),
            capabilities: vec!["image_gen".into()],
            owner_wallet: Some(WALLET.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let service = desk
        .create_service(&ServiceForm {
            category: "image_gen".into(),
            title: "Neon avatar pack".into(),
            description: "Three avatar variations in your style".into(),
            price_usd: "5".into(),
            price_type: "fixed".into(),
            turnaround_hours: "24".into(),
            deliverables: vec!["3 avatars".into()],
            demo_url: String::new(),
        })
        .await
        .unwrap();
    let base = desk.session().await.base_url.expect("the practice address");
    let me = AtelierClient::new(BaseUrl::parse(&base).unwrap())
        .unwrap()
        .signed_in(account.api_key);
    Practice {
        desk,
        base,
        me,
        service_id: service.id,
        dir,
    }
}

impl Practice {
    async fn paid_order(&self) -> Order {
        simulate::paid_order(
            &self.base,
            &self.service_id,
            "A neon fox avatar for my stream",
        )
        .await
        .unwrap()
    }

    async fn unpaid_order(&self) -> Order {
        let order = simulate::unpaid_order(&self.base, &self.service_id, "A teal fox, please")
            .await
            .unwrap();
        assert_eq!(order.status, OrderStatus::Quoted);
        order
    }

    async fn delivered_order(&self) -> Order {
        let order = self.paid_order().await;
        let delivery = Delivery {
            deliverable_url: "https://cdn.example.com/fox.png".into(),
            deliverable_media_type: "image".into(),
        };
        let delivered = self.me.deliver(&order.id, &delivery).await.unwrap();
        assert_eq!(delivered.status, OrderStatus::Delivered);
        delivered
    }

    /// One listing, so the kept list holds every order the marketplace has now.
    async fn list(&self) {
        self.desk.orders(true).await.unwrap();
    }

    /// The kept list as the Orders screen gets it (free, no listing).
    async fn kept(&self, id: &str) -> Order {
        let inbox = self.desk.orders(false).await.unwrap();
        inbox
            .orders
            .into_iter()
            .find(|o| o.id == id)
            .unwrap_or_else(|| panic!("{id} is not in the kept list"))
    }

    async fn kept_ids(&self) -> Vec<String> {
        let inbox = self.desk.orders(false).await.unwrap();
        inbox.orders.into_iter().map(|o| o.id).collect()
    }
}

/// Waits for the news an action publishes: no watcher event, just "look again".
async fn news_of_a_change(news: &mut broadcast::Receiver<News>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let item = tokio::time::timeout_at(deadline, news.recv())
            .await
            .expect("news within 5 s")
            .unwrap();
        if item.event.is_none() {
            assert!(item.status.is_some(), "the status goes with it");
            return;
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread")]
async fn approving_a_delivery_completes_it_in_the_kept_list_with_a_payout() {
    let p = practising("approve").await;
    let order = p.delivered_order().await;
    p.list().await;
    assert_eq!(p.kept(&order.id).await.status, OrderStatus::Delivered);
    let fetched = p.desk.orders(false).await.unwrap().fetched_at;

    let mut news = p.desk.subscribe();
    let approved = p
        .desk
        .play_client(&order.id, ClientAction::Approve)
        .await
        .unwrap();
    assert_eq!(approved.status, OrderStatus::Completed);
    let payout = approved.payout_tx_hash.clone().expect("a made-up payout");
    assert!((87..=88).contains(&payout.len()), "{payout}");
    news_of_a_change(&mut news).await;

    let kept = p.kept(&order.id).await;
    assert_eq!(kept, approved, "the kept list has the order as it now is");
    let inbox = p.desk.orders(false).await.unwrap();
    assert_eq!(inbox.fetched_at, fetched, "no listing was made for it");
    assert!(inbox.updated_at > fetched);
    p.desk.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_payout_a_dispute_and_a_cancellation_land_in_the_kept_list() {
    let p = practising("three").await;
    let delivered = p.delivered_order().await;
    let paid = p.paid_order().await;
    let unpaid = p.unpaid_order().await;
    p.list().await;

    let unpaid_out = p
        .desk
        .play_client(&delivered.id, ClientAction::ApproveWithoutPayout)
        .await
        .unwrap();
    assert_eq!(unpaid_out.status, OrderStatus::Completed);
    assert_eq!(unpaid_out.payout_tx_hash, None, "the transfer failed");
    assert_eq!(p.kept(&delivered.id).await, unpaid_out);

    let disputed = p
        .desk
        .play_client(&paid.id, ClientAction::Dispute)
        .await
        .unwrap();
    assert_eq!(disputed.status, OrderStatus::Disputed);
    assert_eq!(p.kept(&paid.id).await.status, OrderStatus::Disputed);

    let cancelled = p
        .desk
        .play_client(&unpaid.id, ClientAction::Cancel)
        .await
        .unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(p.kept(&unpaid.id).await.status, OrderStatus::Cancelled);
    p.desk.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paying_an_unpaid_order_and_a_refusal_that_changes_nothing() {
    let p = practising("refusal").await;
    let unpaid = p.unpaid_order().await;
    p.list().await;
    let before = p.kept(&unpaid.id).await;

    let refused = p
        .desk
        .play_client(&unpaid.id, ClientAction::Approve)
        .await
        .unwrap_err();
    let view = serde_json::to_value(&refused).unwrap();
    assert!(
        view["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Must be \"delivered\""),
        "the marketplace's words: {view}"
    );
    assert_eq!(p.kept(&unpaid.id).await, before, "nothing changed");

    let paid = p
        .desk
        .play_client(&unpaid.id, ClientAction::Pay)
        .await
        .unwrap();
    assert_eq!(paid.status, OrderStatus::Paid);
    assert_eq!(p.kept(&unpaid.id).await.status, OrderStatus::Paid);

    let unknown = p
        .desk
        .play_client("ord_0_nothing", ClientAction::Dispute)
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), "not_found");
    assert!(!p.kept_ids().await.contains(&"ord_0_nothing".to_owned()));
    p.desk.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn time_passing_ages_the_kept_orders_and_a_lapsed_review_stays_delivered() {
    let p = practising("clock").await;
    let delivered = p.delivered_order().await;
    let paid = p.paid_order().await;
    p.list().await;
    let created = p.kept(&paid.id).await.created_at.unwrap().unix();
    let deadline = p.kept(&delivered.id).await.review_deadline.unwrap().unix();
    // An order the kept list has never seen (another practice agent's, say).
    let stranger = p.unpaid_order().await;

    let mut news = p.desk.subscribe();
    let jump = p.desk.advance_practice_clock(49 * HOUR).await.unwrap();
    assert_eq!(jump.advanced_secs, 49 * HOUR);
    news_of_a_change(&mut news).await;
    assert_eq!(jump.lapsed_reviews, std::slice::from_ref(&delivered.id));
    let mut answered: Vec<&str> = jump.orders.iter().map(|o| o.id.as_str()).collect();
    answered.sort();
    let mut known = vec![delivered.id.as_str(), paid.id.as_str()];
    known.sort();
    assert_eq!(answered, known, "only the kept orders come back");

    let aged = p.kept(&paid.id).await;
    assert_eq!(
        aged.created_at.unwrap().unix(),
        created - (49 * HOUR) as i64,
        "the kept order is 49 hours older, so it is overdue on its 24 h turnaround"
    );
    let lapsed = p.kept(&delivered.id).await;
    assert_eq!(
        lapsed.status,
        OrderStatus::Delivered,
        "as on the real server, nothing happens when the review window lapses"
    );
    assert_eq!(
        lapsed.review_deadline.unwrap().unix(),
        deadline - (49 * HOUR) as i64
    );
    assert!(lapsed.review_deadline.unwrap().unix() < unix_now());
    assert!(
        !p.kept_ids().await.contains(&stranger.id),
        "an order the list did not have is not added by the clock"
    );
    let refused = p.desk.advance_practice_clock(0).await.unwrap_err();
    assert_eq!(refused.code(), "invalid_input", "{refused}");
    p.desk.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn letting_the_review_window_run_out_completes_it_and_ages_the_other_kept_orders() {
    let p = practising("lapse").await;
    let delivered = p.delivered_order().await;
    let paid = p.paid_order().await;
    p.list().await;
    let created = p.kept(&paid.id).await.created_at.unwrap().unix();
    let deadline = p.kept(&delivered.id).await.review_deadline.unwrap().unix();
    let before = unix_now();

    let completed = p
        .desk
        .play_client(&delivered.id, ClientAction::LapseReview)
        .await
        .unwrap();
    assert_eq!(completed.status, OrderStatus::Completed);
    assert!(
        completed.payout_tx_hash.is_some(),
        "paid out, as the guide says"
    );
    assert_eq!(p.kept(&delivered.id).await, completed);
    let moved = deadline - completed.review_deadline.unwrap().unix();
    assert!(
        (deadline - before - 2..=deadline - before + 3).contains(&moved),
        "the clock moved just past the deadline: {moved} s for a deadline {} s away",
        deadline - before
    );
    assert_eq!(
        p.kept(&paid.id).await.created_at.unwrap().unix(),
        created - moved,
        "the other kept order aged with the clock"
    );
    p.desk.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn outside_practice_mode_nothing_is_sent() {
    let p = practising("live").await;
    let order = p.paid_order().await;
    p.desk
        .choose_mode(Mode::Live, Some("http://127.0.0.1:9/api/atelier"), false)
        .await
        .unwrap();
    let refused = p
        .desk
        .play_client(&order.id, ClientAction::Dispute)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "not_practice");
    let refused = p.desk.advance_practice_clock(HOUR).await.unwrap_err();
    assert_eq!(refused.code(), "not_practice");

    // Back in Practice mode (its marketplace starts again, elsewhere), the order was left
    // as it was.
    p.desk
        .choose_mode(Mode::Practice, None, false)
        .await
        .unwrap();
    let base = p.desk.session().await.base_url.unwrap();
    let anyone = AtelierClient::new(BaseUrl::parse(&base).unwrap()).unwrap();
    let detail = anyone.order(&order.id).await.unwrap();
    assert_eq!(detail.order.status, OrderStatus::Paid);
    p.desk.stop().await;
}

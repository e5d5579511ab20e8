//! Practice mode's pretend client orders the way a real one does: it creates the order,
//! which the creator can already see as `quoted`, and pays a few seconds later.

use std::sync::Arc;
use std::time::{Duration, Instant};

use atelier_core::client::AtelierClient;
use atelier_core::models::OrderStatus;
use atelier_core::sandbox::simulate::Payment;
use atelier_core::secrets::MemoryKeyring;
use atelier_core::session::{Session, SessionPaths};
use atelier_core::settings::Mode;
use atelier_tests::*;

async fn practising(dir: &tempfile::TempDir) -> (Session, AtelierClient, String) {
    let session = Session::open(
        SessionPaths {
            settings_file: dir.path().join("settings.json"),
            practice_data: dir.path().join("practice.json"),
        },
        Arc::new(MemoryKeyring::new()),
    )
    .await;
    session
        .choose_mode(Mode::Practice, None, false)
        .await
        .unwrap();
    session.register(&agent_form("Neon Avatars")).await.unwrap();
    let (me, agent_id) = session.agent().await.unwrap();
    me.create_service(&agent_id, &service_form("Custom Avatar Generation", "5"))
        .await
        .unwrap();
    (session, me, agent_id)
}

#[tokio::test]
async fn the_pretend_client_creates_the_order_then_pays_it_moments_later() {
    let dir = tempfile::tempdir().unwrap();
    let (session, me, agent_id) = practising(&dir).await;
    let payment = Payment::Later {
        min: Duration::from_millis(600),
        max: Duration::from_millis(900),
    };

    let started = Instant::now();
    let order = session
        .simulate_order_paying(None, Some("A neon fox avatar for my stream"), payment)
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Quoted, "answered before paying");
    assert!(started.elapsed() < Duration::from_millis(600));
    assert_eq!(
        me.services(&agent_id).await.unwrap()[0].total_orders,
        Some(1),
        "counted as soon as it is created"
    );
    assert_eq!(
        me.order(&order.id).await.unwrap().order.status,
        OrderStatus::Quoted
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        let status = me.order(&order.id).await.unwrap().order.status;
        if status != OrderStatus::Quoted || Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status, OrderStatus::Paid);
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "paid only after the wait: {:?}",
        started.elapsed()
    );
    let waiting = me.orders(&agent_id, &[OrderStatus::Paid]).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].brief, "A neon fox avatar for my stream");
}

#[tokio::test]
async fn paying_at_once_still_places_a_paid_order_in_one_step() {
    let dir = tempfile::tempdir().unwrap();
    let (session, me, agent_id) = practising(&dir).await;
    let order = session
        .simulate_order_paying(None, None, Payment::AtOnce)
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(
        me.services(&agent_id).await.unwrap()[0].total_orders,
        Some(1)
    );
}

use serde::{Deserialize, Serialize};

use super::{lenient, Order, Timestamp};

/// The public order page, `GET /orders/{id}`: the order, its review once the client has
/// left one, and the files of a workspace order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderDetail {
    pub order: Order,
    /// Looked up by the server only for a completed order.
    #[serde(default, deserialize_with = "lenient::opt_object")]
    pub review: Option<OrderReview>,
    /// Filled only for workspace orders (`quota_total > 0`), which the external-agent API
    /// cannot create: empty for this app's services.
    #[serde(default, deserialize_with = "lenient::object_list")]
    pub deliverables: Vec<OrderDeliverable>,
}

/// A client's review of a completed order (`service_reviews`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderReview {
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub reviewer_name: String,
    /// 1 to 5 on the real platform.
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub rating: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    pub created_at: Option<Timestamp>,
}

/// One generated file of a workspace order (`order_deliverables`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderDeliverable {
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub prompt: String,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub deliverable_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub deliverable_media_type: Option<String>,
    /// `pending`, `generating`, `completed` or `failed` on this server.
    #[serde(default, deserialize_with = "lenient::text")]
    pub status: String,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    pub created_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{OrderStatus, Service};
    use serde_json::json;

    fn order() -> serde_json::Value {
        json!({
            "id": "ord_1764500000000_abc", "service_id": "svc_1", "status": "quoted",
            "brief": "A neon fox", "quoted_price_usd": "5.00", "platform_fee_usd": "0.50",
            "quota_total": 0, "some_newer_field": {"nested": true},
            "created_at": "2026-02-20 10:00:00"
        })
    }

    #[test]
    fn the_real_shape_decodes_with_fields_this_app_does_not_know() {
        let detail: OrderDetail = serde_json::from_value(json!({
            "order": order(), "review": null, "deliverables": [], "messages": []
        }))
        .unwrap();
        assert_eq!(detail.order.status, OrderStatus::Quoted);
        assert_eq!(detail.review, None);
        assert!(detail.deliverables.is_empty());
    }

    #[test]
    fn reviews_and_deliverables_arrive_in_whatever_form_the_server_stores() {
        let detail: OrderDetail = serde_json::from_value(json!({
            "order": order(),
            "review": {"id": "rev_1", "order_id": "ord_1", "reviewer_name": "Sam",
                       "rating": "5", "comment": "Lovely", "created_at": "2026-02-21 09:00:00"},
            "deliverables": "[{\"id\":\"del_1\",\"prompt\":\"fox\",\"status\":\"completed\",\"deliverable_url\":\"https://x.io/a.png\"}, 7]"
        }))
        .unwrap();
        let review = detail.review.unwrap();
        assert_eq!(review.rating, Some(5));
        assert_eq!(review.comment.as_deref(), Some("Lovely"));
        assert!(review.created_at.is_some());
        assert_eq!(detail.deliverables.len(), 1, "the odd entry is left out");
        assert_eq!(
            detail.deliverables[0].deliverable_url.as_deref(),
            Some("https://x.io/a.png")
        );
    }

    #[test]
    fn an_odd_review_or_missing_lists_never_hide_the_order() {
        let detail: OrderDetail = serde_json::from_value(
            json!({"order": order(), "review": "none", "deliverables": null}),
        )
        .unwrap();
        assert_eq!(detail.review, None);
        assert!(detail.deliverables.is_empty());
        let bare: OrderDetail = serde_json::from_value(json!({"order": order()})).unwrap();
        assert_eq!(bare.order.id, "ord_1764500000000_abc");
    }

    #[test]
    fn a_services_order_count_is_a_number_a_numeric_string_or_unknown() {
        let service = |total: serde_json::Value| -> Service {
            let mut v = json!({"id": "svc_1", "title": "Avatars"});
            if !total.is_null() {
                v["total_orders"] = total;
            }
            serde_json::from_value(v).unwrap()
        };
        assert_eq!(service(json!(3)).total_orders, Some(3));
        assert_eq!(service(json!("12")).total_orders, Some(12));
        assert_eq!(service(json!("many")).total_orders, None);
        assert_eq!(service(json!(-1)).total_orders, None);
        assert_eq!(service(json!(null)).total_orders, None, "missing");
    }
}

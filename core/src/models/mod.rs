//! What goes over the wire: requests as the creator fills them in, responses as the real
//! server sends them. Unknown fields are ignored and missing optional ones are fine, so a
//! newer server does not break an older app.

pub(crate) mod lenient;
mod money;
mod timestamp;

mod agent;
mod order;
mod order_detail;
mod service;

pub use agent::{
    is_masked_key, mask_key, AgentProfile, NewAgent, Patch, ProfileUpdate, Registration,
};
pub use money::{Usd, UsdError};
pub use order::{Delivery, MediaType, Order, OrderStatus, MEDIA_TYPES};
pub use order_detail::{OrderDeliverable, OrderDetail, OrderReview};
pub use service::{Deactivated, NewService, Service, ServiceUpdate, PRICE_TYPES};
pub use timestamp::Timestamp;

/// What an agent can offer, with the words a creator sees for each.
/// The server's list, in the server's order; a service's category is one of these too.
pub const CAPABILITIES: [(&str, &str); 6] = [
    ("image_gen", "Images"),
    ("video_gen", "Video"),
    ("ugc", "User-generated content"),
    ("influencer", "Influencer posts"),
    ("brand_content", "Brand content"),
    ("custom", "Something else"),
];

pub fn is_capability(value: &str) -> bool {
    CAPABILITIES.iter().any(|(id, _)| *id == value)
}

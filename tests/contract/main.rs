//! The API contract over real HTTP on loopback: every client method against the sandbox
//! marketplace, for success and for each class of error, as a creator would meet them.

mod account;
mod client_plays;
mod errors;
mod order_steps;
mod orders;
mod practice;
mod rate_limits;
mod server_rules;
mod services;

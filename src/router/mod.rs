//! Routing policy: which provider and model serve a request, and what a call cost.

mod cost;

pub use cost::cost_usd;

//! The middleware every request passes through (cross-site refusal, security headers, the in-flight
//! bound, Server-Timing, request metrics and probes, sessions) and the download rate limit.
pub mod csrf;
pub mod headers;
pub mod in_flight;
pub mod probes;
pub mod ratelimit;
pub mod sessions;
pub mod timing;

//! The test harness around the pipeline: `plan` runs TOML test plans (JUnit output) and `serve` is a local stand-in
//! for Entra's sign-in endpoint that judges the tokens an IdP posts to it. Both reuse the pipeline unchanged.

pub mod plan;
pub mod serve;

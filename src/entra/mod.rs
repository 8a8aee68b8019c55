//! The Entra side of federation: the domain's federation settings, and what Entra will do with a given token.
//!
//! - [`settings`](load_federation_config): every export shape users have of a domain's federation settings (Graph
//!   REST, Graph PowerShell, Entra PowerShell, MSOnline; one domain or several), read without guessing;
//! - [`select`]: the configuration a token is judged against (its issuer, then its signing certificate);
//! - [`checks`]: the cross-checks of a token against it (`entra.*`), ending in `entra.outcome`;
//! - [`predict`]: the domain's MFA behaviour and the token's facts turned into Entra's outcome, in words and with
//!   the AADSTS code users see;
//! - [`discovery`], [`jwt`] and [`chain`]: reading a tenant's settings over the network, Entra's own access token,
//!   and the end-to-end chain from the IdP's token to Entra's.

pub mod chain;
mod checks;
pub mod discovery;
pub mod jwt;
mod predict;
mod select;
mod settings;

pub use checks::{checks, selection_check, TokenFacts};
pub use predict::{predict, Basis, Blockers, EffectiveBehavior, Outcome, Prediction};
pub use select::{select, Selection};
pub use settings::{
    add_config_anchors, json_date, load_federation_config, parse_federation_config, CertificateUpdateStatus,
    ConfigFlavor, FederationConfig, FederationConfigError, FederationSettings, MfaBehavior, PromptLogin, Setting,
    SettingsProblem, MAX_FEDERATION_CONFIG_BYTES,
};

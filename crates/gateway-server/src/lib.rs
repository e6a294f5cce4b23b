//! The gateway server: settings, telemetry, startup, the admin API, the CLI and the dialect
//! registry. The binary (`gateway`) is a thin `main` over this library; the tests use it too.

pub mod admin;
pub mod cli;
pub mod credentials;
pub mod demo;
pub mod device_page;
pub mod dialects;
pub mod emulator;
pub mod mail;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod webhooks;

pub use settings::Settings;
pub use startup::{AppState, Application};

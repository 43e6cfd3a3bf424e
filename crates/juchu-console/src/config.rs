//! `[console]` in the config file: cookies, sessions and the login rate limit.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleConfig {
    /// Mark cookies `Secure` (sent over HTTPS only; browsers also send them to http://localhost and
    /// http://127.0.0.1). Turn off only to reach the console over plain HTTP on another host.
    pub secure_cookies: bool,
    /// How long a sign-in lasts, in hours (absolute, not sliding).
    pub session_hours: u32,
    /// Failed logins for one e-mail address within `login_window_minutes` before further tries
    /// are refused with 429.
    pub login_failures_per_email: u32,
    /// Failed logins from one client address within the window before it is refused (higher than
    /// per e-mail: one office shares an address).
    pub login_failures_per_ip: u32,
    pub login_window_minutes: u32,
    /// Take the client address for the rate limit from the right-most `X-Forwarded-For` entry
    /// (set only behind a reverse proxy that appends it; otherwise clients could pick their own).
    pub trust_forwarded_for: bool,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            secure_cookies: true,
            session_hours: 12,
            login_failures_per_email: 5,
            login_failures_per_ip: 20,
            login_window_minutes: 15,
            trust_forwarded_for: false,
        }
    }
}

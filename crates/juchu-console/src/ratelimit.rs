//! Failed logins per e-mail address and per client address, in memory: this process's count, so
//! with several `juchu serve` processes behind a balancer each one counts its own (docs/console.md).

use crate::config::ConsoleConfig;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Above this many tracked keys, keys with no failure left in the window are dropped.
const PRUNE_ABOVE: usize = 10_000;

pub struct LoginLimiter {
    window: Duration,
    per_email: usize,
    per_ip: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    pub fn new(cfg: &ConsoleConfig) -> Self {
        LoginLimiter {
            window: Duration::from_secs(u64::from(cfg.login_window_minutes) * 60),
            per_email: cfg.login_failures_per_email as usize,
            per_ip: cfg.login_failures_per_ip as usize,
            failures: Mutex::default(),
        }
    }

    fn keys(email: &str, ip: Option<&str>) -> [(String, bool); 2] {
        [
            (format!("email:{}", email.trim().to_lowercase()), true),
            (format!("ip:{}", ip.unwrap_or_default()), ip.is_some()),
        ]
    }

    /// How long until another try is allowed, when the e-mail or the address has used up its
    /// failures in the window.
    pub fn blocked(&self, email: &str, ip: Option<&str>) -> Option<Duration> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for ((key, used), limit) in Self::keys(email, ip)
            .into_iter()
            .zip([self.per_email, self.per_ip])
        {
            if !used {
                continue;
            }
            if let Some(q) = map.get_mut(&key) {
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    q.pop_front();
                }
                if q.len() >= limit
                    && let Some(first) = q.front()
                {
                    let w = self.window.saturating_sub(now.duration_since(*first));
                    wait = Some(wait.map_or(w, |x: Duration| x.max(w)));
                }
            }
        }
        wait
    }

    pub fn failed(&self, email: &str, ip: Option<&str>) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > PRUNE_ABOVE {
            let window = self.window;
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        for (key, used) in Self::keys(email, ip) {
            if used {
                map.entry(key).or_default().push_back(now);
            }
        }
    }

    /// A successful login forgets the e-mail's failures (not the address's: one valid account
    /// must not reset the count of someone guessing others from the same place).
    pub fn succeeded(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let [(key, _), _] = Self::keys(email, None);
        map.remove(&key);
    }
}

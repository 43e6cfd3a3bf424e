use crate::auth::Auth;
use juchu_app::App;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub key_cache: Arc<KeyCache>,
}

impl AppState {
    pub fn new(app: App) -> Self {
        AppState {
            app,
            key_cache: Arc::new(KeyCache::default()),
        }
    }
}

/// Authenticated keys by secret hash, so that a busy storefront does not cost a database read per
/// request. Keys are immutable once created, so the cache never goes stale; it is bounded.
#[derive(Default)]
pub struct KeyCache(Mutex<HashMap<String, Auth>>);

const MAX_CACHED_KEYS: usize = 1024;

impl KeyCache {
    pub fn get(&self, secret: &str) -> Option<Auth> {
        let h = juchu_app::hash_secret(secret);
        self.0.lock().ok()?.get(&h).cloned()
    }

    pub fn put(&self, secret: &str, auth: Auth) {
        if let Ok(mut m) = self.0.lock() {
            if m.len() >= MAX_CACHED_KEYS {
                m.clear();
            }
            m.insert(juchu_app::hash_secret(secret), auth);
        }
    }
}

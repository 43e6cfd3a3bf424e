//! Master data the receipt reads for every order — the review rules, the blacklist, the
//! warehouses and whether postal data is loaded — kept for [`MASTER_TTL`] instead of being read
//! again for each order (each read is a round trip to the database).
//!
//! A change made through this process (`App::put_review_rules`, the blacklist, `put_warehouse`)
//! empties its snapshot at once; a change made by another process (another node, `juchu import
//! postal`) is seen within [`MASTER_TTL`]. Stock is never cached: allocation reads it fresh, and the
//! commit's conditional update is what keeps it right.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a snapshot of master data is used before it is read again.
pub const MASTER_TTL: Duration = Duration::from_secs(1);

/// One cached value with the time it was read and a generation that [`Snapshot::clear`] moves on,
/// so that a read that began before a change is not stored after it.
pub(crate) struct Snapshot<T> {
    slot: Mutex<Slot<T>>,
}

struct Slot<T> {
    generation: u64,
    value: Option<(Instant, Arc<T>)>,
}

impl<T> Default for Snapshot<T> {
    fn default() -> Self {
        Snapshot {
            slot: Mutex::new(Slot {
                generation: 0,
                value: None,
            }),
        }
    }
}

impl<T> Snapshot<T> {
    /// The cached value while it is younger than [`MASTER_TTL`], else `load`'s (then cached).
    pub(crate) async fn get_or_load<E, F, Fut>(&self, load: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let generation = {
            let slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, v)) = &slot.value
                && at.elapsed() < MASTER_TTL
            {
                return Ok(v.clone());
            }
            slot.generation
        };
        let value = Arc::new(load().await?);
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if slot.generation == generation {
            slot.value = Some((Instant::now(), value.clone()));
        }
        Ok(value)
    }

    /// Forgets the value: the next reader reads the database.
    pub(crate) fn clear(&self) {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        slot.generation += 1;
        slot.value = None;
    }
}

/// The master data snapshots of one `App`.
#[derive(Default)]
pub(crate) struct MasterCache {
    pub(crate) review_rules: Snapshot<juchu_domain::review::ReviewRules>,
    pub(crate) blacklist: Snapshot<Vec<juchu_domain::review::BlacklistEntry>>,
    pub(crate) warehouses: Snapshot<Vec<juchu_domain::allocation::WarehouseInfo>>,
    pub(crate) postal_loaded: Snapshot<bool>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    async fn read(s: &Snapshot<u32>, reads: &AtomicU32) -> u32 {
        *s.get_or_load(|| async { Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1) })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_snapshot_is_read_once_until_cleared() {
        let s = Snapshot::default();
        let reads = AtomicU32::new(0);
        assert_eq!(read(&s, &reads).await, 1);
        assert_eq!(
            read(&s, &reads).await,
            1,
            "the second reader uses the snapshot"
        );
        s.clear();
        assert_eq!(
            read(&s, &reads).await,
            2,
            "a cleared snapshot is read again"
        );
    }

    #[tokio::test]
    async fn a_read_that_began_before_a_change_is_not_kept() {
        let s: Snapshot<u32> = Snapshot::default();
        let v = s
            .get_or_load(|| async {
                s.clear(); // the change lands while the old value is being read
                Ok::<_, ()>(7)
            })
            .await
            .unwrap();
        assert_eq!(*v, 7, "the reader itself gets what it read");
        let reads = AtomicU32::new(10);
        assert_eq!(
            read(&s, &reads).await,
            11,
            "but the next reader reads again"
        );
    }
}

//! Lanes: work items grouped by what they touch, so that the items of one key run one after
//! another in their given order while the lanes of different keys run side by side (the worker's
//! jobs per order, a tracking file's rows per shipment).

use std::collections::HashMap;
use std::hash::Hash;

/// `items` grouped by `key`: each lane keeps the items' given order, and the lanes come in the
/// order their first item came.
pub(crate) fn by_key<T, K: Eq + Hash>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> Vec<Vec<T>> {
    let mut lanes: Vec<Vec<T>> = Vec::new();
    let mut lane_of: HashMap<K, usize> = HashMap::new();
    for item in items {
        match lane_of.get(&key(&item)) {
            Some(&l) => lanes[l].push(item),
            None => {
                lane_of.insert(key(&item), lanes.len());
                lanes.push(vec![item]);
            }
        }
    }
    lanes
}

#[cfg(test)]
mod tests {
    #[test]
    fn lanes_keep_the_given_order_within_and_between() {
        let lanes = super::by_key(["a1", "b1", "a2", "c1", "b2"], |s| s.as_bytes()[0]);
        assert_eq!(lanes, vec![vec!["a1", "a2"], vec!["b1", "b2"], vec!["c1"]]);
    }
}

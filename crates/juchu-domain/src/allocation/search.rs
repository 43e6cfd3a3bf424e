//! The search for the fewest warehouses that together hold what an order can get.
//!
//! Warehouses come ranked (region, priority, code). Combinations are tried by increasing size, and
//! among the combinations of the smallest size that cover, the one with the most warehouses serving
//! the shipping prefecture wins, then the best ranks (lexicographically). That search is exhaustive
//! while the number of combinations stays within [`BUDGET`]; beyond it (many warehouses with stock),
//! a greedy cover finishes the job.

/// Combinations checked exhaustively before the search turns greedy. 2^15 subsets fit, so up to 15
/// warehouses holding needed stock are always searched exhaustively; with more, the small sizes are.
pub(super) const BUDGET: u64 = 50_000;

/// What the search found: indices into the ranked warehouses (ascending), and whether the greedy
/// fallback chose them (then the count is small but not proven minimal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Chosen {
    pub warehouses: Vec<usize>,
    pub greedy: bool,
}

/// `stock[w][s]`: free units of SKU `s` in ranked warehouse `w` (never negative); `target[s]`: units
/// of SKU `s` to place; `serves[w]`: warehouse `w` serves the shipping prefecture. The target must
/// not exceed what all warehouses hold together.
pub(super) fn fewest(stock: &[Vec<i64>], target: &[i64], serves: &[bool]) -> Chosen {
    // Only warehouses holding something needed can be part of a smallest cover.
    let candidates: Vec<usize> = (0..stock.len())
        .filter(|&w| (0..target.len()).any(|s| target[s] > 0 && stock[w][s] > 0))
        .collect();
    let n = candidates.len();
    let covers = |set: &[usize]| {
        (0..target.len()).all(|s| {
            target[s] <= 0 || set.iter().map(|&i| stock[candidates[i]][s]).sum::<i64>() >= target[s]
        })
    };
    let mut spent: u64 = 0;
    for k in 1..=n {
        let count = binomial(n as u64, k as u64);
        spent = spent.saturating_add(count);
        if spent > BUDGET {
            break;
        }
        let mut best: Option<(usize, Vec<usize>)> = None;
        let mut combo: Vec<usize> = (0..k).collect();
        loop {
            if covers(&combo) {
                let outside = combo.iter().filter(|&&i| !serves[candidates[i]]).count();
                // Combinations come in lexicographic order: only strictly fewer outsiders win.
                if best.as_ref().is_none_or(|(o, _)| outside < *o) {
                    best = Some((outside, combo.clone()));
                }
            }
            if !next_combination(&mut combo, n) {
                break;
            }
        }
        if let Some((_, set)) = best {
            return Chosen {
                warehouses: set.into_iter().map(|i| candidates[i]).collect(),
                greedy: false,
            };
        }
    }
    Chosen {
        warehouses: greedy(stock, target, &candidates),
        greedy: true,
    }
}

/// Greedy cover: repeatedly take the warehouse that places the most missing units (ties: the better
/// rank), then drop any warehouse the others make redundant (the last taken first).
fn greedy(stock: &[Vec<i64>], target: &[i64], candidates: &[usize]) -> Vec<usize> {
    let mut missing: Vec<i64> = target.iter().map(|t| (*t).max(0)).collect();
    let mut taken: Vec<usize> = Vec::new();
    while missing.iter().any(|m| *m > 0) {
        let gain = |w: usize| -> i64 {
            (0..missing.len())
                .map(|s| stock[w][s].min(missing[s]).max(0))
                .sum()
        };
        let Some(best) = candidates
            .iter()
            .copied()
            .filter(|w| !taken.contains(w))
            .map(|w| (gain(w), w))
            .filter(|(g, _)| *g > 0)
            // Highest gain; among equals the lowest index (the better rank).
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
        else {
            break; // cannot happen when the target fits the stock; stop rather than loop
        };
        let w = best.1;
        for (s, m) in missing.iter_mut().enumerate() {
            *m -= stock[w][s].min(*m).max(0);
        }
        taken.push(w);
    }
    for i in (0..taken.len()).rev() {
        let rest: Vec<usize> = taken
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, w)| *w)
            .collect();
        let still = (0..target.len())
            .all(|s| target[s] <= 0 || rest.iter().map(|&w| stock[w][s]).sum::<i64>() >= target[s]);
        if still {
            taken.remove(i);
        }
    }
    taken.sort_unstable();
    taken
}

/// Advances `combo` (strictly increasing indices below `n`) to the next combination of the same
/// size in lexicographic order; `false` after the last.
fn next_combination(combo: &mut [usize], n: usize) -> bool {
    let k = combo.len();
    let Some(i) = (0..k).rev().find(|&i| combo[i] < n - k + i) else {
        return false;
    };
    combo[i] += 1;
    for j in i + 1..k {
        combo[j] = combo[j - 1] + 1;
    }
    true
}

/// n choose k, saturating.
fn binomial(n: u64, k: u64) -> u64 {
    let k = k.min(n.saturating_sub(k));
    let mut r: u64 = 1;
    for i in 0..k {
        // r × (n − i) / (i + 1) stays an integer at every step.
        r = match r.checked_mul(n - i) {
            Some(x) => x / (i + 1),
            None => return u64::MAX,
        };
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_in_order() {
        let mut c = vec![0, 1];
        let mut seen = vec![c.clone()];
        while next_combination(&mut c, 4) {
            seen.push(c.clone());
        }
        assert_eq!(seen.len(), 6);
        assert_eq!(seen[5], vec![2, 3]);
        assert_eq!(binomial(4, 2), 6);
        assert_eq!(binomial(40, 20), 137_846_528_820);
        assert_eq!(binomial(1000, 500), u64::MAX);
    }

    #[test]
    fn prefers_region_then_rank_among_equal_counts() {
        // Two SKUs; warehouses 0 and 1 each hold one, 2 and 3 each hold one; 3 serves the region.
        let stock = vec![vec![5, 0], vec![0, 5], vec![5, 0], vec![0, 5]];
        let got = fewest(&stock, &[5, 5], &[false, false, false, true]);
        assert_eq!(got.warehouses, vec![0, 3]);
        let got = fewest(&stock, &[5, 5], &[false; 4]);
        assert_eq!(got.warehouses, vec![0, 1]);
        assert!(!got.greedy);
    }

    #[test]
    fn greedy_beyond_the_budget_still_covers() {
        // 40 warehouses, each with one unit of each of 40 SKUs except its own: any two cover.
        let n = 40;
        let stock: Vec<Vec<i64>> = (0..n)
            .map(|w| (0..n).map(|s| i64::from(w != s)).collect())
            .collect();
        let got = fewest(&stock, &vec![1; n], &vec![false; n]);
        assert_eq!(got.warehouses, vec![0, 1]);
        // Every SKU needs 3 units: 3 of 40 warehouses → 9,880 + 780 + 40 fit the budget; 4 needs greedy.
        let stock: Vec<Vec<i64>> = (0..n).map(|_| vec![1; 3]).collect();
        let got = fewest(&stock, &[4, 4, 4], &vec![false; n]);
        assert!(got.greedy);
        assert_eq!(got.warehouses, vec![0, 1, 2, 3]);
    }
}

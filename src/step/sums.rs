//! Sums over rows that keep the bits of a plain row-order sum but not its store-to-load
//! chains. Rows are grouped by region (births append, compaction keeps the order), so a sum
//! indexed by region or market, added into a table row by row, makes each add wait for the
//! previous row's store of the same entry; these hold the current region's entries in
//! registers instead and add the same values in the same order.

use crate::model::geo::N_SECTORS;

/// Entries of a table indexed by a byte: a `u8` index never needs a bounds check.
const BYTE: usize = 256;

/// Sums by a byte key added in row order, with the entry of the current run of equal keys
/// held in registers: rows are grouped by region, so adding into a per-region table row by
/// row would chain every addition through a store and a load. The same additions in the same
/// order, so the same bits as `table[key][j] += v[j]`.
pub struct Runs<const N: usize> {
    table: Box<[[f64; N]; BYTE]>,
    key: usize,
    run: [f64; N],
}

impl<const N: usize> Runs<N> {
    pub fn new() -> Self {
        Runs {
            table: Box::new([[0.0; N]; BYTE]),
            key: 0,
            run: [0.0; N],
        }
    }

    #[inline(always)]
    pub fn add(&mut self, key: usize, v: [f64; N]) {
        if key != self.key {
            self.table[self.key] = self.run;
            self.key = key;
            self.run = self.table[key];
        }
        for (s, v) in self.run.iter_mut().zip(v) {
            *s += v;
        }
    }

    /// The sums (ending the current run).
    pub fn table(mut self) -> Box<[[f64; N]; BYTE]> {
        self.table[self.key] = self.run;
        self.table
    }
}

/// `V` sums by market (region, sector), keyed by region: the current region's `V x N_SECTORS`
/// entries are held in registers, and each row adds `x[v] * 1.0` to its sector's entries and
/// `x[v] * 0.0` to the others'. For finite `x` that is +0.0, and adding +0.0 changes no bit of
/// a sum that started at +0.0, so the sums are those of `table[r][v][s] += x[v]` in row order.
/// (A NaN, which no caller's rule produces, would spread to the region's other sectors.)
pub struct MarketRuns<const V: usize> {
    table: Box<[[[f64; N_SECTORS]; V]; BYTE]>,
    region: usize,
    run: [[f64; N_SECTORS]; V],
}

impl<const V: usize> MarketRuns<V> {
    pub fn new() -> Self {
        MarketRuns {
            table: Box::new([[[0.0; N_SECTORS]; V]; BYTE]),
            region: 0,
            run: [[0.0; N_SECTORS]; V],
        }
    }

    #[inline(always)]
    pub fn add(&mut self, region: usize, sector: usize, x: [f64; V]) {
        if region != self.region {
            self.table[self.region] = self.run;
            self.region = region;
            self.run = self.table[region];
        }
        for j in 0..N_SECTORS {
            let on = f64::from(u8::from(sector == j));
            for (run, &x) in self.run.iter_mut().zip(&x) {
                run[j] += x * on;
            }
        }
    }

    /// The sums by region byte, then value, then sector (ending the current run).
    pub fn table(mut self) -> Box<[[[f64; N_SECTORS]; V]; BYTE]> {
        self.table[self.region] = self.run;
        self.table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both give exactly the bits of the plain row-order sums, over rows grouped by region with
    /// random sectors and region changes, values spanning many magnitudes.
    #[test]
    fn runs_give_the_bits_of_plain_sums() {
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        let (mut runs, mut markets) = (Runs::<2>::new(), MarketRuns::<2>::new());
        let mut plain = vec![[0.0f64; 2]; BYTE];
        let mut plain_m = vec![[[0.0f64; N_SECTORS]; 2]; BYTE];
        let mut region = 0usize;
        for _ in 0..20_000 {
            if next() % 50 == 0 {
                region = (next() % 17) as usize;
            }
            let sector = (next() % N_SECTORS as u64) as usize;
            let x = [
                (next() % 1000) as f64 * 1e-3 * 10f64.powi((next() % 12) as i32),
                1.0,
            ];
            runs.add(region, x);
            markets.add(region, sector, x);
            for v in 0..2 {
                plain[region][v] += x[v];
                plain_m[region][v][sector] += x[v];
            }
        }
        let (runs, markets) = (runs.table(), markets.table());
        for r in 0..BYTE {
            for v in 0..2 {
                assert_eq!(runs[r][v].to_bits(), plain[r][v].to_bits(), "region {r}");
                for s in 0..N_SECTORS {
                    assert_eq!(markets[r][v][s].to_bits(), plain_m[r][v][s].to_bits());
                }
            }
        }
    }
}

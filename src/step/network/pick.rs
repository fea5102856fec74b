//! Supplier choice within a market (ODD 7.11.1, "Supplier index"): a live firm of the
//! market in proportion to its scale, by a draw that keeps common random numbers when a
//! policy changes some firms' scale or which firms live.
//!
//! In the reported years the firms of a market are spread over `2^b` buckets by a hash of
//! their **id** (not their row, which moves at each compaction), with `b` fixed at the first
//! reported January from the market's size then, so the same firm sits in the same bucket in
//! a policy run and its paired baseline. A draw walks the binary tree of the buckets' weights
//! from the root, each of its `b` halvings with **its own uniform** (left if `u < W_left /
//! (W_left + W_right)`; stored as nodes of 16 f32 weights, four halvings to one cache line),
//! then takes the firm whose cumulative weight, in key order within the bucket, first
//! exceeds a uniform share of the bucket's.
//!
//! Why not one uniform against cumulative weights (an alias table, or a binary search): a
//! change in one firm's weight then moves the boundaries of every firm after it, so a policy
//! that changes a few firms' scale changes most picks. Here each halving moves a draw only as
//! much as its own probability changes (a uniform against one threshold is the coupling that
//! moves least), so a change of `d` in the weight of one firm (or its birth or exit) in a
//! market of total `W` moves about `(b / 2 + 1) d / W` of the market's draws.
//!
//! The spin-up, which a policy run and its baseline share, uses alias tables instead (one
//! memory access a pick; the first network month draws every initial firm's links).

use crate::rng::{splitmix, two_units};
use rayon::prelude::*;

/// A market's firms per bucket at the first build: `b = floor(log2(n / MIN_BUCKET))`, so
/// between `MIN_BUCKET` and `2 MIN_BUCKET` on average (fewer levels, shorter races).
const MIN_BUCKET: usize = 2;
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
/// Salts of the bucket hash, the level uniforms and the uniform within a bucket.
const BUCKET_SALT: u64 = 0x4255_434B_4554_5331;
const LEVEL_SALT: u64 = 0x4C45_5645_4C53_5F31;
const TAKE_SALT: u64 = 0x5441_4B45_5F55_5F31;

/// Children per tree node (the root may have fewer): `2^ARITY_BITS`.
const ARITY_BITS: u32 = 4;
const ARITY: usize = 1 << ARITY_BITS;
/// Tree levels a market may have (`2^(4 x 8)` buckets: more than any market's rows).
const MAX_LEVELS: usize = 8;
/// Most draws [`MarketIndex::pick_group`] takes at once.
pub(super) const MAX_GROUP: usize = 64;

/// The weights of a tree node's children (f32; unused ones 0), one cache line.
#[derive(Debug, Clone, Copy, Default)]
#[repr(align(64))]
pub(super) struct Node([f32; ARITY]);

/// The supplier index of all markets (rebuilt each year from the live rows and their scale).
#[derive(Debug, Clone, Default)]
pub(super) struct MarketIndex {
    /// Per market: `b`, the log2 of its bucket count (fixed at the first build).
    bits: Vec<u8>,
    /// Per market: its tree's levels and the first node of each level in `tree`.
    levels: Vec<(u32, [usize; MAX_LEVELS])>,
    /// Per market (and one past the last): its first bucket.
    bucket_base: Vec<usize>,
    tree: Vec<Node>,
    /// Per bucket (and one past the last): its first candidate.
    bucket_start: Vec<u32>,
    /// Candidates by market, then bucket, then key order.
    cand: Vec<Cand>,
    /// Per market: its rows and their total weight at the build.
    count: Vec<usize>,
    total: Vec<f64>,
    built: bool,
    /// Whether the index is the stable one above; if not (in the spin-up), market `m`'s
    /// picks go through its alias table `alias[alias_start[m]..alias_start[m + 1]]`.
    stable: bool,
    alias: Vec<Alias>,
    alias_start: Vec<usize>,
}

/// The levels of a market with `2^b` buckets, and its root's children (`2^(b - 4(d - 1))`,
/// 2 to 16; every other node has [`ARITY`]).
fn shape(b: u32) -> (u32, usize) {
    let d = b.div_ceil(ARITY_BITS);
    (
        d,
        if d == 0 {
            1
        } else {
            1 << (b - ARITY_BITS * (d - 1))
        },
    )
}

/// The first node of level `l` (the root is level 0; level `l >= 1` has `a0 16^(l - 1)`).
fn level_offset(a0: usize, l: u32) -> usize {
    if l == 0 {
        0
    } else {
        1 + a0 * ((1usize << (ARITY_BITS * (l - 1))) - 1) / (ARITY - 1)
    }
}

/// Tree nodes of a market with `2^b` buckets (levels 0 to `d - 1`).
fn nodes(b: u32) -> usize {
    let (d, a0) = shape(b);
    level_offset(a0, d)
}

/// The hash of firm `id` that orders the candidates: its top `b` bits are its bucket.
fn key_of(id: u64) -> u64 {
    splitmix(id ^ BUCKET_SALT)
}

/// The bucket of the hash `key` among `2^b`.
fn bucket_of(key: u64, b: u32) -> usize {
    if b == 0 {
        0
    } else {
        (key >> (64 - b)) as usize
    }
}

/// The child of a node with weights `w` the draw reaches by four halvings: the range of
/// children keeps its left half if `u_j (W_left + W_right) < W_left`, `u_j` the uniform of
/// halving `j`, so a half of weight 0 is never taken (a root of fewer than 16 children is
/// padded with weights 0: its first halvings keep the left). The halves' weights are sums of
/// pairs: `p_i = w_2i + w_2i+1`, `q_i = p_2i + p_2i+1`, `o_i = q_2i + q_2i+1` (f32).
#[inline]
fn child(w: &[f32; ARITY], u: [f32; ARITY_BITS as usize]) -> usize {
    let p: [f32; 8] = std::array::from_fn(|i| w[2 * i] + w[2 * i + 1]);
    let q: [f32; 4] = std::array::from_fn(|i| p[2 * i] + p[2 * i + 1]);
    let o = [q[0] + q[1], q[2] + q[3]];
    // 1 if the draw goes right (arithmetic, not a branch: the halvings are coin flips); a
    // right half of weight 0 is never taken, whatever the rounding of `u (l + r)`.
    let right = |l: f32, r: f32, u: f32| usize::from((r > 0.0) & (u * (l + r) >= l));
    let x = right(o[0], o[1], u[0]);
    let x = 2 * x + right(q[2 * x], q[2 * x + 1], u[1]);
    let x = 2 * x + right(p[(2 * x) & 7], p[(2 * x + 1) & 7], u[2]);
    2 * x + right(w[(2 * x) & 15], w[(2 * x + 1) & 15], u[3])
}

/// The four uniforms in (0, 1) of level `l` of the draw `h`: the 32-bit halves (high, then
/// low) of `splitmix(h ^ (LEVEL_SALT + 2l x GOLDEN))` and of the same with `2l + 1`, each
/// as `(top 23 bits + 0.5) / 2^23` in f32 (exact, and below 1).
#[inline]
fn level_units(h: u64, l: u32) -> [f32; ARITY_BITS as usize] {
    let key = |j: u64| splitmix(h ^ LEVEL_SALT.wrapping_add(j.wrapping_mul(GOLDEN)));
    let (a, b) = (key(2 * u64::from(l)), key(2 * u64::from(l) + 1));
    let unit = |w: u64| ((w >> 9) as u32 as f32 + 0.5) * (1.0 / 8_388_608.0);
    [
        unit(a >> 32),
        unit(a & 0xFFFF_FFFF),
        unit(b >> 32),
        unit(b & 0xFFFF_FFFF),
    ]
}

/// A candidate of a bucket: the hash of its firm id (its bucket is the top `b` bits; a
/// bucket's candidates are in hash order), its row and weight (scale); 16 bytes.
#[derive(Debug, Clone, Copy, Default)]
struct Cand {
    key: u64,
    row: u32,
    weight: f32,
}

/// One market's part of the build: its slices of the index's columns.
struct Part<'a> {
    m: usize,
    rows: &'a [u32],
    first: usize,
    cand: &'a mut [Cand],
    starts: &'a mut [u32],
    tree: &'a mut [Node],
}

impl MarketIndex {
    /// Whether the index holds this year's build.
    pub(super) fn is_built(&self) -> bool {
        self.built
    }

    /// Marks the index stale (the compaction moved the rows); keeps `b` and the buffers.
    pub(super) fn invalidate(&mut self) {
        self.built = false;
    }

    /// Rows of market `m` at the build.
    pub(super) fn count(&self, m: usize) -> usize {
        self.count[m]
    }

    /// Total weight of market `m` at the build.
    pub(super) fn total(&self, m: usize) -> f64 {
        self.total[m]
    }

    /// Builds the index: `rows[start[m]..start[m + 1]]` are market `m`'s live rows in row
    /// order, `scale[i]` and `ids[i]` row `i`'s weight and firm id. A market whose weights
    /// sum to 0 draws its rows with equal weights. `stable`: the stable index (buckets and
    /// trees), else alias tables (the spin-up's: it is the same in a policy run and its
    /// baseline, so its picks need not be stable, and one memory access is cheaper).
    pub(super) fn build(
        &mut self,
        start: &[usize],
        rows: &[u32],
        scale: &[f32],
        ids: &[u64],
        stable: bool,
    ) {
        self.stable = stable;
        if !stable {
            self.build_alias(start, rows, scale);
            return;
        }
        (self.alias, self.alias_start) = (Vec::new(), Vec::new());
        let markets = start.len() - 1;
        if self.bits.len() != markets {
            self.bits = (0..markets)
                .map(|m| {
                    let n = start[m + 1] - start[m];
                    (n / MIN_BUCKET).max(1).ilog2() as u8
                })
                .collect();
        }
        let (mut tree_base, mut bucket_base) = (vec![0usize], vec![0usize]);
        for &b in &self.bits {
            tree_base.push(tree_base[tree_base.len() - 1] + nodes(u32::from(b)));
            bucket_base.push(bucket_base[bucket_base.len() - 1] + (1usize << b));
        }
        let total = rows.len();
        self.cand.clear();
        self.cand.resize(total, Cand::default());
        self.tree.clear();
        self.tree.resize(tree_base[markets], Node::default());
        self.bucket_start.clear();
        self.bucket_start.resize(bucket_base[markets] + 1, 0);
        let mut parts = Vec::with_capacity(markets);
        let mut cand = &mut self.cand[..];
        let (mut starts, mut tree) = (&mut self.bucket_start[..], &mut self.tree[..]);
        for m in 0..markets {
            let n = start[m + 1] - start[m];
            let nb = bucket_base[m + 1] - bucket_base[m];
            let nt = tree_base[m + 1] - tree_base[m];
            let (c, rest_c) = cand.split_at_mut(n);
            let (s, rest_s) = starts.split_at_mut(nb);
            let (t, rest_t) = tree.split_at_mut(nt);
            parts.push(Part {
                m,
                rows: &rows[start[m]..start[m + 1]],
                first: start[m],
                cand: c,
                starts: s,
                tree: t,
            });
            (cand, starts, tree) = (rest_c, rest_s, rest_t);
        }
        starts[0] = total as u32;
        let bits = &self.bits;
        let sums: Vec<(usize, f64)> = parts
            .into_par_iter()
            .map(|p| {
                let b = u32::from(bits[p.m]);
                build_market(p, b, scale, ids)
            })
            .collect();
        self.count = sums.iter().map(|s| s.0).collect();
        self.total = sums.iter().map(|s| s.1).collect();
        self.levels = (0..markets)
            .map(|m| {
                let (d, a0) = shape(u32::from(self.bits[m]));
                let off = std::array::from_fn(|l| tree_base[m] + level_offset(a0, l as u32));
                (d, off)
            })
            .collect();
        self.bucket_base = bucket_base;
        self.built = true;
    }

    /// Levels of market `m`'s tree.
    #[inline]
    fn depth(&self, m: usize) -> u32 {
        self.levels[m].0
    }

    /// One level of the walk: node `x` of level `l` -> its child's index in level `l + 1`.
    #[inline]
    fn descend(&self, m: usize, l: u32, x: usize, h: u64) -> usize {
        let node = &self.tree[self.levels[m].1[l as usize] + x].0;
        ARITY * x + child(node, level_units(h, l))
    }

    /// The candidates of bucket `x` of market `m`.
    #[inline]
    fn bucket(&self, m: usize, x: usize) -> &[Cand] {
        let g = self.bucket_base[m] + x;
        &self.cand[self.bucket_start[g] as usize..self.bucket_start[g + 1] as usize]
    }

    /// The row the draw `h` takes in bucket `x` of market `m` (see [`in_bucket`]).
    #[inline]
    fn take(&self, m: usize, x: usize, h: u64) -> Option<u32> {
        in_bucket(self.bucket(m, x), h)
    }

    /// The rows a group of draws `(market, h)` pick (`None` in `at`: no draw; `None` out: an
    /// empty market), each the same as alone ([`MarketIndex::pick`]): the group walks its
    /// trees level by level, each level's nodes prefetched together before the halvings, then
    /// the buckets' first candidates the same way, so the core keeps the group's cache misses
    /// in flight together instead of one draw's after another's. At most [`MAX_GROUP`].
    pub(super) fn pick_group(&self, at: &[Option<(usize, u64)>], out: &mut [Option<u32>]) {
        const NO: usize = usize::MAX;
        if !self.stable {
            // The alias entries, then their rows, in loops of independent loads.
            let mut e = [(NO, 0.0); MAX_GROUP];
            for (e, a) in e.iter_mut().zip(at) {
                *e = a
                    .and_then(|(m, h)| self.alias_entry(m, h))
                    .unwrap_or((NO, 0.0));
            }
            for (o, &(e, frac)) in out.iter_mut().zip(&e[..at.len()]) {
                *o = (e != NO).then(|| alias_row(&self.alias[e], frac));
            }
            return;
        }
        let mut x = [0usize; MAX_GROUP];
        let mut mk = [NO; MAX_GROUP];
        let (x, mk) = (&mut x[..at.len()], &mut mk[..at.len()]);
        let mut depth = 0;
        for (mk, a) in mk.iter_mut().zip(at) {
            if let Some((m, _)) = *a {
                *mk = m;
                depth = depth.max(self.depth(m));
            }
        }
        for l in 0..depth {
            let live = |m: usize| m != NO && l < self.levels[m].0;
            for (&m, &x) in mk.iter().zip(x.iter()) {
                if live(m) {
                    prefetch(&self.tree[self.levels[m].1[l as usize] + x]);
                }
            }
            for ((&m, x), a) in mk.iter().zip(x.iter_mut()).zip(at) {
                if live(m) {
                    *x = self.descend(m, l, *x, a.map_or(0, |a| a.1));
                }
            }
        }
        for (&m, &x) in mk.iter().zip(x.iter()) {
            if m != NO
                && let Some(c) = self.bucket(m, x).first()
            {
                prefetch(c);
            }
        }
        for ((&a, &x), o) in at.iter().zip(x.iter()).zip(out.iter_mut()) {
            *o = a.and_then(|(m, h)| self.take(m, x, h));
        }
    }

    /// The alias tables of every market, in parallel (see [`alias_table`]); the stable
    /// index's columns are freed.
    fn build_alias(&mut self, start: &[usize], rows: &[u32], scale: &[f32]) {
        (self.cand, self.tree, self.bucket_start) = (Vec::new(), Vec::new(), Vec::new());
        let markets = start.len() - 1;
        self.alias.clear();
        self.alias.resize(rows.len(), Alias::default());
        let mut parts = Vec::with_capacity(markets);
        let mut rest = &mut self.alias[..];
        for m in 0..markets {
            let (t, tail) = rest.split_at_mut(start[m + 1] - start[m]);
            parts.push((&rows[start[m]..start[m + 1]], t));
            rest = tail;
        }
        self.total = parts
            .into_par_iter()
            .map(|(rows, table)| {
                let mut weight: Vec<f64> =
                    rows.iter().map(|&i| f64::from(scale[i as usize])).collect();
                alias_table(rows, &mut weight, table)
            })
            .collect();
        self.count = (0..markets).map(|m| start[m + 1] - start[m]).collect();
        self.alias_start = start.to_vec();
        self.built = true;
    }

    /// The row a draw `h` picks in market `m` (`None`: an empty market).
    pub(super) fn pick(&self, m: usize, h: u64) -> Option<u32> {
        let mut out = [None];
        self.pick_group(&[Some((m, h))], &mut out);
        out[0]
    }
}

/// The candidate the draw `h` takes in a bucket: the first, in hash order, whose cumulative
/// weight exceeds `u` times the bucket's (`u` the high half of `splitmix(h ^ TAKE_SALT)`);
/// `None` if the bucket's weight is 0.
#[inline]
fn in_bucket(cands: &[Cand], h: u64) -> Option<u32> {
    if let [c] = cands {
        return (c.weight > 0.0).then_some(c.row);
    }
    let total: f64 = cands.iter().map(|c| f64::from(c.weight)).sum();
    let target = two_units(splitmix(h ^ TAKE_SALT)).0 * total;
    // The number of candidates whose cumulative weight is at most the target (counted
    // without branches) is the index of the first that exceeds it.
    let (mut acc, mut x) = (0.0, 0);
    for c in cands {
        acc += f64::from(c.weight);
        x += usize::from(acc <= target);
    }
    match cands.get(x) {
        Some(c) => Some(c.row),
        None => cands.iter().rev().find(|c| c.weight > 0.0).map(|c| c.row),
    }
}

/// Asks the core to load `x`'s cache line (a hint: no wait, no effect on results).
#[inline(always)]
pub(super) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of every x86_64 target, and a prefetch never faults or writes.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (x as *const T).cast::<i8>(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    std::hint::black_box(x);
}

/// One entry of a market's alias table (Walker 1977): a draw landing in entry `j` takes
/// `row` if its fraction is below `prob`, else `alias`.
#[derive(Debug, Clone, Copy, Default)]
struct Alias {
    prob: f64,
    row: u32,
    alias: u32,
}

impl MarketIndex {
    /// The alias entry the draw `h` lands in in market `m` (its index in `alias`) and its
    /// fraction: with `u` the uniform of `splitmix(h ^ TAKE_SALT)` (53 bits) and `n` rows, `x
    /// = u n`, entry `j = min(floor(x), n - 1)`, fraction `x - j`. `None`: an empty market.
    #[inline]
    fn alias_entry(&self, m: usize, h: u64) -> Option<(usize, f64)> {
        let (lo, hi) = (self.alias_start[m], self.alias_start[m + 1]);
        if lo == hi {
            return None;
        }
        let x = crate::rng::to_unit_f64(splitmix(h ^ TAKE_SALT)) * (hi - lo) as f64;
        let j = (x as usize).min(hi - lo - 1);
        Some((lo + j, x - j as f64))
    }
}

/// The row an alias entry gives for the fraction `frac`.
#[inline]
fn alias_row(e: &Alias, frac: f64) -> u32 {
    if frac < e.prob { e.row } else { e.alias }
}

/// The alias table of `rows` weighted by `weight` (Vose 1991): with `n` rows and total `W`,
/// `p_j = n w_j / W`; rows with `p_j < 1` go to a list *small* and the others to *large*, each
/// in row order; while both are non-empty, take the last of *small* (`l`) and the last of
/// *large* (`g`): entry `l` gets `prob = p_l` and `alias = g`, then `p_g += p_l - 1` and `g`
/// moves to the end of *small* if now below 1 (it stays where it is in *large* otherwise).
/// Entries left get `prob = 1`. So entry `j` is drawn with probability `1/n` and each row with
/// probability `w_j / W`, in one memory access. All weights 0: every row with `1/n`.
///
/// Returns the total weight (summed in row order); `weight` is overwritten with the `p_j`.
fn alias_table(rows: &[u32], weight: &mut [f64], out: &mut [Alias]) -> f64 {
    let n = rows.len();
    let total: f64 = weight.iter().sum();
    for w in weight.iter_mut() {
        *w = if total > 0.0 {
            *w * n as f64 / total
        } else {
            1.0
        };
    }
    let p = weight;
    let (mut small, mut large): (Vec<u32>, Vec<u32>) =
        (0..n as u32).partition(|&j| p[j as usize] < 1.0);
    for j in 0..n {
        out[j] = Alias {
            prob: 1.0,
            row: rows[j],
            alias: rows[j],
        };
    }
    while let (Some(&l), Some(&g)) = (small.last(), large.last()) {
        small.pop();
        let (l, gi) = (l as usize, g as usize);
        out[l].prob = p[l];
        out[l].alias = rows[gi];
        p[gi] += p[l] - 1.0;
        if p[gi] < 1.0 {
            large.pop();
            small.push(g);
        }
    }
    total
}

/// Builds one market: its candidates sorted by bucket (key order within a bucket), the
/// buckets' starts, and the tree's node weights bottom-up (each sum in child order).
/// Returns the market's row count and total weight.
fn build_market(p: Part, b: u32, scale: &[f32], ids: &[u64]) -> (usize, f64) {
    let n = p.rows.len();
    let nb = 1usize << b;
    let total: f64 = p.rows.iter().map(|&i| f64::from(scale[i as usize])).sum();
    let equal = total <= 0.0;
    let keys: Vec<u64> = p.rows.iter().map(|&i| key_of(ids[i as usize])).collect();
    let mut at = vec![0u32; nb + 1];
    for &k in &keys {
        at[bucket_of(k, b) + 1] += 1;
    }
    for j in 0..nb {
        at[j + 1] += at[j];
        p.starts[j] = p.first as u32 + at[j];
    }
    let mut bucket_w = vec![0.0f64; nb];
    for (&i, &key) in p.rows.iter().zip(&keys) {
        let x = bucket_of(key, b);
        let q = at[x] as usize;
        at[x] += 1;
        let weight = if equal { 1.0 } else { scale[i as usize] };
        p.cand[q] = Cand {
            key,
            row: i,
            weight,
        };
    }
    // Each bucket in hash order (so its order does not depend on the rows), and its weight
    // summed in that order.
    for j in 0..nb {
        let (lo, hi) = (p.starts[j] as usize - p.first, at[j] as usize);
        let bucket = &mut p.cand[lo..hi];
        bucket.sort_unstable_by_key(|c| c.key);
        bucket_w[j] = bucket.iter().map(|c| f64::from(c.weight)).sum();
    }
    let (d, a0) = shape(b);
    let arity = |l: u32| if l == 0 { a0 } else { ARITY };
    if d > 0 {
        let l = d - 1;
        let off = level_offset(a0, l);
        let count = level_offset(a0, d) - off;
        for x in 0..count {
            for c in 0..arity(l) {
                p.tree[off + x].0[c] = bucket_w[ARITY * x + c] as f32;
            }
        }
        for l in (0..d - 1).rev() {
            let (off, below) = (level_offset(a0, l), level_offset(a0, l + 1));
            let count = below - off;
            for x in 0..count {
                for c in 0..arity(l) {
                    let node = p.tree[below + ARITY * x + c].0;
                    let sum: f64 = node[..arity(l + 1)].iter().map(|&w| f64::from(w)).sum();
                    p.tree[off + x].0[c] = sum as f32;
                }
            }
        }
    }
    (n, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, Streams};

    /// An index of one market with weights `w` (row `i` has id `1000 + i`).
    fn index(w: &[f32], ids: &[u64]) -> MarketIndex {
        let rows: Vec<u32> = (0..w.len() as u32).collect();
        let mut ix = MarketIndex::default();
        ix.build(&[0, w.len()], &rows, w, ids, true);
        ix
    }

    fn weights(n: usize, seed: u32) -> Vec<f32> {
        let st = Streams::new(5);
        (0..n)
            .map(|i| {
                let u = st.uniform(Stream::Network, i as u64, seed, 0);
                // A fifth of the weights are 0; the rest span three orders of magnitude.
                if u < 0.2 {
                    0.0
                } else {
                    10f32.powf(3.0 * u as f32)
                }
            })
            .collect()
    }

    /// Draws of market 0 in groups of [`MAX_GROUP`] (each equal to the same draw alone) hit
    /// each row within 5 sd of its weight's share, and never a row of weight 0.
    fn assert_draws_follow(ix: &MarketIndex, w: &[f32], draws: u64, step: u32, what: &str) {
        let st = Streams::new(11);
        let total: f64 = w.iter().map(|&x| f64::from(x)).sum();
        let mut hits = vec![0u32; w.len()];
        let mut group = [None; MAX_GROUP];
        for k in (0..draws).step_by(MAX_GROUP) {
            let at: Vec<_> = (k..k + MAX_GROUP as u64)
                .map(|k| Some((0, st.bits(Stream::Network, k, step, 0))))
                .collect();
            ix.pick_group(&at, &mut group);
            for (&g, &a) in group.iter().zip(&at) {
                assert_eq!(
                    g,
                    ix.pick(0, a.unwrap().1),
                    "{what}: group and single picks differ"
                );
                hits[g.unwrap() as usize] += 1;
            }
        }
        for (i, (&h, &wi)) in hits.iter().zip(w).enumerate() {
            let want = f64::from(wi) / total * draws as f64;
            assert!(wi > 0.0 || h == 0, "{what}: row {i} of weight 0 drawn");
            assert!(
                (f64::from(h) - want).abs() <= 5.0 * want.sqrt() + 1.0,
                "{what} row {i}: {h} against {want}"
            );
        }
    }

    /// The tree's shape covers `2^b` buckets for every `b`, and node weights add up.
    #[test]
    fn tree_levels_cover_the_buckets() {
        for b in 0..=20u32 {
            let (d, a0) = shape(b);
            assert!((2..=ARITY).contains(&a0) || b == 0, "b {b}");
            let leaves = if d == 0 {
                1
            } else {
                a0 << (ARITY_BITS * (d - 1))
            };
            assert_eq!(leaves, 1 << b, "b {b}");
        }
        let n = 5000;
        let w = weights(n, 1);
        let ids: Vec<u64> = (0..n as u64).map(|i| 1000 + i).collect();
        let ix = index(&w, &ids);
        let b = u32::from(ix.bits[0]);
        assert_eq!(b, (n / MIN_BUCKET).ilog2());
        let (_, a0) = shape(b);
        let root: f64 = ix.tree[0].0[..a0].iter().map(|&w| f64::from(w)).sum();
        let want: f64 = w.iter().map(|&x| f64::from(x)).sum();
        assert!((root - want).abs() < 1e-6 * want, "{root} vs {want}");
    }

    /// Draws follow the weights (no zero-weight row drawn), in a market of one, a few and
    /// thousands of firms; an empty market draws none, and all-zero weights draw equally.
    #[test]
    fn draws_follow_the_weights() {
        let st = Streams::new(11);
        // Markets of b = 0 to 11 (roots of 2, 4, 8 and 16 children).
        for (case, n) in [1usize, 3, 5, 9, 17, 40, 70, 1000, 4096]
            .into_iter()
            .enumerate()
        {
            let mut w = weights(n, case as u32 + 7);
            w[0] = w[0].max(1.0);
            let ids: Vec<u64> = (0..n as u64).map(|i| 1000 + 7 * i).collect();
            let ix = index(&w, &ids);
            assert_draws_follow(&ix, &w, 400_000, case as u32, &format!("case {case}"));
        }
        let ix = index(&[0.0; 4], &[1, 2, 3, 4]);
        let mut hits = [0u32; 4];
        for k in 0..40_000u64 {
            hits[ix.pick(0, st.bits(Stream::Network, k, 9, 0)).unwrap() as usize] += 1;
        }
        assert!(
            hits.iter().all(|&h| (h as i32 - 10_000).abs() < 500),
            "{hits:?}"
        );
        let mut empty = MarketIndex::default();
        empty.build(&[0, 0], &[], &[], &[], true);
        assert_eq!(empty.pick(0, 12345), None);
    }

    /// An alias table (the spin-up's index) gives each row exactly its share of the weight
    /// (the mass of its own entry plus the entries aliased to it), with zero weights and a
    /// market of one, and its draws (single and grouped alike) follow the weights; all
    /// weights 0: every row with an equal share.
    #[test]
    fn alias_tables_give_each_row_its_weight() {
        for (case, n) in [1usize, 2, 3, 17, 1000, 4096].into_iter().enumerate() {
            let mut w = weights(n, case as u32 + 40);
            w[0] = w[0].max(1.0);
            let total: f64 = w.iter().map(|&x| f64::from(x)).sum();
            let rows: Vec<u32> = (0..n as u32).collect();
            let mut table = vec![Alias::default(); n];
            let mut p: Vec<f64> = w.iter().map(|&x| f64::from(x)).collect();
            assert!((alias_table(&rows, &mut p, &mut table) - total).abs() < 1e-9 * total);
            let mut mass = vec![0.0f64; n];
            for e in &table {
                mass[e.row as usize] += e.prob / n as f64;
                mass[e.alias as usize] += (1.0 - e.prob) / n as f64;
            }
            for i in 0..n {
                let want = f64::from(w[i]) / total;
                assert!((mass[i] - want).abs() < 1e-9, "case {case} row {i}");
            }
            let ids: Vec<u64> = rows.iter().map(|&i| u64::from(i)).collect();
            let mut ix = MarketIndex::default();
            ix.build(&[0, n], &rows, &w, &ids, false);
            assert_draws_follow(
                &ix,
                &w,
                200_000,
                100 + case as u32,
                &format!("alias case {case}"),
            );
        }
        let mut table = vec![Alias::default(); 4];
        alias_table(&[5, 6, 7, 8], &mut [0.0; 4], &mut table);
        assert!(table.iter().all(|e| e.prob == 1.0 && e.row == e.alias));
    }

    /// Common random numbers: the same firms in another row order pick the same firm (by id)
    /// for every draw; raising 1% of the firms' weights by 20%, or removing 1% of the firms,
    /// changes few picks (an alias table changes most of them).
    #[test]
    fn picks_keep_their_firm_when_others_change() {
        let st = Streams::new(3);
        let n = 20_000;
        let w = weights(n, 2);
        let ids: Vec<u64> = (0..n as u64).map(|i| (1 << 20) | (i * 13)).collect();
        let base = index(&w, &ids);
        // Reversed rows: row j holds firm n - 1 - j.
        let (rw, rid): (Vec<f32>, Vec<u64>) = (0..n).rev().map(|i| (w[i], ids[i])).unzip();
        let reversed = index(&rw, &rid);
        let mut raised = w.clone();
        for i in (0..n).step_by(100) {
            raised[i] *= 1.2;
        }
        let raised = index(&raised, &ids);
        // Firms 50, 150, ... exit (kept out of the index, rows of the rest unchanged).
        let rows: Vec<u32> = (0..n as u32).filter(|i| i % 100 != 50).collect();
        let fewer = {
            // The same `b` as the full market (fixed at the first build in a run).
            let mut ix = MarketIndex {
                bits: base.bits.clone(),
                ..MarketIndex::default()
            };
            ix.build(&[0, rows.len()], &rows, &w, &ids, true);
            ix
        };
        // The same removal with one uniform against cumulative weights in row order (a
        // binary search; an alias table moves more).
        let cumulative = |rows: &[u32], u: f64| -> usize {
            let total: f64 = rows.iter().map(|&i| f64::from(w[i as usize])).sum();
            let (target, mut acc) = (u * total, 0.0);
            for &i in rows {
                acc += f64::from(w[i as usize]);
                if target < acc {
                    return i as usize;
                }
            }
            rows[rows.len() - 1] as usize
        };
        let all: Vec<u32> = (0..n as u32).collect();
        let total: f64 = w.iter().map(|&x| f64::from(x)).sum();
        let d_raised: f64 = (0..n)
            .step_by(100)
            .map(|i| 0.2 * f64::from(w[i]))
            .sum::<f64>()
            / total;
        let draws = 20_000u64;
        let (mut moved_raised, mut moved_fewer, mut lost, mut moved_cum) = (0, 0, 0, 0);
        for k in 0..draws {
            let h = st.bits(Stream::Network, k, 0, 0);
            let a = base.pick(0, h).unwrap() as usize;
            let b = n - 1 - reversed.pick(0, h).unwrap() as usize;
            assert_eq!(ids[a], ids[b], "draw {k}: the row order changed the firm");
            moved_raised += usize::from(raised.pick(0, h).unwrap() as usize != a);
            if a % 100 == 50 {
                lost += 1;
            } else {
                moved_fewer += usize::from(fewer.pick(0, h).unwrap() as usize != a);
            }
            let u = st.uniform(Stream::Network, k, 1, 0);
            let c = cumulative(&all, u);
            moved_cum += usize::from(c % 100 != 50 && cumulative(&rows, u) != c);
        }
        let share = |x: usize| x as f64 / draws as f64;
        let b = f64::from(base.bits[0]);
        // A change of `d` of the weight moves about `(b / 2 + 1) d` of the draws.
        assert!(share(moved_raised) < (b / 2.0 + 1.0) * d_raised, "raised");
        assert!(share(lost) > 0.005, "lost {}", share(lost));
        assert!(share(moved_fewer) < (b / 2.0 + 1.0) * share(lost), "fewer");
        assert!(share(moved_cum) > 10.0 * share(moved_fewer), "cumulative");
    }
}

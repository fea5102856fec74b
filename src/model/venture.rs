//! The venture market's state (ODD 2.4a, 7.6a): funds with vintages, commitments and money
//! invested and returned, and their holdings in startups, so that a portfolio startup's
//! graduation (an exit) or death (a write-off) is booked to the funds that paid for it.
//!
//! Columns only; the rules that raise funds and resolve holdings are in `step/venture.rs`.

/// No fund / no holding (end of a startup's list of holdings).
pub const NONE: u32 = u32::MAX;

/// One row per fund (market VC funds and policy funds), in the order they were raised.
#[derive(Debug, Clone, Default)]
pub struct Funds {
    /// Investor row of the manager.
    pub manager: Vec<u32>,
    /// Region of the manager.
    pub home: Vec<u8>,
    /// Calendar year the fund was raised (before `start_year` for funds of the settling and
    /// the spin-up, ODD 3.3).
    pub vintage: Vec<i32>,
    /// Money committed (public plus private), real KRW.
    pub size_krw: Vec<f64>,
    /// Public part of `size_krw` (policy parent funds; 0 for market funds).
    pub public_krw: Vec<f64>,
    /// Money invested in deals (every deal, in the sample or not).
    pub invested_krw: Vec<f64>,
    /// Exit proceeds (graduations of portfolio startups).
    pub distributed_krw: Vec<f64>,
    /// Cost of holdings written off (deaths of portfolio startups).
    pub written_off_krw: Vec<f64>,
}

impl Funds {
    pub fn len(&self) -> usize {
        self.manager.len()
    }

    pub fn is_empty(&self) -> bool {
        self.manager.is_empty()
    }
}

/// One row per deal of a fund in a simulated startup, linked per startup
/// (`Startups::holding` is the head of its list, `next` the following holding).
#[derive(Debug, Clone, Default)]
pub struct Holdings {
    pub fund: Vec<u32>,
    /// Cost in real KRW at startup weight (ticket x `startup_weight`).
    pub cost_krw: Vec<f64>,
    pub next: Vec<u32>,
}

/// The venture market: funds, holdings, the market's calendar and its return history.
#[derive(Debug, Clone, Default)]
pub struct Venture {
    pub funds: Funds,
    pub holdings: Holdings,
    /// The fund each investor row invests from (`NONE` for angels, TIPS operators and policy
    /// funds not yet raised), indexed by investor row.
    pub current_fund: Vec<u32>,
    /// Months the market has run (settling, spin-up and reported months).
    pub month: u32,
    /// Calendar year of venture month 0 (`start_year - spinup_years - settle_years`).
    pub first_year: i32,
    /// Per venture year (index = year - `first_year`): exit proceeds and the cost of the
    /// holdings resolved (exits and write-offs), real KRW.
    pub proceeds_by_year: Vec<f64>,
    pub resolved_cost_by_year: Vec<f64>,
    /// The realised multiple over the window at the first reported January (NaN before):
    /// commitments respond to the ratio of the current multiple to this one (ODD 7.6a).
    pub reference_multiple: f64,
    /// Active startups (agents) at the first reported January (0 before): commitments respond
    /// to the ratio of the current count to this one (deal flow, ODD 7.6a).
    pub reference_startups: f64,
    /// Whether the references were taken (at the first reported January).
    pub referenced: bool,
    /// Public money committed to policy parent funds this year (set in January by the levers,
    /// read by the market's January).
    pub public_krw_year: f64,
}

impl Venture {
    /// Adds a fund and makes it the manager's current fund; returns its row.
    pub fn raise(&mut self, manager: usize, home: u8, vintage: i32, size: f64, public: f64) -> u32 {
        let f = self.funds.len() as u32;
        self.funds.manager.push(manager as u32);
        self.funds.home.push(home);
        self.funds.vintage.push(vintage);
        self.funds.size_krw.push(size);
        self.funds.public_krw.push(public);
        self.funds.invested_krw.push(0.0);
        self.funds.distributed_krw.push(0.0);
        self.funds.written_off_krw.push(0.0);
        if self.current_fund.len() <= manager {
            self.current_fund.resize(manager + 1, NONE);
        }
        self.current_fund[manager] = f;
        f
    }

    /// The calendar year of the current venture month.
    pub fn year(&self) -> i32 {
        self.first_year + (self.month / 12) as i32
    }
}

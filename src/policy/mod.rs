//! Policy levers: the programmes of the 2026 work plan and related proposals as data
//! ([`levers`]), their yearly accounts ([`state`]) and how each acts on the world ([`apply`]).
//!
//! Levers act on agents only through existing columns (firms' `log_scale`, `tech`, `flags`;
//! startups' `quality`, `progress`, `cash_krw`, `flags`; investors' capital; regions' amenity
//! and demand) and through per-(region, sector) modifiers the step reads (ODD 7.10).
//!
//! **Invariant:** no IO, no clock, no thread-dependent state; every selection draws from the
//! counter-based streams keyed by agent id and step, so a policy run and its baseline with the
//! same seed see the same draws (common random numbers). With no `[policy]` section every
//! modifier is exactly neutral (x 1.0, + 0.0) and outputs are byte-identical to a run
//! without the policy code.

pub mod apply;
pub mod levers;
pub mod state;

pub use levers::Policy;
pub use state::PolicyState;

/// Bit names, in bit order.
pub const PROGRAMS: [&str; 8] = [
    "hub_city",
    "growth_fund",
    "tips",
    "smart_factory",
    "jump_up",
    "local_entrepreneur",
    "one_stop",
    "ai_supply_chain",
];

/// Flag bits (see [`PROGRAMS`]).
pub mod flag {
    pub const HUB_CITY: u16 = 1 << 0;
    pub const GROWTH_FUND: u16 = 1 << 1;
    pub const TIPS: u16 = 1 << 2;
    pub const SMART_FACTORY: u16 = 1 << 3;
    pub const JUMP_UP: u16 = 1 << 4;
    pub const LOCAL_ENTREPRENEUR: u16 = 1 << 5;
    pub const ONE_STOP: u16 = 1 << 6;
    pub const AI_SUPPLY_CHAIN: u16 = 1 << 7;
}

/// Programmes reported in `programs.csv` (finer than the flags: smart-factory types and local
/// creators have their own budgets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    HubCities = 0,
    StartupParks,
    GrowthFund,
    Tips,
    SmartFactoryAdvancedAi,
    SmartFactorySectorSpecialised,
    SmartFactoryCollaborative,
    JumpUp,
    LocalEntrepreneurs,
    LocalCreators,
    OneStop,
    KeyIndustries,
    AiSupplyChains,
}

pub const N_PROGRAMS: usize = 13;

/// Names in `programs.csv`, in [`Program`] order.
pub const PROGRAM_NAMES: [&str; N_PROGRAMS] = [
    "hub_cities",
    "startup_parks",
    "growth_fund",
    "tips",
    "smart_factories_advanced_ai",
    "smart_factories_sector_specialised",
    "smart_factories_collaborative",
    "jump_up",
    "local_entrepreneurs",
    "local_creators",
    "one_stop",
    "key_industries",
    "ai_supply_chains",
];

/// Names of the smart-factory types (sub-tables of `[policy.smart_factories]`).
pub const SMART_FACTORY_TYPES: [&str; 3] = ["advanced_ai", "sector_specialised", "collaborative"];

impl Program {
    pub const ALL: [Program; N_PROGRAMS] = [
        Program::HubCities,
        Program::StartupParks,
        Program::GrowthFund,
        Program::Tips,
        Program::SmartFactoryAdvancedAi,
        Program::SmartFactorySectorSpecialised,
        Program::SmartFactoryCollaborative,
        Program::JumpUp,
        Program::LocalEntrepreneurs,
        Program::LocalCreators,
        Program::OneStop,
        Program::KeyIndustries,
        Program::AiSupplyChains,
    ];

    pub fn name(self) -> &'static str {
        PROGRAM_NAMES[self as usize]
    }
}

/// `|`-separated names of the set bits (empty when none).
pub fn flag_names(flags: u16) -> String {
    PROGRAMS
        .iter()
        .enumerate()
        .filter(|(bit, _)| flags & (1 << bit) != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join("|")
}

#[cfg(test)]
mod tests {
    #[test]
    fn flag_names_list_set_bits() {
        assert_eq!(super::flag_names(0), "");
        assert_eq!(super::flag_names(0b101), "hub_city|tips");
        assert_eq!(
            super::flag_names(super::flag::AI_SUPPLY_CHAIN),
            "ai_supply_chain"
        );
    }

    #[test]
    fn program_names_follow_the_enum() {
        for (i, p) in super::Program::ALL.iter().enumerate() {
            assert_eq!(*p as usize, i);
        }
    }
}

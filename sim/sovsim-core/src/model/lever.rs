//! Levers over a scenario's figures: the inputs a tornado, a case or a break-even moves, their
//! ranges and named cases — descriptions only. Moving them is [`Scenario::with_changes`]; reading
//! their effect is the study layer's.
//!
//! An *input* is a lever over many scenario figures at once (every GPU-hour price, every hall's
//! capex…), moved by a relative change (−0.4: 40 % lower), an absolute change of a rate (+0.04:
//! four points higher) or a delay in months added to every duration of its kind.
//!
//! [`Scenario::with_changes`]: super::Scenario::with_changes

/// How an input's value changes the figures it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Multiplies them by (1 + value); the value is above −1.
    Relative,
    /// Adds the value to a rate [fraction per year].
    Rate,
    /// Adds the value to durations [months]; a duration never falls below zero.
    Months,
}

/// A lever over the scenario's figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Input {
    /// Every market GPU-hour price (what merchant GPU-hours earn) and the token price; contract
    /// prices hold.
    GpuRent,
    /// The price of every offtake contract.
    ContractPrice,
    /// Every grid energy price and on-site energy price.
    EnergyPrice,
    /// The price per GPU of every cluster and refresh.
    GpuCapex,
    /// The capex of halls, on-site power plants and land.
    FacilityCapex,
    /// Maintenance, insurance, staff and network costs.
    Opex,
    /// The base interest rate under both facilities.
    BaseRate,
    /// Months added to every site's permit.
    PermitDelay,
    /// Months added to every grid connection's queue wait.
    GridDelay,
    /// Months added to every hall phase's and on-site plant's build time.
    ConstructionDelay,
    /// Months added to every GPU order's lead time.
    GpuDelay,
    /// Inference tokens per day and training runs per year.
    Demand,
}

impl Input {
    /// Every input, in the order tables list them.
    pub const ALL: [Input; 12] = [
        Input::GpuRent,
        Input::ContractPrice,
        Input::EnergyPrice,
        Input::GpuCapex,
        Input::FacilityCapex,
        Input::Opex,
        Input::BaseRate,
        Input::PermitDelay,
        Input::GridDelay,
        Input::ConstructionDelay,
        Input::GpuDelay,
        Input::Demand,
    ];

    /// The name scenarios and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            Input::GpuRent => "gpu_rent",
            Input::ContractPrice => "contract_price",
            Input::EnergyPrice => "energy_price",
            Input::GpuCapex => "gpu_capex",
            Input::FacilityCapex => "facility_capex",
            Input::Opex => "opex",
            Input::BaseRate => "base_rate",
            Input::PermitDelay => "permit_delay_months",
            Input::GridDelay => "grid_delay_months",
            Input::ConstructionDelay => "construction_delay_months",
            Input::GpuDelay => "gpu_delay_months",
            Input::Demand => "demand",
        }
    }

    /// The input called `name`.
    pub fn parse(name: &str) -> Option<Input> {
        Input::ALL.into_iter().find(|i| i.name() == name)
    }

    /// How its value applies.
    pub fn change(self) -> Change {
        match self {
            Input::BaseRate => Change::Rate,
            Input::PermitDelay | Input::GridDelay | Input::ConstructionDelay | Input::GpuDelay => {
                Change::Months
            }
            _ => Change::Relative,
        }
    }

    /// What it moves, in words.
    pub fn meaning(self) -> &'static str {
        match self {
            Input::GpuRent => {
                "every market GPU-hour price (merchant revenue) and the token price; contract prices hold"
            }
            Input::ContractPrice => "the price of every offtake contract",
            Input::EnergyPrice => "every grid and on-site energy price",
            Input::GpuCapex => "the price per GPU of every cluster and refresh",
            Input::FacilityCapex => "the capex of halls, on-site power plants and land",
            Input::Opex => "maintenance, insurance, staff and network costs",
            Input::BaseRate => "the base interest rate of both facilities",
            Input::PermitDelay => "months added to every site's permit",
            Input::GridDelay => "months added to every grid connection's queue wait",
            Input::ConstructionDelay => {
                "months added to every hall phase's and on-site plant's build time"
            }
            Input::GpuDelay => "months added to every GPU order's lead time",
            Input::Demand => "inference tokens per day and training runs per year",
        }
    }

    /// The unit of its value.
    pub fn unit(self) -> &'static str {
        match self.change() {
            Change::Relative => "fraction (−0.4: 40 % lower)",
            Change::Rate => "fraction per year added (0.04: +4 points)",
            Change::Months => "months added",
        }
    }

    /// Keys of `data/defaults.csv` holding its default range.
    pub fn default_keys(self) -> (String, String) {
        (
            format!("sensitivity_{}_low", self.name()),
            format!("sensitivity_{}_high", self.name()),
        )
    }

    /// Whether `value` is one this input can take.
    pub fn accepts(self, value: f64) -> bool {
        value.is_finite() && (self.change() != Change::Relative || value > -1.0)
    }

    /// `value` in words: "−40 %", "+4.00 points", "+6.0 months".
    pub fn describe(self, value: f64) -> String {
        let sign = if value < 0.0 { "−" } else { "+" };
        match self.change() {
            Change::Relative => format!("{sign}{} %", trim(value.abs() * 100.0)),
            Change::Rate => format!("{sign}{} points", trim(value.abs() * 100.0)),
            Change::Months => format!("{sign}{} months", trim(value.abs())),
        }
    }
}

/// Up to two decimals, trailing zeros dropped ("40", "2.5", "0.25").
fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The range a tornado moves an input over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// The input.
    pub input: Input,
    /// Low end of its change.
    pub low: f64,
    /// High end of its change.
    pub high: f64,
}

/// A named case: a set of input changes, and named overrides applied when the scenario is loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseSpec {
    /// Name (`downside`, `upside`, `combined`…).
    pub name: String,
    /// What it represents.
    pub description: String,
    /// Input changes, in the order of [`Input::ALL`].
    pub changes: Vec<(Input, f64)>,
    /// Names of `[overrides.NAME]` tables the case applies.
    pub overrides: Vec<String>,
}

impl CaseSpec {
    /// The changes in words: "gpu_rent −10 %, base_rate +4 points".
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .changes
            .iter()
            .map(|(i, v)| format!("{} {}", i.name(), i.describe(*v)))
            .collect();
        parts.extend(self.overrides.iter().map(|o| format!("override `{o}`")));
        if parts.is_empty() {
            "no change".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

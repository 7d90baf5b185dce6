//! Simulated time: whole hours since the scenario's start date.
//!
//! An hour serves both ends of what the engine models: multi-year milestones (a 30-year horizon is
//! 262,980 hours) and cluster failures and repairs (hours to days). Integers keep ordering exact and
//! outputs identical across platforms.

use crate::units::Date;

/// Average hours in a Gregorian month: 365.2425 days × 24 h / 12.
pub const HOURS_PER_MONTH: f64 = 730.485;

/// A point in simulated time [hours since the scenario start].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub i64);

impl SimTime {
    /// The scenario start.
    pub const ZERO: SimTime = SimTime(0);

    /// The time of midnight at the start of `date`, for a scenario starting on `start`.
    pub fn from_date(date: Date, start: Date) -> Self {
        SimTime((date.days_since_epoch() - start.days_since_epoch()) * 24)
    }

    /// This time plus a duration in months (as sampled from a scenario), rounded to the hour.
    /// Negative durations count as zero: time never goes back.
    #[must_use]
    pub fn after_months(self, months: f64) -> Self {
        SimTime(self.0 + hours(months))
    }

    /// Months since the scenario start.
    pub fn months(self) -> f64 {
        self.0 as f64 / HOURS_PER_MONTH
    }

    /// The calendar date this time falls on, for a scenario starting on `start`.
    pub fn date(self, start: Date) -> Date {
        let days = self.0.div_euclid(24);
        Date::from_days_since_epoch(start.days_since_epoch() + days)
    }
}

/// A duration in months as whole hours, rounded; never negative.
pub fn hours(months: f64) -> i64 {
    if months.is_finite() && months > 0.0 {
        (months * HOURS_PER_MONTH).round() as i64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_convert_both_ways() {
        let start = Date::new(2026, 7, 1).expect("valid");
        let date = Date::new(2028, 2, 29).expect("valid");
        let t = SimTime::from_date(date, start);
        assert_eq!(t.date(start), date);
        assert_eq!(
            SimTime::ZERO.after_months(12.0).date(start),
            Date::new(2027, 7, 1).expect("valid")
        );
        assert_eq!(SimTime::ZERO.after_months(-3.0), SimTime::ZERO);
    }
}

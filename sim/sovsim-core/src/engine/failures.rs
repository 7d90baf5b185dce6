//! GPU failures and repairs tallied a month at a time: the law of a day-by-day process, with work
//! in proportion to months rather than days.
//!
//! The process it reproduces (and the test module simulates day by day, to prove it): while a
//! cluster has E energised GPUs, each day since its count last changed ends with N ~ Poisson(r·E)
//! failures, r the catalog's rate per GPU-day; the day's failed GPUs are repaired together after
//! one drawn repair time R (whole hours, at least one). When the count falls (GPUs retire), GPUs
//! in repair beyond the new count retire with them. A cluster's count of energised GPUs does not
//! depend on its failures, so a month's failures can be drawn once the month is over, from the
//! counts it had:
//!
//! - Days whose repairs surely end before the month does ("interior" days: more than the repair
//!   law's upper bound before its end, or before a fall in the count) are drawn together: their
//!   failures are one Poisson count of mean Σ r·E (a sum of Poisson counts), and the GPU-hours
//!   their repairs took, given that count, a gamma law with the exact conditional mean and
//!   variance (the failures fall on the days as a multinomial, each day's GPUs share one repair
//!   time), or, for a few failures, drawn exactly failure by failure.
//! - The last days (within the repair law's upper bound of the month's end) are drawn one by one:
//!   a repair time each, and for the days whose repair outlasts the month, their count. Those
//!   GPUs stay in repair into the next month with their own return time, so the GPUs in repair at
//!   a month's end and the hours they take in the next month are exact.
//!
//! Failures counted and GPUs in repair at month ends are therefore drawn exactly from the daily
//! law; GPU-hours lost are exact but for the gamma law of the interior days' repairs when more than
//! [`EXACT_FAILURES`] of them fail. The test module compares both with the daily process by
//! two-sample Kolmogorov–Smirnov tests over thousands of replications.

use rand_distr::{Distribution as _, Gamma, Poisson};

use super::random::Stream;
use super::sample::FactorDraws;
use super::time::SimTime;
use crate::model::{Distribution, Uncertain};

/// Hours in a day: failures are days' tallies, as the catalog's rate is per GPU-day.
pub const DAY_HOURS: i64 = 24;

/// Up to this many failures of a month's interior days, their repairs are drawn one by one; above
/// it, the GPU-hours they take come from a gamma law with the same mean and variance.
pub const EXACT_FAILURES: u64 = 24;

/// One cluster's repair time in one replication: a draw per day with failures, or, when a risk
/// factor drives it, the one value the replication's factor gives.
#[derive(Clone, Debug)]
pub struct RepairLaw {
    dist: Distribution,
    fixed_hours: Option<i64>,
    mean_hours: f64,
    second_moment_hours: f64,
    upper_hours: i64,
}

/// A repair time in days as the engine books it: whole hours, at least one.
fn hours_of(days: f64) -> i64 {
    (days * DAY_HOURS as f64).round().max(1.0) as i64
}

impl RepairLaw {
    /// The law of `repair_days` in a replication whose risk factors are `factors`.
    pub fn new(repair_days: &Uncertain, factors: &FactorDraws) -> Self {
        let fixed = match repair_days.factor.and_then(|f| factors.uniform(f.index())) {
            Some(u) => Some(repair_days.dist.quantile(u)),
            None => match repair_days.dist {
                Distribution::Fixed(v) => Some(v),
                _ => None,
            },
        };
        match fixed {
            Some(days) => {
                let h = hours_of(days);
                Self {
                    dist: Distribution::Fixed(days),
                    fixed_hours: Some(h),
                    mean_hours: h as f64,
                    second_moment_hours: (h * h) as f64,
                    upper_hours: h,
                }
            }
            None => {
                let (mean, second) = repair_days.dist.moments();
                let day = DAY_HOURS as f64;
                Self {
                    dist: repair_days.dist.clone(),
                    fixed_hours: None,
                    mean_hours: mean * day,
                    second_moment_hours: second * day * day,
                    upper_hours: hours_of(repair_days.dist.upper()),
                }
            }
        }
    }

    /// A repair time [hours].
    fn draw(&self, stream: &mut Stream) -> i64 {
        self.fixed_hours
            .unwrap_or_else(|| hours_of(self.dist.quantile(stream.uniform())))
    }
}

/// What a cluster's failures did in one month.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tally {
    /// GPUs that failed in the month.
    pub failed: u64,
    /// Failed GPUs back in service in the month (those that retired in repair are not).
    pub repaired: u64,
    /// GPU-hours GPUs spent in repair in the month.
    pub gpu_hours_lost: f64,
    /// GPUs in repair at the month's end.
    pub in_repair: u64,
}

/// A stretch of constant energised count; its days are counted from `origin`, when it last changed.
#[derive(Clone, Copy, Debug)]
struct Segment {
    start: i64,
    energised: u64,
    origin: i64,
}

/// A day's failed GPUs still in repair at the last month's end, or failed in this month's last days.
#[derive(Clone, Copy, Debug)]
struct Open {
    failed_at: i64,
    returns_at: i64,
    gpus: u64,
    /// Retired in repair: they leave the count without coming back.
    retired: bool,
}

/// Days drawn together: `days` days at `per_day` failures expected each, repaired after the
/// repair law's draw (`None`) or after a repair time already drawn.
#[derive(Clone, Copy, Debug)]
struct Days {
    per_day: f64,
    days: u64,
    repair_hours: Option<f64>,
}

/// One cluster's failures and repairs since the last month's end.
#[derive(Clone, Debug, Default)]
pub struct ClusterFailures {
    segments: Vec<Segment>,
    open: Vec<Open>,
    // Scratch of one tally, kept so that a month allocates nothing: the days drawn together, and
    // the day each of their few failures fell on.
    closed: Vec<Days>,
    picks: Vec<(usize, u64)>,
}

impl ClusterFailures {
    /// The cluster's energised count became `energised` at `t`: its days count from `t` on.
    pub fn energised(&mut self, t: SimTime, energised: u64) {
        let segment = Segment {
            start: t.0,
            energised,
            origin: t.0,
        };
        match self.segments.last_mut() {
            Some(last) if last.start == t.0 => *last = segment,
            _ => self.segments.push(segment),
        }
    }

    /// GPUs in repair now (as of the last tally).
    pub fn in_repair(&self) -> u64 {
        self.open.iter().map(|o| o.gpus).sum()
    }

    /// Draws the month from `from` to `to` (its end included): failures at `rate_per_gpu_day`,
    /// repairs from `law`, counts and day allocations from `failure`, repair times from `repair`.
    pub fn tally(
        &mut self,
        from: SimTime,
        to: SimTime,
        rate_per_gpu_day: f64,
        law: &RepairLaw,
        failure: &mut Stream,
        repair: &mut Stream,
    ) -> Tally {
        let (a, b) = (from.0, to.0);
        let mut tally = Tally::default();
        self.closed.clear();
        let rate = if rate_per_gpu_day.is_finite() && rate_per_gpu_day > 0.0 {
            rate_per_gpu_day
        } else {
            0.0
        };
        for i in 0..self.segments.len() {
            let seg = self.segments[i];
            let next = self.segments.get(i + 1).copied();
            let end = next.map_or(b, |n| n.start.min(b));
            let falls = next.filter(|n| n.energised < seg.energised);
            if seg.energised > 0 && rate > 0.0 {
                let per_day = rate * seg.energised as f64;
                let lo = seg.start.max(a);
                // Days end at origin + 24k, k ≥ 1; those in (lo, end] belong to this stretch.
                let first = (lo - seg.origin).div_euclid(DAY_HOURS) + 1;
                let last = (end - seg.origin).div_euclid(DAY_HOURS);
                if last >= first {
                    // Repairs must end by the month's end, or by a fall in the count.
                    let horizon = if falls.is_some() { end } else { b };
                    let tail = ((horizon - law.upper_hours - seg.origin).div_euclid(DAY_HOURS) + 1)
                        .clamp(first, last + 1);
                    if tail > first {
                        self.closed.push(Days {
                            per_day,
                            days: (tail - first) as u64,
                            repair_hours: None,
                        });
                    }
                    // Set up on the first day that needs a count: most days only draw a repair.
                    let mut poisson = None;
                    for k in tail..=last {
                        let t = seg.origin + k * DAY_HOURS;
                        let r = law.draw(repair);
                        if t + r <= horizon {
                            self.closed.push(Days {
                                per_day,
                                days: 1,
                                repair_hours: Some(r as f64),
                            });
                        } else {
                            let n = poisson
                                .get_or_insert_with(|| Poisson::new(per_day).ok())
                                .map_or(0, |p| p.sample(failure.rng()) as u64);
                            if n > 0 {
                                tally.failed += n;
                                self.open.push(Open {
                                    failed_at: t,
                                    returns_at: t + r,
                                    gpus: n,
                                    retired: false,
                                });
                            }
                        }
                    }
                }
            }
            if let Some(n) = falls {
                self.retire_in_repair(end, n.energised);
            }
        }
        let (failed, lost) = self.draw_closed(law, failure, repair);
        tally.failed += failed;
        tally.repaired += failed;
        tally.gpu_hours_lost += lost;
        for o in &self.open {
            let overlap = (o.returns_at.min(b) - o.failed_at.max(a)).max(0);
            tally.gpu_hours_lost += (o.gpus * overlap as u64) as f64;
            if o.returns_at <= b && !o.retired {
                tally.repaired += o.gpus;
            }
        }
        self.open.retain(|o| o.returns_at > b);
        tally.in_repair = self.in_repair();
        if let Some(last) = self.segments.last().copied() {
            self.segments.clear();
            self.segments.push(Segment { start: b, ..last });
        }
        tally
    }

    /// At a fall to `energised` at `t`, GPUs in repair beyond it retire (the latest back first).
    fn retire_in_repair(&mut self, t: i64, energised: u64) {
        let active = |o: &Open| o.failed_at <= t && o.returns_at > t && !o.retired;
        let in_repair: u64 = self.open.iter().filter(|o| active(o)).map(|o| o.gpus).sum();
        let mut excess = in_repair.saturating_sub(energised);
        if excess == 0 {
            return;
        }
        self.open.sort_by_key(|o| std::cmp::Reverse(o.returns_at));
        let mut split = Vec::new();
        for o in self.open.iter_mut().filter(|o| active(o)) {
            if excess == 0 {
                break;
            }
            let take = excess.min(o.gpus);
            excess -= take;
            o.gpus -= take;
            split.push(Open {
                failed_at: o.failed_at,
                returns_at: t,
                gpus: take,
                retired: true,
            });
        }
        self.open.retain(|o| o.gpus > 0);
        self.open.extend(split);
    }

    /// The failures of the days drawn together, and the GPU-hours their repairs took.
    fn draw_closed(
        &mut self,
        law: &RepairLaw,
        failure: &mut Stream,
        repair: &mut Stream,
    ) -> (u64, f64) {
        let total: f64 = self.closed.iter().map(|d| d.per_day * d.days as f64).sum();
        if total <= 0.0 {
            return (0, 0.0);
        }
        let failed = Poisson::new(total).map_or(0, |p| p.sample(failure.rng()) as u64);
        if failed == 0 {
            return (0, 0.0);
        }
        if failed <= EXACT_FAILURES {
            // Each failure falls on a day in proportion to its expected count; a day's GPUs share
            // one repair time.
            self.picks.clear();
            for _ in 0..failed {
                let mut u = failure.uniform() * total;
                let mut pick = (self.closed.len() - 1, 0);
                for (g, d) in self.closed.iter().enumerate() {
                    let w = d.per_day * d.days as f64;
                    if u < w {
                        let day = ((u / d.per_day) as u64).min(d.days - 1);
                        pick = (g, day);
                        break;
                    }
                    u -= w;
                }
                self.picks.push(pick);
            }
            self.picks.sort_unstable();
            let mut lost = 0.0;
            let mut k = 0;
            while k < self.picks.len() {
                let (g, day) = self.picks[k];
                let same = self.picks[k..]
                    .iter()
                    .take_while(|p| **p == (g, day))
                    .count();
                let r = self.closed[g]
                    .repair_hours
                    .unwrap_or_else(|| law.draw(repair) as f64);
                lost += same as f64 * r;
                k += same;
            }
            return (failed, lost);
        }
        // Given the count F, the days' counts are multinomial (p per day = its share of the mean),
        // each day's GPUs share one repair time: E[L | F] = F Σ p m, and
        // Var[L | F] = Σ_undrawn E[N²|F] σ² + F (Σ p m² − (Σ p m)²).
        let f = failed as f64;
        let variance_r = (law.second_moment_hours - law.mean_hours * law.mean_hours).max(0.0);
        let (mut mean_r, mut second_r, mut spread) = (0.0, 0.0, 0.0);
        for d in &self.closed {
            let p = d.per_day / total;
            let m = d.repair_hours.unwrap_or(law.mean_hours);
            let n = d.days as f64;
            mean_r += n * p * m;
            second_r += n * p * m * m;
            if d.repair_hours.is_none() {
                spread += n * (f * p * (1.0 - p) + f * f * p * p) * variance_r;
            }
        }
        let mean = f * mean_r;
        let variance = spread + f * (second_r - mean_r * mean_r).max(0.0);
        let lost = if variance > 0.0 && mean > 0.0 {
            Gamma::new(mean * mean / variance, variance / mean)
                .map_or(mean, |g| g.sample(repair.rng()))
        } else {
            mean
        };
        (failed, lost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The daily process the tally reproduces, simulated day by day for one cluster whose
    /// energised count follows `path` (time, count): one Poisson count per day, one repair time
    /// per day with failures, GPUs in repair retired at a fall in the count, latest back first.
    fn daily(
        path: &[(i64, u64)],
        months: usize,
        rate: f64,
        law: &RepairLaw,
        failure: &mut Stream,
        repair: &mut Stream,
    ) -> Vec<Tally> {
        let bound = |m: usize| SimTime::ZERO.after_months(m as f64).0;
        let horizon = bound(months);
        // (failed at, back at, GPUs, retired)
        let mut days: Vec<(i64, i64, u64, bool)> = Vec::new();
        for (i, &(start, e)) in path.iter().enumerate() {
            let end = path.get(i + 1).map_or(horizon, |n| n.0);
            if e > 0 {
                let poisson = Poisson::new(rate * e as f64).ok();
                let mut t = start + DAY_HOURS;
                while t <= end {
                    let n = poisson.map_or(0, |p| p.sample(failure.rng()) as u64);
                    if n > 0 {
                        days.push((t, t + law.draw(repair), n, false));
                    }
                    t += DAY_HOURS;
                }
            }
            if let Some(&(_, next)) = path.get(i + 1) {
                let active = |d: &(i64, i64, u64, bool)| d.0 <= end && d.1 > end && !d.3;
                let in_repair: u64 = days.iter().filter(|d| active(d)).map(|d| d.2).sum();
                let mut excess = in_repair.saturating_sub(next);
                days.sort_by_key(|d| std::cmp::Reverse(d.1));
                let mut split = Vec::new();
                for d in days.iter_mut().filter(|d| active(d)) {
                    let take = excess.min(d.2);
                    excess -= take;
                    d.2 -= take;
                    if take > 0 {
                        split.push((d.0, end, take, true));
                    }
                }
                days.extend(split);
            }
        }
        (0..months)
            .map(|m| {
                let (a, b) = (bound(m), bound(m + 1));
                let mut t = Tally::default();
                for &(f, r, n, retired) in &days {
                    if f > a && f <= b {
                        t.failed += n;
                    }
                    t.gpu_hours_lost += (n * (r.min(b) - f.max(a)).max(0) as u64) as f64;
                    if r > a && r <= b && !retired {
                        t.repaired += n;
                    }
                    if f <= b && r > b {
                        t.in_repair += n;
                    }
                }
                t
            })
            .collect()
    }

    fn monthly(
        path: &[(i64, u64)],
        months: usize,
        rate: f64,
        law: &RepairLaw,
        failure: &mut Stream,
        repair: &mut Stream,
    ) -> Vec<Tally> {
        let bound = |m: usize| SimTime::ZERO.after_months(m as f64);
        let mut c = ClusterFailures::default();
        let mut next = 0;
        (0..months)
            .map(|m| {
                while next < path.len() && path[next].0 <= bound(m + 1).0 {
                    c.energised(SimTime(path[next].0), path[next].1);
                    next += 1;
                }
                c.tally(bound(m), bound(m + 1), rate, law, failure, repair)
            })
            .collect()
    }

    /// The two-sample Kolmogorov–Smirnov statistic: the largest gap between the empirical CDFs.
    fn ks(mut x: Vec<f64>, mut y: Vec<f64>) -> f64 {
        x.sort_by(f64::total_cmp);
        y.sort_by(f64::total_cmp);
        let (n, m) = (x.len() as f64, y.len() as f64);
        let (mut i, mut j, mut d) = (0, 0, 0.0f64);
        while i < x.len() && j < y.len() {
            let v = x[i].min(y[j]);
            while i < x.len() && x[i] <= v {
                i += 1;
            }
            while j < y.len() && y[j] <= v {
                j += 1;
            }
            d = d.max((i as f64 / n - j as f64 / m).abs());
        }
        d
    }

    /// Kolmogorov's critical value at level `alpha` for samples of `n` and `n`.
    fn critical(alpha: f64, n: usize) -> f64 {
        (-(alpha / 2.0).ln() / 2.0).sqrt() * (2.0 / n as f64).sqrt()
    }

    fn repair_law(spread: bool) -> RepairLaw {
        let dist = if spread {
            Distribution::Triangular {
                min: 1.0,
                mode: 3.0,
                max: 14.0,
            }
        } else {
            Distribution::Fixed(3.0)
        };
        RepairLaw::new(
            &Uncertain { dist, factor: None },
            &FactorDraws::draw(0, None, &mut Stream::new(0, 0, "copula", "none")),
        )
    }

    type Process =
        fn(&[(i64, u64)], usize, f64, &RepairLaw, &mut Stream, &mut Stream) -> Vec<Tally>;

    /// Per month, the failures, GPU-hours lost and GPUs in repair of `runs` replications.
    fn samples(
        process: Process,
        path: &[(i64, u64)],
        months: usize,
        runs: u64,
    ) -> Vec<[Vec<f64>; 3]> {
        let law = repair_law(true);
        let mut out = vec![[Vec::new(), Vec::new(), Vec::new()]; months];
        for r in 0..runs {
            let mut failure = Stream::new(11, r, "failure", "c");
            let mut repair = Stream::new(11, r, "repair", "c");
            for (m, t) in process(path, months, 0.00047, &law, &mut failure, &mut repair)
                .into_iter()
                .enumerate()
            {
                out[m][0].push(t.failed as f64);
                out[m][1].push(t.gpu_hours_lost);
                out[m][2].push(t.in_repair as f64);
            }
        }
        out
    }

    /// Energised paths: a 60,000-GPU cluster energised in three tranches, two of them mid-month,
    /// then retiring them, the last to nothing; a 2,000-GPU and a 150-GPU cluster (whose months
    /// have a handful of failures, drawn exactly).
    fn paths() -> Vec<(&'static str, Vec<(i64, u64)>)> {
        vec![
            (
                "60,000 GPUs in tranches",
                vec![
                    (100, 20_000),
                    (1_000, 40_000),
                    (2_300, 60_000),
                    (4_000, 40_000),
                    (5_500, 0),
                ],
            ),
            ("2,000 GPUs", vec![(50, 2_000)]),
            ("150 GPUs", vec![(0, 150)]),
        ]
    }

    const MONTHS: usize = 9;
    const RUNS: u64 = 3_000;

    #[test]
    fn monthly_tallies_have_the_law_of_the_daily_process() {
        // 3 paths × 9 months × 3 statistics: a family level of 1 % split evenly (Bonferroni).
        let tests = (paths().len() * MONTHS * 3) as f64;
        let limit = critical(0.01 / tests, RUNS as usize);
        for (name, path) in paths() {
            let day = samples(daily, &path, MONTHS, RUNS);
            let month = samples(monthly, &path, MONTHS, RUNS);
            for m in 0..MONTHS {
                for (k, what) in ["failures", "GPU-hours lost", "GPUs in repair"]
                    .iter()
                    .enumerate()
                {
                    let d = ks(day[m][k].clone(), month[m][k].clone());
                    assert!(
                        d <= limit,
                        "{name}, month {m}, {what}: KS {d:.4} > {limit:.4}"
                    );
                }
            }
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            let lost_day: f64 = day.iter().map(|s| mean(&s[1])).sum();
            let lost_month: f64 = month.iter().map(|s| mean(&s[1])).sum();
            assert!(
                (lost_day - lost_month).abs() <= 0.01 * lost_day,
                "{name}: mean GPU-hours lost {lost_day:.0} daily, {lost_month:.0} monthly"
            );
        }
    }

    /// Repairs drawn per GPU rather than per day: a different law the test must tell apart.
    fn per_gpu_repairs(
        path: &[(i64, u64)],
        months: usize,
        rate: f64,
        law: &RepairLaw,
        failure: &mut Stream,
        repair: &mut Stream,
    ) -> Vec<Tally> {
        let mut tallies = monthly(path, months, rate, law, failure, repair);
        let mean = law.mean_hours;
        for t in &mut tallies {
            // Same failures, repairs averaging out over GPUs: lost hours near F × mean.
            t.gpu_hours_lost = t.failed as f64 * mean;
        }
        tallies
    }

    #[test]
    fn the_test_tells_a_different_repair_law_apart() {
        let path = vec![(0, 60_000)];
        let day = samples(daily, &path, 3, RUNS);
        let wrong = samples(per_gpu_repairs, &path, 3, RUNS);
        let d = ks(day[1][1].clone(), wrong[1][1].clone());
        assert!(d > critical(0.001, RUNS as usize), "KS {d:.4}");
    }

    #[test]
    fn a_fixed_repair_time_keeps_every_failure_in_repair_that_long() {
        let law = repair_law(false);
        let path = [(0, 10_000)];
        let mut failure = Stream::new(1, 0, "failure", "c");
        let mut repair = Stream::new(1, 0, "repair", "c");
        let tallies = monthly(&path, 12, 0.00047, &law, &mut failure, &mut repair);
        let failed: u64 = tallies.iter().map(|t| t.failed).sum();
        let lost: f64 = tallies.iter().map(|t| t.gpu_hours_lost).sum();
        let still = tallies.last().map_or(0, |t| t.in_repair);
        let repaired: u64 = tallies.iter().map(|t| t.repaired).sum();
        // Every failed GPU is repaired or still in repair; each took 72 hours, or part of them.
        assert_eq!(failed, repaired + still);
        assert!(
            lost <= (failed * 72) as f64 && lost >= (repaired * 72) as f64,
            "{lost}"
        );
    }
}

//! Uncertain figures: a distribution, optionally driven by a risk factor, and its inverse CDF.
//!
//! Everything that reads a distribution — the engine's samples, the lender's base case at the
//! medians, the optimiser's planning quantiles, the assumptions table — goes through
//! [`Distribution::quantile`], so that they agree.

use statrs::distribution::{Beta, ContinuousCDF, Normal};

use super::FactorId;

/// Φ⁻¹(0.9): how many standard deviations the 90th percentile lies above the median.
const Z90: f64 = 1.281_551_565_544_600_5;

fn standard_normal() -> Normal {
    // Mean 0 and standard deviation 1 are always valid parameters.
    Normal::standard()
}

/// A figure that may be uncertain, optionally driven by a risk factor.
#[derive(Clone, Debug, PartialEq)]
pub struct Uncertain {
    /// Its distribution.
    pub dist: Distribution,
    /// Risk factor driving it, for correlation.
    pub factor: Option<FactorId>,
}

impl Uncertain {
    /// A figure known for certain.
    pub fn fixed(value: f64) -> Self {
        Self {
            dist: Distribution::Fixed(value),
            factor: None,
        }
    }
}

/// A probability distribution, parameters validated (finite, ordered).
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// Always this value.
    Fixed(f64),
    /// Uniform on [min, max].
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Triangular.
    Triangular {
        /// Lower bound.
        min: f64,
        /// Most likely.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// Beta-PERT.
    Pert {
        /// Lower bound.
        min: f64,
        /// Most likely.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// Lognormal given by its median and 90th percentile.
    LogNormal {
        /// Median.
        p50: f64,
        /// 90th percentile.
        p90: f64,
    },
}

impl Distribution {
    /// The value at probability `u` ∈ (0, 1): the inverse CDF, the one every sample, median and
    /// base case goes through.
    pub fn quantile(&self, u: f64) -> f64 {
        match *self {
            Distribution::Fixed(v) => v,
            Distribution::Uniform { min, max } => min + u * (max - min),
            Distribution::Triangular { min, mode, max } => {
                if max == min {
                    return min;
                }
                let cut = (mode - min) / (max - min);
                if u < cut {
                    min + (u * (max - min) * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - u) * (max - min) * (max - mode)).sqrt()
                }
            }
            Distribution::Pert { min, mode, max } => {
                if max == min {
                    return min;
                }
                let alpha = 1.0 + 4.0 * (mode - min) / (max - min);
                let beta = 1.0 + 4.0 * (max - mode) / (max - min);
                // α, β ≥ 1 by construction (min ≤ mode ≤ max is checked when loading), so Beta is valid.
                match Beta::new(alpha, beta) {
                    Ok(b) => min + (max - min) * b.inverse_cdf(u),
                    Err(_) => mode,
                }
            }
            Distribution::LogNormal { p50, p90 } => {
                let sigma = (p90.ln() - p50.ln()) / Z90;
                (p50.ln() + sigma * standard_normal().inverse_cdf(u)).exp()
            }
        }
    }

    /// Every value multiplied by `k` (≥ 0): a lognormal's median and P90 scale with it exactly.
    pub fn scaled(&self, k: f64) -> Distribution {
        match *self {
            Distribution::Fixed(v) => Distribution::Fixed(v * k),
            Distribution::Uniform { min, max } => Distribution::Uniform {
                min: min * k,
                max: max * k,
            },
            Distribution::Triangular { min, mode, max } => Distribution::Triangular {
                min: min * k,
                mode: mode * k,
                max: max * k,
            },
            Distribution::Pert { min, mode, max } => Distribution::Pert {
                min: min * k,
                mode: mode * k,
                max: max * k,
            },
            Distribution::LogNormal { p50, p90 } if k > 0.0 => Distribution::LogNormal {
                p50: p50 * k,
                p90: p90 * k,
            },
            Distribution::LogNormal { .. } => Distribution::Fixed(0.0),
        }
    }

    /// Every value moved by `d`, never below zero (a duration). A lognormal keeps its shape in
    /// its median and P90, which both move by `d` (so its median moves exactly).
    pub fn shifted(&self, d: f64) -> Distribution {
        let at = |x: f64| (x + d).max(0.0);
        match *self {
            Distribution::Fixed(v) => Distribution::Fixed(at(v)),
            Distribution::Uniform { min, max } => Distribution::Uniform {
                min: at(min),
                max: at(max),
            },
            Distribution::Triangular { min, mode, max } => Distribution::Triangular {
                min: at(min),
                mode: at(mode),
                max: at(max),
            },
            Distribution::Pert { min, mode, max } => Distribution::Pert {
                min: at(min),
                mode: at(mode),
                max: at(max),
            },
            Distribution::LogNormal { p50, p90 } if p50 + d > 0.0 => Distribution::LogNormal {
                p50: p50 + d,
                p90: p90 + d,
            },
            Distribution::LogNormal { .. } => Distribution::Fixed(0.0),
        }
    }

    /// The median (the P50): the inverse CDF at one half, so that every reader of a median — the
    /// base case, the optimiser, the inventory, the delay a GPU was promised — agrees.
    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    /// The mean and the second moment E[X²], in closed form: what a sum of many draws is
    /// approximated by when drawing each would cost too much (the failure process's repairs).
    pub fn moments(&self) -> (f64, f64) {
        let (mean, variance) = match *self {
            Distribution::Fixed(v) => (v, 0.0),
            Distribution::Uniform { min, max } => ((min + max) / 2.0, (max - min).powi(2) / 12.0),
            Distribution::Triangular { min, mode, max } => (
                (min + mode + max) / 3.0,
                (min * min + mode * mode + max * max - min * mode - min * max - mode * max) / 18.0,
            ),
            Distribution::Pert { min, mode, max } => {
                if max == min {
                    (min, 0.0)
                } else {
                    let alpha = 1.0 + 4.0 * (mode - min) / (max - min);
                    let beta = 1.0 + 4.0 * (max - mode) / (max - min);
                    let sum = alpha + beta;
                    (
                        min + (max - min) * alpha / sum,
                        (max - min).powi(2) * alpha * beta / (sum * sum * (sum + 1.0)),
                    )
                }
            }
            Distribution::LogNormal { p50, p90 } => {
                let sigma = (p90.ln() - p50.ln()) / Z90;
                let mean = (p50.ln() + sigma * sigma / 2.0).exp();
                (mean, mean * mean * ((sigma * sigma).exp() - 1.0))
            }
        };
        (mean, variance + mean * mean)
    }

    /// The largest value, or for an unbounded law the quantile at 1 − 10⁻⁹: a value a draw
    /// exceeds once in a billion at most.
    pub fn upper(&self) -> f64 {
        match *self {
            Distribution::Fixed(v) => v,
            Distribution::Uniform { max, .. }
            | Distribution::Triangular { max, .. }
            | Distribution::Pert { max, .. } => max,
            Distribution::LogNormal { .. } => self.quantile(1.0 - 1e-9),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Distribution;

    #[test]
    fn medians_of_symmetric_distributions_are_their_centre() {
        let centre = [
            Distribution::Uniform { min: 2.0, max: 6.0 },
            Distribution::Triangular {
                min: 2.0,
                mode: 4.0,
                max: 6.0,
            },
            Distribution::Pert {
                min: 2.0,
                mode: 4.0,
                max: 6.0,
            },
        ];
        for d in centre {
            assert!((d.median() - 4.0).abs() < 1e-12, "{d:?}");
        }
    }

    #[test]
    fn skewed_medians_lie_between_mode_and_mean() {
        // Right-skewed schedule: the median sits above the mode and below the mean.
        let (min, mode, max) = (12.0, 18.0, 36.0);
        let tri = Distribution::Triangular { min, mode, max }.median();
        assert!(tri > mode && tri < (min + mode + max) / 3.0, "{tri}");
        let pert = Distribution::Pert { min, mode, max }.median();
        assert!(
            pert > mode && pert < (min + 4.0 * mode + max) / 6.0,
            "{pert}"
        );
    }

    #[test]
    fn quantiles_hit_their_defining_points() {
        let ln = Distribution::LogNormal {
            p50: 10.0,
            p90: 20.0,
        };
        assert!((ln.quantile(0.5) - 10.0).abs() < 1e-9);
        assert!((ln.quantile(0.9) - 20.0).abs() < 1e-6);
        let tri = Distribution::Triangular {
            min: 0.0,
            mode: 3.0,
            max: 10.0,
        };
        assert!(
            (tri.quantile(0.3) - 3.0).abs() < 1e-12,
            "the CDF at the mode is (mode-min)/(max-min)"
        );
        let pert = Distribution::Pert {
            min: 12.0,
            mode: 18.0,
            max: 36.0,
        };
        // Kerman's approximation of a Beta median, (α − 1/3) / (α + β − 2/3), is within 1 % of it.
        let (alpha, beta): (f64, f64) = (1.0 + 4.0 * 6.0 / 24.0, 1.0 + 4.0 * 18.0 / 24.0);
        let kerman = 12.0 + 24.0 * (alpha - 1.0 / 3.0) / (alpha + beta - 2.0 / 3.0);
        assert!((pert.median() - kerman).abs() / kerman < 0.01);
        assert_eq!(pert.median(), pert.quantile(0.5), "one inverse CDF");
        assert_eq!(
            Distribution::Uniform { min: 2.0, max: 4.0 }.quantile(0.25),
            2.5
        );
    }

    #[test]
    fn moments_in_closed_form_are_those_of_the_inverse_cdf() {
        let dists = [
            Distribution::Fixed(3.0),
            Distribution::Uniform { min: 1.0, max: 3.0 },
            Distribution::Triangular {
                min: 1.0,
                mode: 3.0,
                max: 14.0,
            },
            Distribution::Pert {
                min: 1.0,
                mode: 8.0,
                max: 9.0,
            },
            Distribution::LogNormal { p50: 5.0, p90: 9.0 },
        ];
        for d in dists {
            // Midpoint rule over a million quantiles.
            let n = 1_000_000;
            let (mut m1, mut m2) = (0.0, 0.0);
            for i in 0..n {
                let x = d.quantile((i as f64 + 0.5) / n as f64);
                m1 += x / n as f64;
                m2 += x * x / n as f64;
            }
            let (mean, second) = d.moments();
            assert!((mean - m1).abs() < 1e-4 * m1, "{d:?}: {mean} vs {m1}");
            assert!((second - m2).abs() < 2e-3 * m2, "{d:?}: {second} vs {m2}");
            assert!(d.upper() >= d.quantile(1.0 - 1e-9) - 1e-9, "{d:?}");
        }
    }

    #[test]
    fn quantiles_never_decrease() {
        let dists = [
            Distribution::Uniform { min: 1.0, max: 3.0 },
            Distribution::Triangular {
                min: 1.0,
                mode: 1.5,
                max: 9.0,
            },
            Distribution::Pert {
                min: 1.0,
                mode: 8.0,
                max: 9.0,
            },
            Distribution::LogNormal { p50: 5.0, p90: 9.0 },
        ];
        for d in &dists {
            let values: Vec<f64> = (1..1000)
                .map(|i| d.quantile(f64::from(i) / 1000.0))
                .collect();
            assert!(values.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
        }
    }
}

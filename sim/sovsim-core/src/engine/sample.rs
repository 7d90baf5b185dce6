//! Sampling the scenario's distributions by their inverse CDF, with correlated risk factors.
//!
//! Each replication draws one standard normal per risk factor, correlates them with the Cholesky
//! factor L of the scenario's correlation matrix (z = L·ε) and maps them to uniforms u = Φ(z) — a
//! Gaussian copula. A figure driven by factor f takes its quantile at u_f, so all figures driven by
//! the same factor move together, and figures of correlated factors move in step as the matrix says.
//! A figure with no factor draws its own uniform from its entity's stream.

use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, Normal};

use super::random::Stream;
use crate::model::Uncertain;

fn standard_normal() -> Normal {
    // Mean 0 and standard deviation 1 are always valid parameters.
    Normal::standard()
}

/// The uniforms of the risk factors in one replication.
#[derive(Clone, Debug, PartialEq)]
pub struct FactorDraws {
    uniforms: Vec<f64>,
}

impl FactorDraws {
    /// Draws the factors of one replication: independent normals from `stream`, correlated by
    /// `cholesky` (lower-triangular L with C = L·Lᵀ; `None` means independent factors).
    pub fn draw(factors: usize, cholesky: Option<&DMatrix<f64>>, stream: &mut Stream) -> Self {
        let normal = standard_normal();
        let eps = DVector::from_iterator(
            factors,
            (0..factors).map(|_| normal.inverse_cdf(stream.uniform())),
        );
        let z = match cholesky {
            Some(l) if l.nrows() == factors => l * eps,
            _ => eps,
        };
        // Clamp away from 0 and 1: Φ of a large |z| rounds to them and inverse CDFs would be infinite.
        let uniforms = z
            .iter()
            .map(|z| normal.cdf(*z).clamp(1e-12, 1.0 - 1e-12))
            .collect();
        Self { uniforms }
    }

    /// The uniform of factor `index`.
    pub fn uniform(&self, index: usize) -> Option<f64> {
        self.uniforms.get(index).copied()
    }

    /// A value of `figure`: at its factor's uniform if it has one, else at a fresh draw from `stream`.
    pub fn sample(&self, figure: &Uncertain, stream: &mut Stream) -> f64 {
        let u = match figure.factor.and_then(|f| self.uniform(f.index())) {
            Some(u) => u,
            None => stream.uniform(),
        };
        figure.dist.quantile(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copula_gives_the_requested_correlation() {
        let rho = 0.8;
        let l = nalgebra::Cholesky::new(DMatrix::from_row_slice(2, 2, &[1.0, rho, rho, 1.0]))
            .expect("positive-definite")
            .l();
        let normal = standard_normal();
        let n = 20_000;
        let mut stream = Stream::new(1, 0, "copula", "test");
        let pairs: Vec<(f64, f64)> = (0..n)
            .map(|_| {
                let d = FactorDraws::draw(2, Some(&l), &mut stream);
                let (a, b) = (
                    d.uniform(0).expect("two factors"),
                    d.uniform(1).expect("two factors"),
                );
                (normal.inverse_cdf(a), normal.inverse_cdf(b))
            })
            .collect();
        let mean = |f: &dyn Fn(&(f64, f64)) -> f64| pairs.iter().map(f).sum::<f64>() / n as f64;
        let (ma, mb) = (mean(&|p| p.0), mean(&|p| p.1));
        let cov = mean(&|p| (p.0 - ma) * (p.1 - mb));
        let (va, vb) = (mean(&|p| (p.0 - ma).powi(2)), mean(&|p| (p.1 - mb).powi(2)));
        let r = cov / (va * vb).sqrt();
        assert!((r - rho).abs() < 0.02, "sample correlation {r}");
        assert!(
            ma.abs() < 0.03 && (va - 1.0).abs() < 0.05,
            "standard normal marginals"
        );
    }
}

//! The financial model's inputs, one entry per period (the FAST "inputs" block): revenue, opex and
//! capex by class with its book life, and what follows from them (construction's end, depreciation).

/// A class of capital expenditure, each with its own book life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Land: never depreciated.
    Land,
    /// On-site power plants.
    Power,
    /// Datacenter halls.
    Shell,
    /// GPUs of the initial build.
    Gpus,
    /// GPUs replacing retired ones (after construction, funded from cash flow).
    GpuRefresh,
    /// GPUs a reinvestment rule bought from operating cash: paid below debt service, from what
    /// equity would otherwise receive (or by the sponsors), never from a facility.
    GpuReinvested,
}

impl Class {
    /// Every class, in report order.
    pub const ALL: [Class; 6] = [
        Class::Land,
        Class::Power,
        Class::Shell,
        Class::Gpus,
        Class::GpuRefresh,
        Class::GpuReinvested,
    ];

    /// Name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Class::Land => "land",
            Class::Power => "power",
            Class::Shell => "shell",
            Class::Gpus => "gpus",
            Class::GpuRefresh => "gpu_refresh",
            Class::GpuReinvested => "gpu_reinvested",
        }
    }

    /// Whether this spending belongs to the initial build (and so to construction).
    pub fn initial(self) -> bool {
        !matches!(self, Class::GpuRefresh | Class::GpuReinvested)
    }
}

/// Capital expenditure of one class and book life, per period [EUR].
#[derive(Clone, Debug, PartialEq)]
pub struct CapexLine {
    /// Class.
    pub class: Class,
    /// Book life [years]; `None`: not depreciated.
    pub life_years: Option<f64>,
    /// Spending per period [EUR].
    pub eur: Vec<f64>,
}

impl CapexLine {
    /// Periods of `period_months` months it depreciates over (at least one); `None`: never.
    pub fn life_periods(&self, period_months: u32) -> Option<usize> {
        let per_year = 12.0 / f64::from(period_months);
        self.life_years
            .map(|life| ((life * per_year).round() as usize).max(1))
    }
}

/// The model's inputs, one entry per period (the FAST "inputs" block).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inputs {
    /// Length of a period [months].
    pub period_months: u32,
    /// Capital expenditure.
    pub capex: Vec<CapexLine>,
    /// Revenue earned under contracts (take-or-pay and used GPU-hours × contract price) [EUR].
    pub revenue_contracted_eur: Vec<f64>,
    /// Per contract (scenario order): its revenue [EUR].
    pub revenue_by_contract_eur: Vec<Vec<f64>>,
    /// Per contract (scenario order): GPU-hours it billed.
    pub gpu_hours_by_contract: Vec<Vec<f64>>,
    /// Merchant GPU-hours used × the market price of their generation [EUR].
    pub revenue_merchant_eur: Vec<f64>,
    /// Per SKU (scenario order): its share of `revenue_merchant_eur` [EUR].
    pub revenue_merchant_by_sku_eur: Vec<Vec<f64>>,
    /// Merchant tokens sold × price per million [EUR].
    pub revenue_tokens_eur: Vec<f64>,
    /// Resale of retired GPUs [EUR].
    pub revenue_resale_eur: Vec<f64>,
    /// Of merchant and token revenue, what inference earned: tokens sold, or the merchant
    /// GPU-hours that served inference × their market price [EUR].
    pub revenue_inference_eur: Vec<f64>,
    /// Contract prepayments received [EUR] (cash, not revenue: deferred until invoiced).
    pub prepayment_received_eur: Vec<f64>,
    /// Prepayments credited against invoices [EUR] (revenue already paid for in cash).
    pub prepayment_applied_eur: Vec<f64>,
    /// Per contract (scenario order): its prepayment received [EUR].
    pub prepayment_received_by_contract_eur: Vec<Vec<f64>>,
    /// Per contract (scenario order): its prepayment credited [EUR].
    pub prepayment_applied_by_contract_eur: Vec<Vec<f64>>,
    /// Energy: grid, power contracts and on-site fuel [EUR].
    pub opex_energy_eur: Vec<f64>,
    /// Fixed O&M of on-site plants [EUR].
    pub opex_power_om_eur: Vec<f64>,
    /// Maintenance of halls and GPUs [EUR].
    pub opex_maintenance_eur: Vec<f64>,
    /// Staff [EUR].
    pub opex_staff_eur: Vec<f64>,
    /// Network [EUR].
    pub opex_network_eur: Vec<f64>,
    /// Insurance [EUR].
    pub opex_insurance_eur: Vec<f64>,
    /// Operational GPU-hours.
    pub gpu_hours: Vec<f64>,
    /// Per cluster (scenario order): its operational GPU-hours.
    pub gpu_hours_by_cluster: Vec<Vec<f64>>,
    /// Operational GPU-hours × the market price of their generation [EUR]: what the capacity would
    /// fetch at market prices (the reference a public programme's cost is held against).
    pub market_value_eur: Vec<f64>,
    /// GPU-hours billed under contracts.
    pub contracted_gpu_hours: Vec<f64>,
    /// Merchant GPU-hours used (sold at the market price or as tokens).
    pub merchant_gpu_hours: Vec<f64>,
    /// GPU-hours used serving inference.
    pub inference_gpu_hours: Vec<f64>,
    /// Share of the initial build's GPUs working in the last month of each period (the completion
    /// test of commercial operation).
    pub completion: Vec<f64>,
    /// GPUs of the initial build (refreshes aside); 0 for a project without GPUs.
    pub initial_gpus: f64,
    /// Output tokens served.
    pub tokens: Vec<f64>,
}

impl Inputs {
    /// Empty inputs of `periods` periods of `period_months` months.
    pub fn zeros(periods: usize, period_months: u32) -> Self {
        let z = vec![0.0; periods];
        Self {
            period_months,
            capex: Vec::new(),
            revenue_contracted_eur: z.clone(),
            revenue_by_contract_eur: Vec::new(),
            gpu_hours_by_contract: Vec::new(),
            revenue_merchant_eur: z.clone(),
            revenue_merchant_by_sku_eur: Vec::new(),
            revenue_tokens_eur: z.clone(),
            revenue_resale_eur: z.clone(),
            revenue_inference_eur: z.clone(),
            prepayment_received_eur: z.clone(),
            prepayment_applied_eur: z.clone(),
            prepayment_received_by_contract_eur: Vec::new(),
            prepayment_applied_by_contract_eur: Vec::new(),
            opex_energy_eur: z.clone(),
            opex_power_om_eur: z.clone(),
            opex_maintenance_eur: z.clone(),
            opex_staff_eur: z.clone(),
            opex_network_eur: z.clone(),
            opex_insurance_eur: z.clone(),
            gpu_hours: z.clone(),
            gpu_hours_by_cluster: Vec::new(),
            market_value_eur: z.clone(),
            contracted_gpu_hours: z.clone(),
            merchant_gpu_hours: z.clone(),
            inference_gpu_hours: z.clone(),
            completion: z.clone(),
            initial_gpus: 0.0,
            tokens: z,
        }
    }

    /// The inputs of several parts financed together (phases of one programme): every flow added
    /// period by period, capex lines merged by class and book life, completion weighted by GPUs.
    pub fn sum(parts: &[Inputs]) -> Inputs {
        let Some(first) = parts.first() else {
            return Inputs::default();
        };
        let n = first.periods();
        let mut out = Inputs::zeros(n, first.period_months);
        let add = |to: &mut Vec<f64>, from: &[f64]| {
            for (t, f) in to.iter_mut().zip(from) {
                *t += f;
            }
        };
        let contracts = first.revenue_by_contract_eur.len();
        out.revenue_by_contract_eur = vec![vec![0.0; n]; contracts];
        out.gpu_hours_by_contract = vec![vec![0.0; n]; contracts];
        out.gpu_hours_by_cluster = vec![vec![0.0; n]; first.gpu_hours_by_cluster.len()];
        out.revenue_merchant_by_sku_eur =
            vec![vec![0.0; n]; first.revenue_merchant_by_sku_eur.len()];
        out.prepayment_received_by_contract_eur = vec![vec![0.0; n]; contracts];
        out.prepayment_applied_by_contract_eur = vec![vec![0.0; n]; contracts];
        for part in parts {
            for line in &part.capex {
                match out
                    .capex
                    .iter_mut()
                    .find(|l| l.class == line.class && l.life_years == line.life_years)
                {
                    Some(l) => add(&mut l.eur, &line.eur),
                    None => out.capex.push(line.clone()),
                }
            }
            for (to, from) in [
                (
                    &mut out.revenue_contracted_eur,
                    &part.revenue_contracted_eur,
                ),
                (&mut out.revenue_merchant_eur, &part.revenue_merchant_eur),
                (&mut out.revenue_tokens_eur, &part.revenue_tokens_eur),
                (&mut out.revenue_resale_eur, &part.revenue_resale_eur),
                (&mut out.revenue_inference_eur, &part.revenue_inference_eur),
                (
                    &mut out.prepayment_received_eur,
                    &part.prepayment_received_eur,
                ),
                (
                    &mut out.prepayment_applied_eur,
                    &part.prepayment_applied_eur,
                ),
                (&mut out.opex_energy_eur, &part.opex_energy_eur),
                (&mut out.opex_power_om_eur, &part.opex_power_om_eur),
                (&mut out.opex_maintenance_eur, &part.opex_maintenance_eur),
                (&mut out.opex_staff_eur, &part.opex_staff_eur),
                (&mut out.opex_network_eur, &part.opex_network_eur),
                (&mut out.opex_insurance_eur, &part.opex_insurance_eur),
                (&mut out.gpu_hours, &part.gpu_hours),
                (&mut out.market_value_eur, &part.market_value_eur),
                (&mut out.contracted_gpu_hours, &part.contracted_gpu_hours),
                (&mut out.merchant_gpu_hours, &part.merchant_gpu_hours),
                (&mut out.inference_gpu_hours, &part.inference_gpu_hours),
                (&mut out.tokens, &part.tokens),
            ] {
                add(to, from);
            }
            for (rows, from) in [
                (
                    &mut out.revenue_by_contract_eur,
                    &part.revenue_by_contract_eur,
                ),
                (&mut out.gpu_hours_by_contract, &part.gpu_hours_by_contract),
                (&mut out.gpu_hours_by_cluster, &part.gpu_hours_by_cluster),
                (
                    &mut out.revenue_merchant_by_sku_eur,
                    &part.revenue_merchant_by_sku_eur,
                ),
                (
                    &mut out.prepayment_received_by_contract_eur,
                    &part.prepayment_received_by_contract_eur,
                ),
                (
                    &mut out.prepayment_applied_by_contract_eur,
                    &part.prepayment_applied_by_contract_eur,
                ),
            ] {
                for (to, from) in rows.iter_mut().zip(from) {
                    add(to, from);
                }
            }
            for (to, from) in out.completion.iter_mut().zip(&part.completion) {
                *to += from * part.initial_gpus;
            }
            out.initial_gpus += part.initial_gpus;
        }
        if out.initial_gpus > 0.0 {
            out.completion
                .iter_mut()
                .for_each(|c| *c /= out.initial_gpus);
        }
        out
    }

    /// Number of periods.
    pub fn periods(&self) -> usize {
        self.revenue_contracted_eur.len()
    }

    /// Total revenue of period `p`.
    pub fn revenue(&self, p: usize) -> f64 {
        self.revenue_contracted_eur[p]
            + self.revenue_merchant_eur[p]
            + self.revenue_tokens_eur[p]
            + self.revenue_resale_eur[p]
    }

    /// Change of deferred revenue in period `p`: prepayments received less those credited [EUR].
    /// Cash, not income: it enters CFADS as working capital, never taxable income.
    pub fn deferred_revenue_change(&self, p: usize) -> f64 {
        self.prepayment_received_eur[p] - self.prepayment_applied_eur[p]
    }

    /// Total opex of period `p`.
    pub fn opex(&self, p: usize) -> f64 {
        self.opex_energy_eur[p]
            + self.opex_power_om_eur[p]
            + self.opex_maintenance_eur[p]
            + self.opex_staff_eur[p]
            + self.opex_network_eur[p]
            + self.opex_insurance_eur[p]
    }

    /// Capex of period `p`, all classes.
    pub fn capex(&self, p: usize) -> f64 {
        self.capex.iter().map(|l| l.eur[p]).sum()
    }

    /// Capex of one class in period `p`.
    pub fn capex_in(&self, p: usize, class: Class) -> f64 {
        self.capex
            .iter()
            .filter(|l| l.class == class)
            .map(|l| l.eur[p])
            .sum()
    }

    /// The last period with spending on the initial build (0 if none): the end of construction.
    pub fn construction_end(&self) -> usize {
        (0..self.periods())
            .rev()
            .find(|&p| {
                self.capex
                    .iter()
                    .any(|l| l.class.initial() && l.eur[p] > 0.0)
            })
            .unwrap_or(0)
    }

    /// The commercial operation date (at the end of the period returned): the build is paid for
    /// and at least `share` of its GPUs work — the completion test a lender's term loan converts
    /// on. `None` if the test is not passed within the horizon. Without GPUs, the end of
    /// construction.
    pub fn commercial_operation(&self, share: f64) -> Option<usize> {
        let built = self.construction_end();
        if self.initial_gpus == 0.0 {
            return Some(built);
        }
        (built..self.periods()).find(|&p| self.completion[p] >= share - 1e-12)
    }

    /// Depreciation per period: straight line over each line's life, from the period after spending.
    pub fn depreciation(&self) -> Vec<f64> {
        let n = self.periods();
        let mut dep = vec![0.0; n];
        for line in &self.capex {
            let Some(span) = line.life_periods(self.period_months) else {
                continue;
            };
            for (p, &spent) in line.eur.iter().enumerate() {
                if spent == 0.0 {
                    continue;
                }
                for d in dep.iter_mut().skip(p + 1).take(span) {
                    *d += spent / span as f64;
                }
            }
        }
        dep
    }
}

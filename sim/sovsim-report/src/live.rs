//! The live financial model in `model.xlsx`: the base case's inputs on one sheet (`model_scalars`,
//! `model_series`), each phase's period calculations and waterfall as formulas on its own sheet,
//! and the programme consolidated on another — FAST-style: one formula per row, the same in every
//! period column, no number typed into a calculation. Change a price or a rate on the Inputs sheet
//! and the spreadsheet recomputes CFADS, debt service, DSCR and the IRRs, carrying the debt as
//! sized on the base case (as sovsim's tornado, cases and break-even do).
//!
//! Layout shared by every sheet, so that a formula refers to the same column of another row:
//! column A the label, B the unit, C a single value, D empty (the period before the first, read as
//! zero by the first period's formulas), periods from column E.

use std::collections::HashMap;

use rust_xlsxwriter::{Color, Format, Formula, Workbook, Worksheet, XlsxError};
use sovsim_core::rundir::MODEL_LINES;

use crate::ReportError;
use crate::data::RunData;

const LABEL: u16 = 0;
const UNIT: u16 = 1;
const VALUE: u16 = 2;
const FIRST: u16 = 4;
/// Rows above the first line: title, period index, period end.
const TOP: u32 = 3;

/// The Excel name of column `col` (0: A).
fn column_name(col: u16) -> String {
    let mut n = u32::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// What a line holds.
enum Content {
    /// A heading.
    Heading,
    /// A value typed in (an input).
    Value(f64),
    /// Values typed in, one per period (inputs).
    Values(Vec<f64>),
    /// A formula in the value column (a template).
    Scalar(String),
    /// A formula per period column (a template, the same in every column).
    Periods(String),
}

struct Line {
    key: String,
    label: String,
    unit: String,
    content: Content,
}

/// One sheet being laid out: its lines, looked up by key when templates are resolved.
struct Sheet {
    name: String,
    lines: Vec<Line>,
}

impl Sheet {
    fn new(name: &str) -> Self {
        Sheet {
            name: name.to_owned(),
            lines: Vec::new(),
        }
    }

    fn push(&mut self, key: &str, label: &str, unit: &str, content: Content) {
        self.lines.push(Line {
            key: key.to_owned(),
            label: label.to_owned(),
            unit: unit.to_owned(),
            content,
        });
    }

    fn heading(&mut self, label: &str) {
        self.push("", label, "", Content::Heading);
    }

    fn periods(&mut self, key: &str, label: &str, unit: &str, template: &str) {
        self.push(key, label, unit, Content::Periods(template.to_owned()));
    }

    fn scalar(&mut self, key: &str, label: &str, unit: &str, template: &str) {
        self.push(key, label, unit, Content::Scalar(template.to_owned()));
    }
}

/// Every sheet's rows by key, to resolve references.
struct Refs {
    rows: HashMap<(String, String), u32>,
    last: u16,
}

impl Refs {
    fn of(sheets: &[&Sheet], periods: usize) -> Refs {
        let mut rows = HashMap::new();
        for s in sheets {
            for (i, l) in s.lines.iter().enumerate() {
                if !l.key.is_empty() {
                    rows.insert((s.name.clone(), l.key.clone()), TOP + i as u32);
                }
            }
        }
        Refs {
            rows,
            last: FIRST + periods.max(1) as u16 - 1,
        }
    }

    /// Resolves a template written on sheet `sheet`, for period column `col`. A reference is
    /// `{key}` (same column), `{key<}` (previous column), `{$key}` (the line's single value),
    /// `{key*}` (the line's every period), with `Sheet::` before the key for another sheet.
    fn resolve(&self, sheet: &str, template: &str, col: u16) -> Result<String, ReportError> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| ReportError::new(format!("unclosed reference in `{template}`")))?;
            let mut token = &rest[open + 1..open + close];
            rest = &rest[open + close + 1..];
            let scalar = token.starts_with('$');
            token = token.trim_start_matches('$');
            let (prev, range) = (token.ends_with('<'), token.ends_with('*'));
            token = token.trim_end_matches(['<', '*']);
            let (on, key) = match token.split_once("::") {
                Some((s, k)) => (s, k),
                None => (sheet, token),
            };
            let row = *self
                .rows
                .get(&(on.to_owned(), key.to_owned()))
                .ok_or_else(|| ReportError::new(format!("no line `{key}` on sheet `{on}`")))?
                + 1;
            if on != sheet {
                out.push_str(&format!("'{on}'!"));
            }
            if scalar {
                out.push_str(&format!("${}${row}", column_name(VALUE)));
            } else if range {
                out.push_str(&format!(
                    "${}${row}:${}${row}",
                    column_name(FIRST),
                    column_name(self.last)
                ));
            } else {
                let c = if prev { col - 1 } else { col };
                out.push_str(&format!("{}{row}", column_name(c)));
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

fn xlsx(e: XlsxError) -> ReportError {
    ReportError::new(format!("cannot write the workbook: {e}"))
}

/// The number format of a unit.
fn format_of(unit: &str, input: bool) -> Format {
    let f = Format::new();
    let f = match unit {
        "EUR" => f.set_num_format("#,##0;[Red]-#,##0"),
        "per year" | "share" => f.set_num_format("0.000%"),
        "ratio" => f.set_num_format("0.00"),
        "GPU-hours" | "million tokens" => f.set_num_format("#,##0"),
        u if u.starts_with("EUR per") => f.set_num_format("#,##0.000"),
        _ => f.set_num_format("General"),
    };
    if input {
        // FAST: inputs stand apart from calculations.
        f.set_font_color(Color::RGB(0x0000C0))
            .set_background_color(Color::RGB(0xFFF6D5))
    } else {
        f
    }
}

/// Input keys: `phase/name` or `phase/name/item` (phase empty for the programme's).
fn key(phase: &str, name: &str, item: &str) -> String {
    if item.is_empty() {
        format!("{phase}/{name}")
    } else {
        format!("{phase}/{name}/{item}")
    }
}

/// The meaning and unit of an input name.
fn describe(name: &str) -> (&'static str, &'static str) {
    MODEL_LINES
        .iter()
        .find(|l| l.0 == name)
        .map_or(("", ""), |l| (l.1, l.2))
}

/// The label of an input: its meaning, after the item it is for (first, so that a narrow column
/// still shows it).
fn labelled(meaning: &str, item: &str) -> String {
    let meaning = meaning.split("] ").last().unwrap_or(meaning);
    if item.is_empty() {
        meaning.to_owned()
    } else {
        format!("{item}: {meaning}")
    }
}

/// The model's inputs as read from the run: scalars and series in file order.
struct ModelInputs {
    periods: usize,
    scalars: Vec<(String, String, String, f64)>,
    series: Vec<(String, String, String, Vec<f64>)>,
    phases: Vec<String>,
}

impl ModelInputs {
    fn read(run: &RunData) -> Option<ModelInputs> {
        if !run.has("model_scalars") || run.rows("model_scalars") == 0 {
            return None;
        }
        let col = |t: &str, c: &str| run.texts(t, c);
        let (phase, name, item) = (
            col("model_scalars", "phase"),
            col("model_scalars", "name"),
            col("model_scalars", "item"),
        );
        let value = run.numbers("model_scalars", "value");
        let scalars: Vec<_> = (0..value.len())
            .map(|i| (phase[i].clone(), name[i].clone(), item[i].clone(), value[i]))
            .collect();
        let (phase, name, item) = (
            col("model_series", "phase"),
            col("model_series", "name"),
            col("model_series", "item"),
        );
        let period = run.numbers("model_series", "period");
        let value = run.numbers("model_series", "value");
        let mut series: Vec<(String, String, String, Vec<f64>)> = Vec::new();
        for i in 0..value.len() {
            if period[i] == 0.0 {
                series.push((
                    phase[i].clone(),
                    name[i].clone(),
                    item[i].clone(),
                    Vec::new(),
                ));
            }
            if let Some(last) = series.last_mut() {
                last.3.push(value[i]);
            }
        }
        let periods = series.first().map_or(0, |s| s.3.len());
        let mut phases: Vec<String> = Vec::new();
        for (p, ..) in &scalars {
            if !p.is_empty() && !phases.contains(p) {
                phases.push(p.clone());
            }
        }
        Some(ModelInputs {
            periods,
            scalars,
            series,
            phases,
        })
    }

    fn items(&self, phase: &str, name: &str) -> Vec<String> {
        self.scalars
            .iter()
            .filter(|s| s.0 == phase && s.1 == name)
            .map(|s| s.2.clone())
            .chain(
                self.series
                    .iter()
                    .filter(|s| s.0 == phase && s.1 == name)
                    .map(|s| s.2.clone()),
            )
            .collect()
    }
}

/// The Inputs sheet: the programme's scalars, then each phase's scalars and series.
fn inputs_sheet(m: &ModelInputs) -> Sheet {
    let mut s = Sheet::new("Inputs");
    s.push(
        "period",
        "Period",
        "index",
        Content::Values((0..m.periods).map(|p| p as f64).collect()),
    );
    let mut phases = vec![String::new()];
    phases.extend(m.phases.iter().cloned());
    for phase in &phases {
        s.heading(&if phase.is_empty() {
            "Programme: rates, prices, covenants".to_owned()
        } else {
            format!("Phase {phase}: the debt as sized, the base case's quantities")
        });
        for (p, name, item, v) in m.scalars.iter().filter(|x| &x.0 == phase) {
            let (unit, meaning) = describe(name);
            let label = labelled(meaning, item);
            s.push(&key(p, name, item), &label, unit, Content::Value(*v));
        }
        for (p, name, item, v) in m.series.iter().filter(|x| &x.0 == phase) {
            let (unit, meaning) = describe(name);
            let label = labelled(meaning, item);
            s.push(
                &key(p, name, item),
                &label,
                unit,
                Content::Values(v.clone()),
            );
        }
    }
    s
}

/// `=0+a+b+…` over the lines `keys` (same column), or `=0`.
fn sum_of(keys: &[String]) -> String {
    let mut out = String::from("0");
    for k in keys {
        out.push_str(&format!("+{{{k}}}"));
    }
    out
}

/// The sheet of phase `phase`: its period calculations and waterfall, as formulas.
fn phase_sheet(m: &ModelInputs, phase: &str) -> Sheet {
    let mut s = Sheet::new(&format!("Calc {phase}"));
    let i = |name: &str| format!("Inputs::{}", key(phase, name, ""));
    let iv = |name: &str, item: &str| format!("Inputs::{}", key(phase, name, item));
    let g = |name: &str| format!("Inputs::{}", key("", name, ""));
    let gi = |name: &str, item: &str| format!("Inputs::{}", key("", name, item));
    s.periods("t", "Period", "index", "={Inputs::period}");
    s.heading("Timing and rates");
    s.scalar(
        "cod",
        "COD (end of period)",
        "period",
        &format!("={{${}}}", i("cod_period")),
    );
    s.scalar(
        "mat",
        "Infrastructure facility: last repayment period",
        "period",
        &format!("={{${}}}", i("maturity_period")),
    );
    s.scalar("last", "Last period", "period", "=MAX({t*})");
    let ppy = format!("{{${}}}", g("periods_per_year"));
    let base = format!("{{${}}}", g("base_rate"));
    s.scalar(
        "rc",
        "Infrastructure facility rate until COD",
        "share",
        &format!("=({base}+{{${}}})/{ppy}", g("construction_margin")),
    );
    s.scalar(
        "rt",
        "Infrastructure facility rate after COD",
        "share",
        &format!("=({base}+{{${}}})/{ppy}", g("term_margin")),
    );
    s.scalar(
        "rg",
        "GPU facility rate",
        "share",
        &format!("=({base}+{{${}}})/{ppy}", g("gpu_margin")),
    );
    s.periods(
        "cons",
        "Construction (until COD)",
        "0/1",
        "=IF({t}<={$cod},1,0)",
    );

    s.heading("Revenue");
    // The contracts this phase earns from (the table has no rows for the others).
    let contracts = m.items(phase, "contract_gpu_hours_at_base_price");
    let mut contract_rows = Vec::new();
    for c in &contracts {
        let k = format!("rev_contract/{c}");
        s.periods(
            &k,
            &format!("Contract {c}"),
            "EUR",
            &format!(
                "={{{}}}*{{${}}}",
                iv("contract_gpu_hours_at_base_price", c),
                gi("contract_price_eur_per_gpu_hour", c)
            ),
        );
        contract_rows.push(k);
    }
    s.periods(
        "rev_contracts",
        "Contracted revenue",
        "EUR",
        &format!("={}", sum_of(&contract_rows)),
    );
    let mut merchant_rows = Vec::new();
    for sku in m.items("", "market_price_eur_per_gpu_hour") {
        let k = format!("rev_merchant/{sku}");
        s.periods(
            &k,
            &format!("Merchant {sku}"),
            "EUR",
            &format!(
                "={{{}}}*{{${}}}",
                iv("merchant_gpu_hours_at_new_price", &sku),
                gi("market_price_eur_per_gpu_hour", &sku)
            ),
        );
        merchant_rows.push(k);
    }
    s.periods(
        "rev_merchant",
        "Merchant revenue",
        "EUR",
        &format!("={}", sum_of(&merchant_rows)),
    );
    s.periods(
        "rev_tokens",
        "Tokens",
        "EUR",
        &format!(
            "={{{}}}*{{${}}}",
            i("tokens_at_start_price_mtok"),
            g("token_price_eur_per_mtok")
        ),
    );
    s.periods(
        "rev_resale",
        "Resale of retired GPUs",
        "EUR",
        &format!("={{{}}}", i("resale_eur")),
    );
    s.periods(
        "revenue",
        "Revenue",
        "EUR",
        "={rev_contracts}+{rev_merchant}+{rev_tokens}+{rev_resale}",
    );
    let prepay = |name: &str| -> String {
        let mut f = String::from("=0");
        for c in &contracts {
            f.push_str(&format!(
                "+{{{}}}*{{${}}}",
                iv(name, c),
                gi("contract_price_eur_per_gpu_hour", c)
            ));
        }
        f
    };
    s.periods(
        "prepay_in",
        "Prepayments received",
        "EUR",
        &prepay("prepayment_received_gpu_hours"),
    );
    s.periods(
        "prepay_out",
        "Prepayments credited against invoices",
        "EUR",
        &prepay("prepayment_applied_gpu_hours"),
    );
    s.periods(
        "prepay_net",
        "Change in deferred revenue",
        "EUR",
        "={prepay_in}-{prepay_out}",
    );

    s.heading("Operating costs and capital expenditure");
    // Every opex input the run carries (`MODEL_LINES` lists them once).
    let opex: Vec<String> = MODEL_LINES
        .iter()
        .filter(|l| l.0.starts_with("opex_"))
        .map(|l| i(l.0))
        .collect();
    s.periods("opex", "Opex", "EUR", &format!("={}", sum_of(&opex)));
    s.periods("ebitda", "EBITDA", "EUR", "={revenue}-{opex}");
    let lines = m.items(phase, "capex_eur");
    let capex: Vec<String> = lines.iter().map(|l| iv("capex_eur", l)).collect();
    s.periods("capex", "Capex", "EUR", &format!("={}", sum_of(&capex)));
    let gpus: Vec<String> = lines
        .iter()
        .filter(|l| *l == "gpus" || l.starts_with("gpus/"))
        .map(|l| iv("capex_eur", l))
        .collect();
    s.periods(
        "gpu_capex",
        "Of which initial GPUs",
        "EUR",
        &format!("={}", sum_of(&gpus)),
    );
    let mut dep_rows = Vec::new();
    for l in &lines {
        let life = format!("{{${}}}", iv("capex_life_periods", l));
        let k = format!("dep/{l}");
        s.periods(&k, &format!("Depreciation {l}"), "EUR", &format!(
            "=IF({life}>0,SUMPRODUCT({{{}*}}*({{Inputs::period*}}>={{t}}-{life})*({{Inputs::period*}}<{{t}}))/{life},0)",
            iv("capex_eur", l)
        ));
        dep_rows.push(k);
    }
    s.periods(
        "dep",
        "Depreciation",
        "EUR",
        &format!("={}", sum_of(&dep_rows)),
    );

    s.heading("GPU facility: a draw per purchase of initial GPUs, each repaid by its own maturity");
    let gpu_commitment = format!("{{${}}}", i("gpu_commitment_eur"));
    s.periods(
        "gpu_draw",
        "Drawn",
        "EUR",
        &format!(
            "=MAX(MIN({{${}}}*{{gpu_capex}},{gpu_commitment}-{{gpu_drawn_cum<}}),0)",
            i("gpu_draw_share")
        ),
    );
    s.periods(
        "gpu_drawn_cum",
        "Drawn to date",
        "EUR",
        "={gpu_drawn_cum<}+{gpu_draw}",
    );
    let mut sums: HashMap<&str, Vec<String>> = HashMap::new();
    for d in m.items(phase, "gpu_draw_period") {
        let at = format!("{{${}}}", iv("gpu_draw_period", &d));
        let k = |x: &str| format!("d{d}_{x}");
        let r = |x: &str| format!("{{{}}}", k(x));
        let v = |x: &str| format!("{{${}}}", k(x));
        s.heading(&format!("Draw {d}"));
        s.scalar(
            &k("amount"),
            &format!("Draw {d}: amount"),
            "EUR",
            &format!("=INDEX({{gpu_draw*}},1,{at}+1)"),
        );
        s.scalar(
            &k("conv"),
            &format!("Draw {d}: converts at the end of"),
            "period",
            &format!("=MAX({at},{{$cod}})"),
        );
        s.scalar(
            &k("mat"),
            &format!("Draw {d}: matures in"),
            "period",
            &format!("=MAX({at}+{{${}}},{}+1)", i("gpu_tenor_periods"), v("conv")),
        );
        s.periods(
            &k("live"),
            &format!("Draw {d}: amortising"),
            "0/1",
            &format!("=IF(AND({{t}}>{},{{t}}<={}),1,0)", v("conv"), v("mat")),
        );
        s.periods(
            &k("shape"),
            &format!("Draw {d}: repayment shape"),
            "EUR",
            &format!("={}*MAX({{{}}},0)", r("live"), i("gpu_profile_eur")),
        );
        s.periods(
            &k("df"),
            &format!("Draw {d}: discount factor"),
            "ratio",
            &format!("=IF({}=1,1/(1+{{$rg}})^({{t}}-{}),0)", r("live"), v("conv")),
        );
        s.scalar(
            &k("pv"),
            &format!("Draw {d}: PV of its shape"),
            "EUR",
            &format!("=SUMPRODUCT({{{}*}},{{{}*}})", k("shape"), k("df")),
        );
        s.scalar(
            &k("dfsum"),
            &format!("Draw {d}: sum of discount factors"),
            "ratio",
            &format!("=SUM({{{}*}})", k("df")),
        );
        s.periods(
            &k("service"),
            &format!("Draw {d}: scheduled service"),
            "EUR",
            &format!(
                "=IF({}=1,{}*IF({}>0,{}/{},1/{}),0)",
                r("live"),
                v("amount"),
                v("pv"),
                r("shape"),
                v("pv"),
                v("dfsum")
            ),
        );
        s.periods(
            &k("open"),
            &format!("Draw {d}: opening"),
            "EUR",
            &format!("={{{}<}}", k("close")),
        );
        s.periods(
            &k("int"),
            &format!("Draw {d}: interest"),
            "EUR",
            &format!("={}*{{$rg}}", r("open")),
        );
        s.periods(
            &k("prin"),
            &format!("Draw {d}: principal"),
            "EUR",
            &format!(
                "=IF({{t}}<={},0,IF({{t}}={},{},MIN({}-{},{})))",
                v("conv"),
                v("mat"),
                r("open"),
                r("service"),
                r("int"),
                r("open")
            ),
        );
        s.periods(
            &k("drawn"),
            &format!("Draw {d}: drawn"),
            "EUR",
            &format!("=IF({{t}}={at},{},0)", v("amount")),
        );
        s.periods(
            &k("close"),
            &format!("Draw {d}: closing"),
            "EUR",
            &format!("={}+{}-{}", r("open"), r("drawn"), r("prin")),
        );
        for (total, part) in [
            ("gpu_int", "int"),
            ("gpu_prin", "prin"),
            ("gpu_close", "close"),
            ("gpu_sched", "service"),
        ] {
            sums.entry(total).or_default().push(k(part));
        }
    }
    s.heading("GPU facility in total");
    let total = |x: &str| format!("={}", sum_of(sums.get(x).map_or(&[][..], |v| v)));
    s.periods("gpu_int", "Interest", "EUR", &total("gpu_int"));
    s.periods("gpu_prin", "Principal", "EUR", &total("gpu_prin"));
    s.periods("gpu_close", "Closing balance", "EUR", &total("gpu_close"));
    s.periods("gpu_sched", "Scheduled service", "EUR", &total("gpu_sched"));

    s.heading("Infrastructure facility: the term sheet per euro converted at COD");
    let live = "AND({t}>{$cod},{t}<={$mat})";
    s.periods(
        "u_rep",
        "Principal per euro",
        "share",
        &format!(
            "=IF({live},IF({{t}}={{$mat}},{{u_bal<}},{{{}}}),0)",
            i("infra_repayment_share")
        ),
    );
    s.periods(
        "u_bal",
        "Balance per euro",
        "share",
        &format!("=IF({{t}}={{$cod}},1,IF({live},{{u_bal<}}-{{u_rep}},0))"),
    );
    s.periods(
        "u_service",
        "Service per euro",
        "share",
        &format!("=IF({live},{{u_bal<}}*{{$rt}}+{{u_rep}},0)"),
    );
    s.periods(
        "owing_all",
        "Service falls due",
        "0/1",
        "=IF(OR({u_service}>1E-12,{gpu_sched}>0),1,0)",
    );
    s.periods(
        "cnt_all",
        "Periods owing service, to date",
        "count",
        "={cnt_all<}+{owing_all}",
    );
    s.periods(
        "owing_gpu",
        "GPU service falls due",
        "0/1",
        "=IF({gpu_sched}>0,1,0)",
    );
    s.periods(
        "cnt_gpu",
        "Periods owing GPU service, to date",
        "count",
        "={cnt_gpu<}+{owing_gpu}",
    );

    s.heading("Interest, tax and CFADS");
    let infra_commitment = format!("{{${}}}", i("infra_commitment_eur"));
    s.periods(
        "infra_open",
        "Infrastructure facility: opening",
        "EUR",
        "={infra_close<}",
    );
    s.periods(
        "infra_int",
        "Infrastructure facility: interest",
        "EUR",
        "={infra_open}*IF({cons}=1,{$rc},{$rt})",
    );
    s.periods(
        "interest",
        "Interest, every tranche",
        "EUR",
        "={infra_int}+{gpu_int}",
    );
    s.periods(
        "fees",
        "Arrangement fee",
        "EUR",
        &format!(
            "=IF({{t}}=0,{{${}}}*({infra_commitment}+{gpu_commitment}),0)",
            g("arrangement_fee")
        ),
    );
    let tax_rate = format!("{{${}}}", g("tax_rate"));
    s.periods(
        "taxable",
        "Taxable income",
        "EUR",
        "={ebitda}-{dep}-{interest}-{fees}",
    );
    s.periods(
        "loss_open",
        "Losses brought forward",
        "EUR",
        "={loss_close<}",
    );
    s.periods(
        "tax",
        "Tax",
        "EUR",
        &format!("=IF({{taxable}}<=0,0,({{taxable}}-MIN({{loss_open}},{{taxable}}))*{tax_rate})"),
    );
    s.periods(
        "loss_close",
        "Losses carried forward",
        "EUR",
        "=IF({taxable}<=0,{loss_open}-{taxable},{loss_open}-MIN({loss_open},{taxable}))",
    );
    s.periods(
        "u_taxable",
        "Unlevered taxable income",
        "EUR",
        "={ebitda}-{dep}",
    );
    s.periods(
        "u_loss_open",
        "Unlevered losses brought forward",
        "EUR",
        "={u_loss_close<}",
    );
    s.periods(
        "u_tax",
        "Unlevered tax",
        "EUR",
        &format!(
            "=IF({{u_taxable}}<=0,0,({{u_taxable}}-MIN({{u_loss_open}},{{u_taxable}}))*{tax_rate})"
        ),
    );
    s.periods("u_loss_close", "Unlevered losses carried forward", "EUR", "=IF({u_taxable}<=0,{u_loss_open}-{u_taxable},{u_loss_open}-MIN({u_loss_open},{u_taxable}))");
    s.periods(
        "cfads",
        "CFADS",
        "EUR",
        "={ebitda}+{prepay_net}-{tax}-IF({cons}=1,0,{capex})",
    );

    s.heading("DSRA target: the next periods of scheduled service");
    let k_periods = format!("{{${}}}", g("dsra_periods"));
    s.periods("dsra_scale", "Infrastructure balance the target covers", "EUR", &format!(
        "=IF({{cons}}=1,IF({{$mat}}>{{$cod}},{infra_commitment},0),IF({{t}}>={{$mat}},0,IF({{u_bal}}>1E-12,{{infra_after}}/{{u_bal}},0)))"
    ));
    s.periods("dsra_target", "DSRA target", "EUR", &format!(
        "=IF({{t}}<{{$cod}},0,IF({{dsra_scale}}>0,SUMPRODUCT(({{t*}}>{{t}})*({{cnt_all*}}<={{cnt_all}}+{k_periods})*{{owing_all*}}*({{u_service*}}*{{dsra_scale}}+{{gpu_sched*}})),SUMPRODUCT(({{t*}}>{{t}})*({{cnt_gpu*}}<={{cnt_gpu}}+{k_periods})*{{owing_gpu*}}*{{gpu_sched*}})))"
    ));
    s.periods(
        "dsra_fund",
        "DSRA funded at COD",
        "EUR",
        "=IF({t}={$cod},{dsra_target},0)",
    );

    s.heading("Construction funding: cash, grants, then debt and equity pro rata");
    s.periods("need", "Funding need", "EUR", "=IF({cons}=1,{capex}+{interest}+{fees}+{dsra_fund}+{tax}-{ebitda}-{prepay_net}-{gpu_draw},0)");
    s.periods("cash_open", "Cash held: opening", "EUR", "={cash_close<}");
    s.periods(
        "shortfall",
        "Need beyond cash held",
        "EUR",
        "=IF({cons}=1,MAX({need}-{cash_open},0),0)",
    );
    s.periods(
        "grants",
        "Grants",
        "EUR",
        &format!(
            "=MIN({{${}}}-{{grants_cum<}},{{shortfall}})",
            i("grants_eur")
        ),
    );
    s.periods(
        "grants_cum",
        "Grants to date",
        "EUR",
        "={grants_cum<}+{grants}",
    );
    s.periods("infra_draw", "Infrastructure facility drawn", "EUR", &format!(
        "=IF({{cons}}=1,MAX(MIN({{${}}}*({{shortfall}}-{{grants}}),{infra_commitment}-{{infra_drawn_cum<}}),0),0)",
        i("infra_debt_share")
    ));
    s.periods(
        "infra_drawn_cum",
        "Infrastructure facility drawn to date",
        "EUR",
        "={infra_drawn_cum<}+{infra_draw}",
    );
    s.scalar(
        "converted",
        "Infrastructure facility at COD",
        "EUR",
        "=INDEX({infra_close*},1,{$cod}+1)",
    );

    s.heading("Waterfall after COD");
    s.periods("sched", "Infrastructure facility: scheduled principal", "EUR", &format!(
        "=IF({{cons}}=1,0,IF({{t}}>{{$mat}},0,IF({{t}}={{$mat}},{{infra_open}},IF({{{}}}=1,-{{infra_int}},MIN({{{}}}*{{$converted}},{{infra_open}})))))",
        i("infra_capitalising"),
        i("infra_repayment_share")
    ));
    s.periods(
        "principal",
        "Principal, every tranche",
        "EUR",
        "=IF({cons}=1,0,{sched}+{gpu_prin})",
    );
    s.periods(
        "debt_service",
        "Debt service",
        "EUR",
        "=IF({cons}=1,0,{interest}+{principal})",
    );
    s.periods(
        "has_dscr",
        "Debt service falls due",
        "0/1",
        "=IF(AND({cons}=0,{debt_service}>1E-9*MAX({$converted}+{gpu_drawn_cum},1)),1,0)",
    );
    s.periods(
        "dscr",
        "DSCR",
        "ratio",
        "=IF({has_dscr}=1,{cfads}/{debt_service},\"\")",
    );
    s.periods(
        "free1",
        "Cash after debt service",
        "EUR",
        "=IF({cons}=1,0,{cfads}+{gpu_draw}-{debt_service})",
    );
    s.periods(
        "infra_after",
        "Infrastructure facility after scheduled principal",
        "EUR",
        "={infra_open}-{sched}",
    );
    s.periods("dsra_open", "DSRA: opening", "EUR", "={dsra_close<}");
    s.periods(
        "release",
        "DSRA released above target",
        "EUR",
        "=IF({cons}=1,0,MAX({dsra_open}-{dsra_target},0))",
    );
    s.periods(
        "dsra_kept",
        "DSRA after release",
        "EUR",
        "={dsra_open}-{release}",
    );
    s.periods("free2", "Cash after release", "EUR", "={free1}+{release}");
    s.periods(
        "from_dsra",
        "Shortfall met from the DSRA",
        "EUR",
        "=IF({cons}=1,0,MIN({dsra_kept},MAX(-{free2},0)))",
    );
    s.periods(
        "from_cash",
        "Shortfall met from cash held",
        "EUR",
        "=IF({cons}=1,0,MIN({cash_open},MAX(-{free2}-{from_dsra},0)))",
    );
    s.periods(
        "injection",
        "Shortfall met by the sponsors",
        "EUR",
        "=IF({cons}=1,0,MAX(-{free2}-{from_dsra}-{from_cash},0))",
    );
    s.periods(
        "top_up",
        "DSRA topped up",
        "EUR",
        "=IF(AND({cons}=0,{free2}>=0),MIN({free2},MAX({dsra_target}-{dsra_kept},0)),0)",
    );
    s.periods(
        "free3",
        "Cash after the DSRA",
        "EUR",
        "={free2}+{from_dsra}+{from_cash}+{injection}-{top_up}",
    );
    let sweep = format!("{{${}}}", g("cash_sweep_share"));
    s.periods("sweep", "Cash sweep", "EUR", &format!("=IF(AND({{cons}}=0,{{infra_after}}>0,{sweep}>0),MIN({{free3}}*{sweep},{{infra_after}}),0)"));
    s.periods("free4", "Cash after the sweep", "EUR", "={free3}-{sweep}");
    s.periods("locked", "Distributions locked up", "0/1", &format!(
        "=IF(AND({{cons}}=0,{{has_dscr}}=1,{{${}}}=1),IF({{cfads}}/{{debt_service}}<{{${}}},1,0),0)",
        g("lockup_applies"),
        g("lockup_dscr")
    ));
    s.periods(
        "distributions",
        "Distributions",
        "EUR",
        "=IF({cons}=1,0,IF({locked}=1,0,{free4}+{cash_open}-{from_cash}))",
    );
    s.periods(
        "cash_close",
        "Cash held: closing",
        "EUR",
        "=IF({cons}=1,MAX({cash_open}-{need},0),IF({locked}=1,{cash_open}-{from_cash}+{free4},0))",
    );
    s.periods(
        "dsra_flow",
        "DSRA paid in (+) or out (−)",
        "EUR",
        "=IF({cons}=1,{dsra_fund},{top_up}-{release}-{from_dsra})",
    );
    s.periods(
        "dsra_close",
        "DSRA: closing",
        "EUR",
        "={dsra_open}+{dsra_flow}",
    );
    s.periods(
        "infra_close",
        "Infrastructure facility: closing",
        "EUR",
        "={infra_open}+{infra_draw}-{sched}-{sweep}",
    );
    s.periods(
        "debt_close",
        "Debt outstanding, every tranche",
        "EUR",
        "={infra_close}+{gpu_close}",
    );
    s.periods(
        "equity_in",
        "Equity paid in",
        "EUR",
        "=IF({cons}=1,{shortfall}-{grants}-{infra_draw},{injection})",
    );

    s.heading("Returns");
    s.periods("book", "Book value", "EUR", "={book<}+{capex}-{dep}");
    s.periods(
        "deferred",
        "Deferred revenue",
        "EUR",
        "={deferred<}+{prepay_net}",
    );
    s.periods(
        "is_last",
        "Last period (terminal value)",
        "0/1",
        "=IF({t}={$last},1,0)",
    );
    s.periods(
        "project_cf",
        "Project cash flow (unlevered, post-tax)",
        "EUR",
        "={ebitda}+{prepay_net}-{u_tax}-{capex}+{is_last}*({book}-{deferred})",
    );
    s.periods("equity_cf", "Equity cash flow", "EUR", "={distributions}-{equity_in}+{is_last}*({book}-{deferred}-{debt_close}+{cash_close}+{dsra_close})");
    s.scalar(
        "dscr_min",
        "Smallest DSCR",
        "ratio",
        "=IF(COUNT({dscr*})=0,\"\",MIN({dscr*}))",
    );
    irrs(&mut s, &ppy);
    s
}

/// The project and equity IRRs of `s`'s cash-flow lines, annualised. Each search starts from the
/// rate that would turn the money paid in into the money returned over half the horizon (the
/// spreadsheet's default guess of 10 % a period does not converge for a losing project).
fn irrs(s: &mut Sheet, ppy: &str) {
    for (line, label) in [("project_cf", "Project IRR"), ("equity_cf", "Equity IRR")] {
        let guess = format!("{line}_guess");
        s.scalar(
            &guess,
            &format!("{label}: starting guess per period"),
            "share",
            &format!("=IFERROR((SUMIF({{{line}*}},\">0\")/-SUMIF({{{line}*}},\"<0\"))^(2/COUNT({{{line}*}}))-1,0)"),
        );
        let irr = line.replace("_cf", "_irr");
        s.scalar(
            &irr,
            label,
            "per year",
            &format!("=(1+IRR({{{line}*}},{{${guess}}}))^{ppy}-1"),
        );
    }
}

/// The programme: its phases added up, its DSCR, IRRs and NPV.
fn programme_sheet(m: &ModelInputs) -> Sheet {
    let mut s = Sheet::new("Programme");
    let g = |name: &str| format!("{{$Inputs::{}}}", key("", name, ""));
    s.periods("t", "Period", "index", "={Inputs::period}");
    s.heading("The phases added up");
    let add = |line: &str| -> String {
        let mut f = String::from("=0");
        for p in &m.phases {
            f.push_str(&format!("+{{Calc {p}::{line}}}"));
        }
        f
    };
    for (line, label) in [
        ("revenue", "Revenue"),
        ("opex", "Opex"),
        ("ebitda", "EBITDA"),
        ("capex", "Capex"),
        ("tax", "Tax"),
        ("cfads", "CFADS"),
        ("debt_service", "Debt service"),
        ("distributions", "Distributions"),
        ("equity_in", "Equity paid in"),
        ("debt_close", "Debt outstanding"),
        ("project_cf", "Project cash flow"),
        ("equity_cf", "Equity cash flow"),
    ] {
        s.periods(line, label, "EUR", &add(line));
    }
    let mut served = String::from("=0");
    let mut owing = String::from("=0");
    for p in &m.phases {
        served.push_str(&format!("+{{Calc {p}::has_dscr}}*{{Calc {p}::cfads}}"));
        owing.push_str(&format!("+{{Calc {p}::has_dscr}}"));
    }
    s.periods(
        "served",
        "CFADS of the phases owing service",
        "EUR",
        &served,
    );
    s.periods("owing", "Phases owing service", "count", &owing);
    s.periods(
        "dscr",
        "DSCR (the phases owing service)",
        "ratio",
        "=IF(AND({debt_service}>0,{owing}>0),{served}/{debt_service},\"\")",
    );
    s.heading("Figures");
    let mut mins = String::new();
    for (k, p) in m.phases.iter().enumerate() {
        if k > 0 {
            mins.push(',');
        }
        mins.push_str(&format!("{{$Calc {p}::dscr_min}}"));
    }
    s.scalar(
        "dscr_min",
        "Smallest DSCR of any phase",
        "ratio",
        &format!("=IF(COUNT({mins})=0,\"\",MIN({mins}))"),
    );
    let ppy = g("periods_per_year");
    irrs(&mut s, &ppy);
    s.scalar(
        "npv",
        "NPV of the project cash flow",
        "EUR",
        &format!(
            "=SUMPRODUCT({{project_cf*}},1/(1+{})^(({{t*}}+1)/{ppy}))",
            g("discount_rate")
        ),
    );
    s
}

/// Writes `sheet` (its templates resolved against `refs`) into `book`.
fn write(
    book: &mut Workbook,
    sheet: &Sheet,
    refs: &Refs,
    periods: usize,
    title: &str,
) -> Result<(), ReportError> {
    let ws: &mut Worksheet = book.add_worksheet();
    ws.set_name(&sheet.name).map_err(xlsx)?;
    let bold = Format::new().set_bold();
    let heading = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDCE6F1));
    ws.write_string_with_format(0, LABEL, title, &bold)
        .map_err(xlsx)?;
    ws.write_string_with_format(1, LABEL, "Period", &bold)
        .map_err(xlsx)?;
    ws.write_string_with_format(1, UNIT, "unit", &bold)
        .map_err(xlsx)?;
    ws.write_string_with_format(1, VALUE, "value", &bold)
        .map_err(xlsx)?;
    for p in 0..periods {
        ws.write_number_with_format(1, FIRST + p as u16, p as f64, &bold)
            .map_err(xlsx)?;
    }
    for (k, line) in sheet.lines.iter().enumerate() {
        let row = TOP + k as u32;
        let input = matches!(line.content, Content::Value(_) | Content::Values(_));
        let format = format_of(&line.unit, input);
        match &line.content {
            Content::Heading => {
                ws.write_string_with_format(row, LABEL, &line.label, &heading)
                    .map_err(xlsx)?;
                continue;
            }
            Content::Value(v) => {
                ws.write_number_with_format(row, VALUE, *v, &format)
                    .map_err(xlsx)?;
            }
            Content::Values(vs) => {
                for (p, v) in vs.iter().enumerate() {
                    ws.write_number_with_format(row, FIRST + p as u16, *v, &format)
                        .map_err(xlsx)?;
                }
            }
            Content::Scalar(t) => {
                let f = refs.resolve(&sheet.name, t, VALUE)?;
                ws.write_formula_with_format(row, VALUE, Formula::new(f), &format)
                    .map_err(xlsx)?;
            }
            Content::Periods(t) => {
                for p in 0..periods {
                    let col = FIRST + p as u16;
                    let f = refs.resolve(&sheet.name, t, col)?;
                    ws.write_formula_with_format(row, col, Formula::new(f), &format)
                        .map_err(xlsx)?;
                }
            }
        }
        ws.write_string(row, LABEL, &line.label).map_err(xlsx)?;
        ws.write_string(row, UNIT, &line.unit).map_err(xlsx)?;
    }
    ws.set_column_width(LABEL, 52).map_err(xlsx)?;
    ws.set_column_width(UNIT, 14).map_err(xlsx)?;
    ws.set_column_width(VALUE, 16).map_err(xlsx)?;
    ws.set_column_width(FIRST - 1, 2).map_err(xlsx)?;
    ws.set_column_range_width(FIRST, FIRST + periods.max(1) as u16 - 1, 15)
        .map_err(xlsx)?;
    ws.set_freeze_panes(TOP, FIRST).map_err(xlsx)?;
    Ok(())
}

/// Adds the live model's sheets (Inputs, one per phase, Programme) to `book`, if the run is
/// financed.
///
/// # Errors
/// If a sheet cannot be written.
pub fn add(book: &mut Workbook, run: &RunData) -> Result<(), ReportError> {
    let Some(m) = ModelInputs::read(run) else {
        return Ok(());
    };
    let inputs = inputs_sheet(&m);
    let phases: Vec<Sheet> = m.phases.iter().map(|p| phase_sheet(&m, p)).collect();
    let programme = programme_sheet(&m);
    let mut all: Vec<&Sheet> = vec![&inputs];
    all.extend(phases.iter());
    all.push(&programme);
    let refs = Refs::of(&all, m.periods);
    write(
        book,
        &inputs,
        &refs,
        m.periods,
        "Inputs of the live model (blue on yellow: change these; the base case's values)",
    )?;
    for (sheet, name) in phases.iter().zip(&m.phases) {
        write(
            book,
            sheet,
            &refs,
            m.periods,
            &format!("Phase {name}: period calculations and waterfall (formulas)"),
        )?;
    }
    write(
        book,
        &programme,
        &refs,
        m.periods,
        "Programme: the phases consolidated (formulas)",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::column_name;

    #[test]
    fn columns_are_named_as_excel_names_them() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }
}

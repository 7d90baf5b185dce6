#!/usr/bin/env python3
"""Writes scenarios/europe-200-sites.toml: 200 candidate AI sites across the EU's 27 member states.

No public list gives 200 European AI sites with their sizes and dates (the EU's 76 gigafactory
expressions of interest name 60 sites in 16 member states, but not which), so this generator
lays them out by a stated rule, deterministically (no randomness, no clock), from data/countries.csv
and the figures below. CI checks that the committed scenario is what it writes:

    python3 scenarios/europe-200-sites.py            # rewrite the scenario
    python3 scenarios/europe-200-sites.py --check    # exit 1 if the committed file differs

The rule:
- Sites per member state: one each, the other 173 by population (largest remainder).
- Site classes: 60 gigafactory-class sites of 50,000 GPUs (the expressions of interest: 60 sites,
  >= 3 million GPUs; EC, 30 Jun 2025), apportioned by population too; the rest are AI-factory-class
  sites of 10,000 GPUs (ESTIMATE: EuroHPC's first 13 AI factories shared ~EUR 10B, ~EUR 0.8B each,
  about 30 MW of IT at the catalog's hall and GPU costs).
- Operators: each member state's national operator (100 % domestic, ESTIMATE) runs its gigafactory
  sites and two in three of its AI-factory sites; the third goes, alternately, to a US hyperscaler's
  EU subsidiary and a Gulf-backed EU campus, as in eu-sovereign-2030.
- Grid: each site's connection waits as its country's catalog range says (no `queue_wait_months`:
  data/countries.csv, uniform over min-max). Gigafactory sites where the country's slowest wait
  reaches seven years (DE, IE, NL) bridge with an on-site CCGT, as Brandenburg does in
  eu-sovereign-2030 and as Ireland's CRU/2025236 asks of new data centres.
- GPUs are ordered to land as hall and power are due: start + acquisition (6) + permit (15) +
  max(hall build 24, first power), less 9 months of lead time, where first power is the grid
  wait's median or, with a CCGT, the earlier of that and the plant's build (48), each of which
  starts after the permit (modes, months).
- Demand is sized on capacity, as in eu-sovereign-2030: the public sector contracts 60 % of each
  gigafactory for five years and its inference fills ~70 % of that at opening; commercial
  inference fills ~60 % of the rest.
"""

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "europe-200-sites.toml"
COUNTRIES = HERE.parent / "data" / "countries.csv"

SITES = 200
GIGAFACTORIES = 60
GIGA_GPUS = 50_000
FACTORY_GPUS = 10_000
KW_PER_GPU = 2.92  # Vera Rubin NVL72, all-in (catalog)
START = (2026, 7)

# Population on 1 January 2024, millions (Eurostat, demo_gind / tps00001).
POPULATION_M = {
    "DE": 83.4, "FR": 68.4, "IT": 59.0, "ES": 48.6, "PL": 36.6, "RO": 19.1, "NL": 17.9,
    "BE": 11.8, "CZ": 10.9, "SE": 10.6, "PT": 10.6, "GR": 10.4, "HU": 9.6, "AT": 9.2,
    "BG": 6.4, "DK": 6.0, "FI": 5.6, "SK": 5.4, "IE": 5.3, "HR": 3.9, "LT": 2.9, "SI": 2.1,
    "LV": 1.9, "EE": 1.4, "CY": 0.9, "LU": 0.7, "MT": 0.6,
}

# Certifications a national operator of each country holds (ESTIMATE: as its providers do).
NATIONAL_CERTS = {"FR": ["secnumcloud-3.2", "iso-27001"], "DE": ["bsi-c5", "iso-27001"]}


def members():
    with open(COUNTRIES, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["eu_member"] == "true"]
    missing = sorted({r["code"] for r in rows} ^ set(POPULATION_M))
    if missing:
        sys.exit(f"population and data/countries.csv disagree on the member states: {missing}")
    return rows


def apportion(total, weights, floor):
    """Largest-remainder apportionment of `total` by `weights`, at least `floor` each."""
    keys = sorted(weights)
    rest = total - floor * len(keys)
    whole = sum(weights.values())
    quotas = {k: rest * weights[k] / whole for k in keys}
    seats = {k: floor + int(quotas[k]) for k in keys}
    left = total - sum(seats.values())
    order = sorted(keys, key=lambda k: (-(quotas[k] - int(quotas[k])), k))
    for k in order[:left]:
        seats[k] += 1
    return seats


def add_months(ym, months):
    y, m = ym
    n = y * 12 + (m - 1) + months
    return (n // 12, n % 12 + 1)


def date(ym):
    return f"{ym[0]:04d}-{ym[1]:02d}-01"


def main():
    rows = members()
    codes = sorted(r["code"] for r in rows)
    name = {r["code"]: r["name"] for r in rows}
    wait = {r["code"]: (float(r["grid_wait_months_min"]), float(r["grid_wait_months_max"])) for r in rows}
    sites = apportion(SITES, POPULATION_M, 1)
    gigas = apportion(GIGAFACTORIES, POPULATION_M, 0)
    # By population, largest first: the order a reader expects in tables.
    codes.sort(key=lambda c: (-POPULATION_M[c], c))

    out = []
    w = out.append
    total_gpus = GIGAFACTORIES * GIGA_GPUS + (SITES - GIGAFACTORIES) * FACTORY_GPUS
    gw = total_gpus * KW_PER_GPU / 1e6
    w("#:schema ./sovsim-scenario.schema.json")
    w("# europe-200-sites — Europe's candidate AI sites: 200 sites across the 27 member states, 60 of")
    w(f"# them gigafactory-class, ~{total_gpus / 1e6:.1f} million GPUs and ~{gw:.0f} GW of IT, each site under its own")
    w("# country's grid waits and power prices.")
    w("#")
    w("# GENERATED by scenarios/europe-200-sites.py from data/countries.csv: edit the generator, not this")
    w("# file (CI checks they agree). Its docstring states the rule that lays out the sites.")
    w("#")
    w("# The question: what does Europe's whole pipeline of candidate sites deliver, when, and at what cost,")
    w("# when every site waits on its own country's grid? The continental scale is the point: a planner")
    w("# sees which member states' queues hold the programme back (Germany, the Netherlands and Ireland")
    w("# wait longest, their gigafactories bridged by on-site gas) and how the P10-P90 of GW online")
    w("# widens with them.")
    w("#")
    w("# What a reader should see (1,000 replications): first power in 2030 and the first GW of IT in")
    w("# mid-2031 (P50); most member states' sites full by 2031-32, Germany's and the Netherlands' grid-only")
    w("# sites by 2035 and Ireland's by 2037 (P50), so the whole pipeline is full only near the end of the")
    w("# horizon; ~EUR 355bn of capex for ~12.8 GW, as eu-sovereign-2030 per GW; a programme that on")
    w("# its own earns less than its 7 % cost of capital even with InvestAI's EUR 20B as grants (the")
    w("# viability figures say how much more); demand outrunning the build — public inference mostly")
    w("# served, commercial inference under half in the P50 while the sites come online.")
    w("#")
    w("# Sources of the figures set here (everything else comes from data/, see `sovsim catalog`):")
    w("# - 60 gigafactory-class sites of 50,000 GPUs: the 76 expressions of interest in the EU's AI")
    w("#   gigafactories named 60 sites and >= 3 million GPUs (EC, 30 Jun 2025; REFERENCE-DATA 6.7).")
    w("# - Grid waits, prices and carbon: data/countries.csv (each row's sources; waits are ESTIMATE ranges).")
    w("# - Sites per member state by population (Eurostat, 1 Jan 2024), at least one each: a rule, not a")
    w("#   forecast of where sites will be.")
    w("# - Operators' ownership, contracts, demand, land and lead times: ESTIMATE, as eu-sovereign-2030.")
    w("")
    w("[scenario]")
    w('name = "europe-200-sites"')
    w(f'description = "Europe\'s candidate AI sites: 200 across the 27 member states, ~{gw:.0f} GW of IT"')
    w(f"start_date = {date(START)}")
    w("horizon_years = 12")
    w("period_months = 3")
    w('currency = "EUR"')
    w("discount_rate = 0.07                          # ESTIMATE (scenario author): a public-private programme's cost of capital, as eu-sovereign-2030")
    w("seed = 2030")
    w("")
    for c in codes:
        certs = ", ".join(f'"{x}"' for x in NATIONAL_CERTS.get(c, ["iso-27001"]))
        w("[[operators]]")
        w(f'id = "{c.lower()}-national"')
        w(f'name = "{name[c]} national AI operator"')
        w(f'parent_jurisdiction = "{c}"')
        w(f"ownership_pct = {{ {c} = 100 }}                        # ESTIMATE: a state-backed national operator")
        w(f'key_custody_jurisdiction = "{c}"')
        w(f'staff_jurisdictions = ["{c}"]')
        w(f"certifications = [{certs}]   # ESTIMATE: as the country's providers hold")
        w("open_source_stack_pct = 60                                # ESTIMATE: an OpenStack/Kubernetes stack")
        w("")
    w("""[[operators]]
id = "us-hyperscaler-eu"
name = "EU subsidiary of a US hyperscaler"
parent_jurisdiction = "US"
ownership_pct = { US = 100 }                             # a wholly owned subsidiary
key_custody_jurisdiction = "US"
staff_jurisdictions = ["NL", "IE", "US"]
operating_jurisdiction = "IE"                             # ESTIMATE: its EU subsidiary runs the region
supplier_jurisdictions = ["US", "IE"]                     # ESTIMATE: the parent's own software and services
certifications = ["iso-27001", "bsi-c5"]                  # ESTIMATE: hyperscalers hold both
open_source_stack_pct = 10                                # ESTIMATE: a proprietary stack
cost_of_capital = 0.0658                                  # Meta's Hyperion SPV: A+ bonds at 6.58 % (Bloomberg, Oct 2025, secondary)

[[operators]]
id = "gulf-backed-ai"
name = "EU AI campus with a Gulf sovereign investor"
parent_jurisdiction = "ES"
ownership_pct = { ES = 55, AE = 30, FR = 15 }            # ESTIMATE: 30 % breaks SecNumCloud's 24 % cap
key_custody_jurisdiction = "ES"
staff_jurisdictions = ["ES"]
certifications = ["iso-27001"]                            # ESTIMATE
open_source_stack_pct = 40                                # ESTIMATE
veto_jurisdictions = ["AE"]
""")

    anchors = []
    private = 0
    for c in codes:
        lo, hi = wait[c]
        grid_due = 6 + 15 + (lo + hi) / 2
        for i in range(sites[c]):
            giga = i < gigas[c]
            gpus = GIGA_GPUS if giga else FACTORY_GPUS
            it_mw = 150 if giga else 30
            grid_mw = 180 if giga else 40
            ccgt = giga and hi >= 84
            if giga or (i - gigas[c]) % 3 != 2:
                operator = f"{c.lower()}-national"
            else:
                operator = ("us-hyperscaler-eu", "gulf-backed-ai")[private % 2]
                private += 1
            sid = f"{c.lower()}-{i + 1:02d}"
            kind = "gigafactory-class" if giga else "AI-factory-class"
            power_due = min(grid_due, 6 + 15 + 48) if ccgt else grid_due
            due = max(6 + 15 + 24, power_due)
            order = add_months(START, int(round(due)) - 9)
            area = round(it_mw * 0.3 + 20)
            w("[[sites]]")
            w(f'id = "{sid}"')
            w(f'name = "{name[c]} {i + 1} ({kind})"')
            w(f'country = "{c}"')
            w(f"area_ha = {area}                                       # ESTIMATE: 30 ha per 100 MW (REFERENCE-DATA 3.4) + 20 ha")
            w("land_price_eur_per_ha = 150000                # ESTIMATE: rural industrial land, not sourced")
            w(f"max_it_mw = {it_mw}                                    # design: {gpus:,} GPUs × 2.92 kW (catalog)")
            w('acquisition_months = { dist = "triangular", min = 3, mode = 6, max = 12 }          # ESTIMATE')
            w('permit_months = { dist = "pert", min = 9, mode = 15, max = 30, factor = "permitting" }  # ESTIMATE')
            w("")
            w("[[grid_connections]]")
            w(f'id = "{sid}-grid"')
            w(f'site = "{sid}"')
            w(f"capacity_mw = {grid_mw}                                  # design: IT × PUE 1.15, with headroom")
            w("")
            if ccgt:
                w("[[power_assets]]")
                w(f'id = "{sid}-ccgt"')
                w(f'site = "{sid}"')
                w('tech = "ccgt"')
                w("capacity_mw = 190                             # design: bridges the grid queue (150 MW × 1.15 ÷ availability 0.92)")
                w("start_date = 2026-10-01")
                w('build_months = { dist = "pert", min = 36, mode = 48, max = 84, factor = "turbine-supply" }  # S&P Global Platts: gas turbine waits 1-7 years (ESTIMATE range)')
                w('energy_price_eur_per_mwh = { dist = "triangular", min = 35, mode = 50, max = 80 }   # ESTIMATE: fuel and variable O&M')
                w("")
            w("[[shells]]")
            w(f'id = "{sid}-campus"')
            w(f'site = "{sid}"')
            w('type = "liquid-hall"')
            w("phases = [")
            w(f'  {{ it_mw = {it_mw}, build_months = {{ dist = "triangular", min = 18, mode = 24, max = 36, factor = "construction" }} }},  # design; build time REFERENCE-DATA 3.2 greenfield 24-36 months (ESTIMATE range)')
            w("]")
            w("")
            w("[[clusters]]")
            w(f'id = "{sid}-vr"')
            w(f'shell = "{sid}-campus"')
            w(f'operator = "{operator}"')
            w('sku = "vera-rubin-nvl72"')
            w(f"gpus = {gpus}                                    # design: {kind} (see the header)")
            w(f"order_date = {date(order)}                          # design: lands as hall and power are due (P50, the generator's rule)")
            w('repair_days = { dist = "triangular", min = 1, mode = 3, max = 14 }  # ESTIMATE: no sourced repair time')
            w('lead_time_months = { dist = "pert", min = 6, mode = 9, max = 18, factor = "gpu-supply" }  # ESTIMATE')
            w('install_months = { dist = "triangular", min = 1, mode = 2, max = 4 }                   # ESTIMATE')
            w("")
            if giga:
                anchors.append(sid)

    public_gpus = 0.6 * GIGAFACTORIES * GIGA_GPUS
    rest_gpus = total_gpus - public_gpus
    # eu-sovereign-2030's per-GPU sizing: 4e13 tokens a day for 288,000 contracted GPUs at
    # opening (~70 % of them at ≈3,650 tokens/s); 1e14 for ~100,000 commercial GPUs.
    public_p50 = 4e13 * public_gpus / 288_000
    commercial_p50 = 1e14 * rest_gpus / 100_000 * 0.6 / 0.7
    w("""[[tiers]]
id = "eu-immune"
description = "Public-sector sensitive data: immune to non-EU law (SecNumCloud 3.2)"
preset = "secnumcloud-3.2"

[[tiers]]
id = "eu-resident"
description = "Commercial workloads: data stays in the EU, whoever operates"
preset = "eu-data-residency"

[[models]]
id = "deepseek-v3"

[[models]]
id = "mistral-large-2"
overrides = { training_tokens_t = 15 }        # ESTIMATE: undisclosed; assumed equal to Llama 3.1's ~15T
""")
    nationals = ", ".join(f'"{c.lower()}-national"' for c in codes)
    w("# The public sector's inference on the national operators, sized as eu-sovereign-2030's per")
    w("# contracted GPU: ~70 % of the contracted capacity at opening, growing as services adopt it.")
    w("[[demand.inference]]")
    w('id = "public-administration"')
    w('tier = "eu-immune"')
    w('model = "mistral-large-2"')
    w(f"operators = [{nationals}]")
    w(f'tokens_per_day = {{ dist = "lognormal", p50 = {public_p50:.3g}, p90 = {public_p50 * 1.5:.3g}, factor = "adoption" }}   # ESTIMATE: see above')
    w('growth_per_year = { dist = "triangular", min = 0.05, mode = 0.1, max = 0.2, factor = "adoption" }  # ESTIMATE')
    w("start_date = 2030-01-01")
    w("")
    w("# Commercial inference from every operator, sized as eu-sovereign-2030's per GPU: ~60 % of the")
    w("# capacity outside the public contracts at opening, growing.")
    w("[[demand.inference]]")
    w('id = "commercial"')
    w('tier = "eu-resident"')
    w('model = "deepseek-v3"')
    w(f'operators = [{nationals}, "us-hyperscaler-eu", "gulf-backed-ai"]')
    w(f'tokens_per_day = {{ dist = "lognormal", p50 = {commercial_p50:.3g}, p90 = {commercial_p50 * 1.6:.3g}, factor = "adoption" }}   # ESTIMATE: see above')
    w('growth_per_year = { dist = "triangular", min = 0.05, mode = 0.15, max = 0.3, factor = "adoption" }  # ESTIMATE')
    w("start_date = 2030-01-01")
    w("")
    w("""[dispatch]
policy = "siloed"

[finance]
eur_per_currency = { USD = 0.87 }   # planning assumption of the scenario author, not a forecast
base_rate = 0.025                   # ESTIMATE
construction_margin = 0.045         # REFERENCE-DATA 7.2: SOFR+350-650 bp (weak)
term_margin = 0.0225                # REFERENCE-DATA 7.2: "low to mid-200s over SOFR" for IG tenants
target_dscr = 1.30                  # REFERENCE-DATA 7.2: 1.20-1.40x for contracted deals (ESTIMATE)
lockup_dscr = 1.15                  # ESTIMATE
max_gearing = 0.60                  # REFERENCE-DATA 7.2: construction LTC 60-75% (weak)
tenor_years = 4                     # ESTIMATE: inside the five-year public contracts, with a tail
dsra_months = 6                     # FINANCE.md: 6 or 12 months
tax_rate = 0.25                     # ESTIMATE: a representative EU corporate tax rate (not in REFERENCE-DATA)
gpu_depreciation_years = 6          # REFERENCE-DATA 2.3: Microsoft, Alphabet 6 years
grants_eur = 20e9                   # InvestAI: EUR 20B for up to five AI gigafactories (EC, 11 Feb 2025)
gpu_hour_price_eur = { vera-rubin-nvl72 = { dist = "triangular", min = 3.8, mode = 5.1, max = 6.2, factor = "gpu-rents" } }  # ESTIMATE: as eu-sovereign-2030 (GB300's ≈EUR 4.0 × launch premium 1.28)
gpu_release_date = { vera-rubin-nvl72 = 2029-07-01 }   # ESTIMATE: as eu-sovereign-2030
maintenance_pct_per_year = 2.0      # ESTIMATE (scenario author): halls and GPUs; no public figure in REFERENCE-DATA
insurance_pct_per_year = 0.3        # ESTIMATE (scenario author): no public figure in REFERENCE-DATA
staff_eur_per_mw_year = 50000       # ESTIMATE (scenario author): no public figure in REFERENCE-DATA
network_eur_per_gpu_year = 500      # ESTIMATE (scenario author): no public figure in REFERENCE-DATA

# The public sector takes 60 % of each gigafactory-class site for five years at 0.6 × the market
# price when new, as in eu-sovereign-2030 (between IREN's 0.44 and a one-year contract's 0.8 of
# on-demand, REFERENCE-DATA 11.4, 11.5).""")
    for sid in anchors:
        w("[[contracts]]")
        w(f'id = "{sid}-public-anchor"')
        w("counterparty = \"EU member states' public sector (illustrative)\"")
        w(f'clusters = ["{sid}-vr"]')
        w(f"gpus = {int(GIGA_GPUS * 0.6)}                                     # ESTIMATE: 60 % of the site")
        w("price_eur_per_gpu_hour = 3.05                 # ESTIMATE: see above")
        w("term_years = 5                                # ESTIMATE: see above")
        w("take_or_pay = 1.0                             # ESTIMATE: see above")
        w("")
    w("""[uncertainty]
factors = ["permitting", "grid-delay", "turbine-supply", "construction", "gpu-supply", "adoption", "gpu-rents"]
# ESTIMATE, as eu-sovereign-2030: construction and permitting delays move together; GPU scarcity raises rents.
correlation = [
  # perm  grid  turb  cons  gpu   adopt rents
  [1.0,  0.3,  0.0,  0.4,  0.0,  0.0,  0.0],   # permitting
  [0.3,  1.0,  0.2,  0.2,  0.0,  0.0,  0.0],   # grid-delay
  [0.0,  0.2,  1.0,  0.2,  0.0,  0.0,  0.0],   # turbine-supply
  [0.4,  0.2,  0.2,  1.0,  0.0,  0.0,  0.0],   # construction
  [0.0,  0.0,  0.0,  0.0,  1.0,  0.3,  0.5],   # gpu-supply
  [0.0,  0.0,  0.0,  0.0,  0.3,  1.0,  0.3],   # adoption
  [0.0,  0.0,  0.0,  0.0,  0.5,  0.3,  1.0],   # gpu-rents
]""")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    text = main()
    if "--check" in sys.argv[1:]:
        if OUT.read_text() != text:
            sys.exit(f"{OUT.name} is not what {Path(__file__).name} writes: run it and commit the result")
    else:
        OUT.write_text(text)

//! The room the planned build leaves for GPUs bought later: IT capacity of each hall's phases and
//! firm power of each site, less what the planned clusters take once complete.

use super::{Cluster, GridConnection, PowerAsset, Shell};

/// Room left per hall and per site, taken as GPUs are ordered into it.
#[derive(Clone, Debug, PartialEq)]
pub struct Room {
    /// Per hall: IT capacity of all its phases not taken [MW].
    pub hall_it_mw: Vec<f64>,
    /// Per site: firm power (every grid connection, dispatchable plants at capacity × availability)
    /// not drawn by the facility load (IT × PUE) of what is taken [MW].
    pub site_firm_mw: Vec<f64>,
}

impl PowerAsset {
    /// Firm output while up [MW]: a plant whose outages are simulated gives its full capacity
    /// while up; one without, capacity × availability (for a weather-driven source, its capacity
    /// factor; it is firm only if dispatchable).
    pub fn output_up_mw(&self) -> f64 {
        match self.outage_days {
            Some(_) => self.capacity.0,
            None => self.capacity.0 * self.tech.availability.unwrap_or(1.0),
        }
    }
}

impl Room {
    /// The room `sites` sites' halls, grid connections and plants leave once the planned clusters
    /// among `clusters` are complete (refreshes replace the power of what they follow, and GPUs
    /// bought later are not planned: neither takes room here).
    pub fn left(
        sites: usize,
        shells: &[Shell],
        grid: &[GridConnection],
        power: &[PowerAsset],
        clusters: &[Cluster],
    ) -> Room {
        let mut room = Room {
            hall_it_mw: shells.iter().map(|h| h.it().0).collect(),
            site_firm_mw: vec![0.0; sites],
        };
        for g in grid {
            room.site_firm_mw[g.site.index()] += g.capacity.0;
        }
        for a in power.iter().filter(|a| a.tech.dispatchable) {
            room.site_firm_mw[a.site.index()] += a.output_up_mw();
        }
        for c in clusters.iter().filter(|c| c.planned()) {
            room.take(shells, c, c.gpus);
        }
        room
    }

    /// GPUs of `cluster` (in one of `shells`) the room still holds.
    pub fn gpus_for(&self, shells: &[Shell], cluster: &Cluster) -> u64 {
        let hall = &shells[cluster.shell.index()];
        let it_mw = self.hall_it_mw[cluster.shell.index()]
            .min(self.site_firm_mw[cluster.site.index()] / hall.kind.pue)
            .max(0.0);
        // A hair of tolerance, so that room computed as a sum of the same GPUs fits them exactly.
        (it_mw * 1000.0 / cluster.accelerator.all_in_power_kw + 1e-9).floor() as u64
    }

    /// Takes the room `gpus` GPUs of `cluster` need.
    pub fn take(&mut self, shells: &[Shell], cluster: &Cluster, gpus: u64) {
        let it_mw = gpus as f64 * cluster.accelerator.all_in_power_kw / 1000.0;
        let hall = &shells[cluster.shell.index()];
        self.hall_it_mw[cluster.shell.index()] -= it_mw;
        self.site_firm_mw[cluster.site.index()] -= it_mw * hall.kind.pue;
    }
}

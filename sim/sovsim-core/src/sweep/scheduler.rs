//! Scheduler integration, not a scheduler: the files that hand a sweep to the one a cluster
//! already runs — a Slurm array job with `%` throttling and a merge job that depends on it, and a
//! Kubernetes Indexed Job — with each task's time and memory estimated from a measured pilot case.
//! Text only; the binary measures the pilot and writes the files.

use std::fmt::Write as _;

/// What a pilot case measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pilot {
    /// Its wall time, loading included [s].
    pub wall_s: f64,
    /// The peak resident memory of the process that ran it [MB].
    pub peak_mb: f64,
}

/// Head-room over the pilot's measure: cases differ (a longer grid delay, a larger case), and a
/// task killed at its limit is a task run twice. A modelling choice (ESTIMATE), stated in every
/// script written.
pub const SAFETY: f64 = 2.0;

/// Least time a task is given: the scheduler's start-up and the task's loading, whatever the
/// cases (ESTIMATE).
pub const MIN_TASK_S: u64 = 300;

/// A sweep handed to a scheduler.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// The sweep's name: the jobs' names.
    pub name: String,
    /// The command that runs a shard, program first, every path absolute (`sovsim sweep run …
    /// --shards N`); the shard comes from the scheduler's array index.
    pub run: Vec<String>,
    /// The command that merges, program first.
    pub merge: Vec<String>,
    /// The folder the commands run in.
    pub workdir: String,
    /// The folder of the tasks' logs.
    pub logs: String,
    /// Cases in the plan.
    pub cases: u64,
    /// Array tasks.
    pub shards: u64,
    /// Most tasks running at once (Slurm's `%`, Kubernetes' `parallelism`).
    pub throttle: u64,
    /// Cores per task (and cases a task runs at once).
    pub cpus: u64,
    /// Slurm partition, if not the default.
    pub partition: Option<String>,
    /// Slurm account, if any.
    pub account: Option<String>,
    /// What the pilot case measured.
    pub pilot: Pilot,
}

/// A task's limits: wall time [s] and memory [MB].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wall time.
    pub time_s: u64,
    /// Memory.
    pub mem_mb: u64,
}

impl Job {
    /// Cases the largest shard holds.
    pub fn cases_per_task(&self) -> u64 {
        self.cases.div_ceil(self.shards.max(1))
    }

    /// A shard's limits: its cases run `cpus` at a time, each as long as the pilot, with
    /// [`SAFETY`] head-room; memory for `cpus` pilots at once, likewise. At least
    /// [`MIN_TASK_S`]; memory in whole 64 MB.
    pub fn task_limits(&self) -> Limits {
        let rounds = self.cases_per_task().div_ceil(self.cpus.max(1));
        let time = self.pilot.wall_s * rounds as f64 * SAFETY;
        let mem = self.pilot.peak_mb * self.cpus.max(1) as f64 * SAFETY;
        Limits {
            time_s: (time.ceil() as u64).max(MIN_TASK_S).div_ceil(60) * 60,
            mem_mb: (mem.ceil() as u64).max(64).div_ceil(64) * 64,
        }
    }

    /// The merge's limits: it loads what a pilot loads and reads every case's result (a few kB
    /// each), so the pilot's memory with head-room and [`MIN_TASK_S`] of time.
    pub fn merge_limits(&self) -> Limits {
        let mem = self.pilot.peak_mb * SAFETY + self.cases as f64 * 0.01;
        Limits {
            time_s: MIN_TASK_S,
            mem_mb: (mem.ceil() as u64).max(64).div_ceil(64) * 64,
        }
    }

    /// The Slurm array script: one task per shard, `%` throttled, each running `sovsim sweep
    /// run` (which reads its shard from `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT`).
    pub fn slurm_array(&self) -> String {
        let l = self.task_limits();
        let mut s = String::from("#!/bin/bash\n");
        let _ = writeln!(s, "#SBATCH --job-name=sovsim-{}", self.name);
        let _ = writeln!(
            s,
            "#SBATCH --array=0-{}%{}",
            self.shards.saturating_sub(1),
            self.throttle
        );
        let _ = writeln!(s, "#SBATCH --ntasks=1");
        let _ = writeln!(s, "#SBATCH --cpus-per-task={}", self.cpus);
        let _ = writeln!(s, "#SBATCH --mem={}M", l.mem_mb);
        let _ = writeln!(s, "#SBATCH --time={}", slurm_time(l.time_s));
        let _ = writeln!(s, "#SBATCH --output={}/%A_%a.out", self.logs);
        self.slurm_placement(&mut s);
        let _ = writeln!(
            s,
            "# {} cases in {} tasks, at most {} at once; each task runs up to {} cases, {} at a time.",
            self.cases,
            self.shards,
            self.throttle,
            self.cases_per_task(),
            self.cpus
        );
        let _ = writeln!(
            s,
            "# Limits from a pilot case: {:.1} s and {:.0} MB peak, × {} head-room (ESTIMATE).",
            self.pilot.wall_s, self.pilot.peak_mb, SAFETY
        );
        let _ = writeln!(
            s,
            "# A task that fails or is pre-empted can be resubmitted alone (sbatch --array=I this-file):\n# cases already written are skipped, none is written twice or in part."
        );
        let _ = writeln!(s, "set -euo pipefail");
        let _ = writeln!(s, "cd {}", quote(&self.workdir));
        let _ = writeln!(s, "exec {}", command(&self.run));
        s
    }

    /// The Slurm merge script, submitted to run once the array has succeeded.
    pub fn slurm_merge(&self) -> String {
        let l = self.merge_limits();
        let mut s = String::from("#!/bin/bash\n");
        let _ = writeln!(s, "#SBATCH --job-name=sovsim-{}-merge", self.name);
        let _ = writeln!(s, "#SBATCH --ntasks=1");
        let _ = writeln!(s, "#SBATCH --cpus-per-task=1");
        let _ = writeln!(s, "#SBATCH --mem={}M", l.mem_mb);
        let _ = writeln!(s, "#SBATCH --time={}", slurm_time(l.time_s));
        let _ = writeln!(s, "#SBATCH --output={}/%j-merge.out", self.logs);
        self.slurm_placement(&mut s);
        let _ = writeln!(s, "set -euo pipefail");
        let _ = writeln!(s, "cd {}", quote(&self.workdir));
        let _ = writeln!(s, "exec {}", command(&self.merge));
        s
    }

    fn slurm_placement(&self, s: &mut String) {
        if let Some(p) = &self.partition {
            let _ = writeln!(s, "#SBATCH --partition={p}");
        }
        if let Some(a) = &self.account {
            let _ = writeln!(s, "#SBATCH --account={a}");
        }
    }

    /// The script that submits both: the array, then the merge with `--dependency=afterok` on
    /// it; prints the two job ids.
    pub fn slurm_submit(&self, array: &str, merge: &str) -> String {
        let mut s = String::from("#!/bin/bash\n");
        let _ = writeln!(
            s,
            "# Submits sweep `{}`: the array of {} tasks, then its merge once every task has succeeded.",
            self.name, self.shards
        );
        let _ = writeln!(s, "set -euo pipefail");
        let _ = writeln!(s, "mkdir -p {}", quote(&self.logs));
        let _ = writeln!(s, "array=$(sbatch --parsable {})", quote(array));
        let _ = writeln!(
            s,
            "merge=$(sbatch --parsable --dependency=afterok:\"${{array%%;*}}\" {})",
            quote(merge)
        );
        let _ = writeln!(s, "echo \"array ${{array%%;*}} merge ${{merge%%;*}}\"");
        s
    }

    /// A Kubernetes Indexed Job running the shards (`JOB_COMPLETION_INDEX` of `--shards`) in
    /// `image`, with the sweep's folder and files on the volume claim `claim` mounted at `mount`
    /// (the paths of the commands must hold there). Kubernetes has no dependency between jobs:
    /// the merge job runs after `kubectl wait --for=condition=complete` ([`Job::kubernetes_submit`]).
    pub fn kubernetes(&self, image: &str, claim: &str, mount: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# sovsim sweep `{}`: {} cases in {} indexed pods, at most {} at once; limits from a pilot\n# case ({:.1} s, {:.0} MB peak, × {} head-room: ESTIMATE). A pod that fails is retried; cases\n# already written are skipped.",
            self.name,
            self.cases,
            self.shards,
            self.throttle,
            self.pilot.wall_s,
            self.pilot.peak_mb,
            SAFETY
        );
        let _ = writeln!(
            s,
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {}",
            kube_name(&self.name)
        );
        let _ = writeln!(
            s,
            "spec:\n  completionMode: Indexed\n  completions: {}\n  parallelism: {}\n  backoffLimitPerIndex: 3\n  activeDeadlineSeconds: {}",
            self.shards,
            self.throttle,
            self.all_tasks_s()
        );
        self.kubernetes_pod(
            s,
            &self.run,
            self.task_limits(),
            image,
            claim,
            mount,
            self.cpus,
        )
    }

    /// The merge as a Kubernetes Job of one pod.
    pub fn kubernetes_merge(&self, image: &str, claim: &str, mount: &str) -> String {
        let l = self.merge_limits();
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# sovsim sweep `{}`: the merge of its {} cases.",
            self.name, self.cases
        );
        let _ = writeln!(
            s,
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {}-merge",
            kube_name(&self.name)
        );
        let _ = writeln!(
            s,
            "spec:\n  completions: 1\n  backoffLimit: 2\n  activeDeadlineSeconds: {}",
            l.time_s * 2
        );
        self.kubernetes_pod(s, &self.merge, l, image, claim, mount, 1)
    }

    /// Longest all tasks may take, in waves of `throttle`, each given twice its limit: the
    /// Kubernetes job's deadline and how long its submit script waits for it.
    fn all_tasks_s(&self) -> u64 {
        self.task_limits().time_s * self.shards.div_ceil(self.throttle.max(1)) * 2
    }

    /// The script that applies the indexed job, waits for it, then applies the merge.
    pub fn kubernetes_submit(&self, job: &str, merge: &str) -> String {
        let wait_s = self.all_tasks_s();
        let name = kube_name(&self.name);
        format!(
            "#!/bin/bash\n# Submits sweep `{}` to Kubernetes: the indexed job, then its merge once every index has completed.\nset -euo pipefail\nkubectl apply -f {}\nkubectl wait --for=condition=complete --timeout={wait_s}s job/{name}\nkubectl apply -f {}\nkubectl wait --for=condition=complete --timeout={}s job/{name}-merge\n",
            self.name,
            quote(job),
            quote(merge),
            self.merge_limits().time_s * 2,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn kubernetes_pod(
        &self,
        mut s: String,
        run: &[String],
        l: Limits,
        image: &str,
        claim: &str,
        mount: &str,
        cpus: u64,
    ) -> String {
        let _ = writeln!(
            s,
            "  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: sovsim\n          image: {}",
            yaml_string(image)
        );
        let _ = writeln!(s, "          workingDir: {}", yaml_string(&self.workdir));
        let _ = writeln!(s, "          command:");
        for word in run {
            let _ = writeln!(s, "            - {}", yaml_string(word));
        }
        let _ = writeln!(
            s,
            "          resources:\n            requests: {{ cpu: \"{c}\", memory: \"{m}Mi\" }}\n            limits: {{ cpu: \"{c}\", memory: \"{m}Mi\" }}",
            c = cpus,
            m = l.mem_mb
        );
        let _ = writeln!(
            s,
            "          volumeMounts:\n            - name: sweep\n              mountPath: {}\n      volumes:\n        - name: sweep\n          persistentVolumeClaim:\n            claimName: {}",
            yaml_string(mount),
            yaml_string(claim)
        );
        s
    }
}

/// `D-HH:MM:SS`, as `sbatch --time` takes it.
pub fn slurm_time(seconds: u64) -> String {
    let (d, rest) = (seconds / 86_400, seconds % 86_400);
    format!(
        "{d}-{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// A word for a POSIX shell: as is when it holds only safe characters, else single-quoted.
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn command(words: &[String]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// A YAML double-quoted string.
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// A Kubernetes object name: lower-case letters, digits and `-`, at most 63 characters.
fn kube_name(name: &str) -> String {
    let mut out: String = format!("sovsim-{name}")
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(63)
        .collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Job {
        Job {
            name: "eu grid".into(),
            run: vec![
                "/opt/sovsim".into(),
                "sweep".into(),
                "run".into(),
                "/data/it's here/s.toml".into(),
                "--shards".into(),
                "40".into(),
            ],
            merge: vec!["/opt/sovsim".into(), "sweep".into(), "merge".into()],
            workdir: "/data".into(),
            logs: "/data/out/slurm/logs".into(),
            cases: 1000,
            shards: 40,
            throttle: 8,
            cpus: 2,
            partition: Some("debug".into()),
            account: None,
            pilot: Pilot {
                wall_s: 3.0,
                peak_mb: 100.0,
            },
        }
    }

    #[test]
    fn limits_follow_the_pilot_with_head_room() {
        let j = job();
        assert_eq!(j.cases_per_task(), 25);
        // 25 cases, 2 at a time: 13 rounds of 3 s, doubled = 78 s, raised to the 300 s floor.
        assert_eq!(
            j.task_limits(),
            Limits {
                time_s: 300,
                mem_mb: 448
            }
        );
        let slow = Job {
            pilot: Pilot {
                wall_s: 60.0,
                peak_mb: 700.0,
            },
            ..job()
        };
        // 13 rounds of 60 s, doubled: 1,560 s = 26 minutes; 2 × 700 MB doubled: 2,800 → 2,816 MB.
        assert_eq!(
            slow.task_limits(),
            Limits {
                time_s: 1560,
                mem_mb: 2816
            }
        );
        assert_eq!(slurm_time(1560), "0-00:26:00");
        assert_eq!(slurm_time(90_061), "1-01:01:01");
    }

    #[test]
    fn the_scripts_say_what_sbatch_and_kubectl_need() {
        let j = job();
        let array = j.slurm_array();
        for line in [
            "#SBATCH --array=0-39%8",
            "#SBATCH --cpus-per-task=2",
            "#SBATCH --mem=448M",
            "#SBATCH --time=0-00:05:00",
            "#SBATCH --partition=debug",
            "exec /opt/sovsim sweep run '/data/it'\\''s here/s.toml'",
        ] {
            assert!(array.contains(line), "{line} in\n{array}");
        }
        assert!(!array.contains("--account"));
        let submit = j.slurm_submit("a.sbatch", "m b.sbatch");
        assert!(submit.contains("--dependency=afterok:\"${array%%;*}\" 'm b.sbatch'"));
        let kube = j.kubernetes("registry/sovsim:0.1", "sweeps", "/data");
        for line in [
            "name: sovsim-eu-grid",
            "completionMode: Indexed",
            "completions: 40",
            "parallelism: 8",
            "- \"--shards\"",
            "- \"40\"",
            "claimName: \"sweeps\"",
        ] {
            assert!(kube.contains(line), "{line} in\n{kube}");
        }
    }
}

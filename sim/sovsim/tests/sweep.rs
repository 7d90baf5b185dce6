//! `sovsim sweep` as a user runs it: a sweep sharded over processes merges to the same bytes as
//! one process, each case equals `sovsim run` of it alone, a killed shard resumes without a
//! duplicate or partial case, and a bad sweep file gets every problem at once, located.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sovsim(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sovsim"));
    c.args(args).current_dir(repo());
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "JOB_COMPLETION_INDEX",
        "AWS_BATCH_JOB_ARRAY_INDEX",
        "AWS_BATCH_JOB_ARRAY_SIZE",
    ] {
        c.env_remove(v);
    }
    c.envs(env.iter().copied()).output().expect("sovsim runs")
}

fn ok(output: Output) -> Output {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A folder holding the quickstart scenario and a sweep over it with `runs` replications (the
/// sweep names a scenario in its own folder, so no `--allow-path` is needed).
fn sweep_folder(runs: u64) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        repo().join("scenarios/quickstart.toml"),
        dir.path().join("quickstart.toml"),
    )
    .expect("scenario copied");
    let text = std::fs::read_to_string(repo().join("sweeps/quickstart-grid-rent.toml"))
        .expect("shipped sweep")
        .replace("../scenarios/quickstart.toml", "quickstart.toml")
        .replace("runs = 50", &format!("runs = {runs}"));
    let file = dir.path().join("sweep.toml");
    std::fs::write(&file, text).expect("sweep written");
    let file = file.display().to_string();
    (dir, file)
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn records(cases: &Path) -> Vec<serde_json::Value> {
    let mut out: Vec<(String, serde_json::Value)> = std::fs::read_dir(cases)
        .expect("cases folder")
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let value = serde_json::from_slice(&bytes(&e.path()))
                .unwrap_or_else(|err| panic!("{name} is not whole JSON: {err}"));
            (name, value)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, v)| v).collect()
}

#[test]
fn shards_merge_to_the_bytes_of_one_process_and_each_case_equals_its_run_alone() {
    let (dir, spec) = sweep_folder(20);
    let one = dir.path().join("one");
    let sharded = dir.path().join("sharded");
    let one_s = one.display().to_string();
    let sharded_s = sharded.display().to_string();
    ok(sovsim(&["sweep", "run", &spec, "--out", &one_s], &[]));
    ok(sovsim(&["sweep", "merge", &spec, "--out", &one_s], &[]));
    // Three shards as three processes at once: by flag, by Slurm's variables, by AWS Batch's.
    let shard = |env: Vec<(&'static str, &'static str)>, extra: Vec<&'static str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sovsim"));
        c.args(["sweep", "run", &spec, "--out", &sharded_s, "--threads", "1"])
            .args(extra)
            .envs(env)
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c.spawn().expect("shard starts")
    };
    let children = vec![
        shard(vec![], vec!["--shard", "0/3"]),
        shard(
            vec![
                ("SLURM_ARRAY_TASK_ID", "11"),
                ("SLURM_ARRAY_TASK_MIN", "10"),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
            ],
            vec![],
        ),
        shard(
            vec![("AWS_BATCH_JOB_ARRAY_INDEX", "2")],
            vec!["--shards", "3"],
        ),
    ];
    for (k, child) in children.into_iter().enumerate() {
        let out = ok(child.wait_with_output().expect("shard ends"));
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains(&format!("Shard {k}/3")), "{said}");
        // 16 cases over 3 shards: 6, 5, 5.
        let held = if k == 0 { 6 } else { 5 };
        assert!(
            said.contains(&format!("{held} case(s) of 16; ran {held}")),
            "{said}"
        );
    }
    // Merging before every case is done is refused, naming what is missing.
    let partial = dir.path().join("partial");
    std::fs::create_dir_all(partial.join("cases")).expect("folder");
    let partial_s = partial.display().to_string();
    let refused = sovsim(&["sweep", "merge", &spec, "--out", &partial_s], &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("16 case(s) have no result"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let merged = ok(sovsim(&["sweep", "merge", &spec, "--out", &sharded_s], &[]));
    // What merge says, sweep.json and the table agree on each target.
    let said = String::from_utf8_lossy(&merged.stdout);
    let about: serde_json::Value =
        serde_json::from_slice(&bytes(&sharded.join("sweep.json"))).expect("sweep.json");
    let table = std::fs::read_to_string(sharded.join("sweep.csv")).expect("csv");
    let header: Vec<&str> = table.lines().next().unwrap_or("").split(',').collect();
    let targets = about["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 2);
    for t in targets {
        let column = format!("meets_{}", t["name"].as_str().unwrap_or(""));
        let at = header
            .iter()
            .position(|h| *h == column)
            .unwrap_or_else(|| panic!("{column} in {header:?}"));
        let meeting = table
            .lines()
            .skip(1)
            .filter(|l| l.split(',').nth(at) == Some("true"))
            .count();
        assert_eq!(t["cases_meeting"].as_u64(), Some(meeting as u64), "{t}");
        assert!(
            said.contains(&format!(
                "{}: {meeting} of 16 case(s)",
                t["test"].as_str().unwrap_or("")
            )),
            "{said}"
        );
    }
    assert!(sharded.join("sweep.pdf").is_file());
    assert!(
        sharded
            .join("charts/sweep_dscr_min_p10_by_gpu_rent.svg")
            .is_file()
    );
    for file in ["sweep.parquet", "sweep.csv", "sweep.json", "sweep.pdf"] {
        assert!(
            bytes(&one.join(file)) == bytes(&sharded.join(file)),
            "{file} differs between one process and three shards"
        );
    }
    assert_eq!(
        records(&one.join("cases")),
        records(&sharded.join("cases")),
        "each case's result is the same whichever shard ran it"
    );
    // Two cases run alone with `sovsim run` and the arguments their records give.
    let all = records(&one.join("cases"));
    for record in [&all[0], &all[all.len() - 1]] {
        let alone = dir
            .path()
            .join(format!("alone-{}", record["id"].as_str().unwrap_or("")));
        let mut args: Vec<String> = vec![
            "run".into(),
            dir.path().join("quickstart.toml").display().to_string(),
            "--out".into(),
            alone.display().to_string(),
        ];
        args.extend(
            record["run_arguments"]
                .as_array()
                .expect("arguments")
                .iter()
                .map(|a| a.as_str().unwrap_or("").to_owned()),
        );
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(sovsim(&refs, &[]));
        let summary: serde_json::Value =
            serde_json::from_slice(&bytes(&alone.join("summary.json"))).expect("summary");
        let outputs = record["outputs"].as_object().expect("outputs");
        assert_eq!(outputs.len(), 15);
        for (key, value) in outputs {
            assert_eq!(&summary[key], value, "{key} of case {}", record["id"]);
        }
    }
}

#[test]
fn a_killed_shard_resumes_with_no_duplicate_or_partial_case() {
    let (dir, spec) = sweep_folder(300);
    let reference = dir.path().join("reference");
    let killed = dir.path().join("killed");
    let (reference_s, killed_s) = (
        reference.display().to_string(),
        killed.display().to_string(),
    );
    ok(sovsim(&["sweep", "run", &spec, "--out", &reference_s], &[]));
    ok(sovsim(
        &["sweep", "merge", &spec, "--out", &reference_s],
        &[],
    ));
    let mut child = Command::new(env!("CARGO_BIN_EXE_sovsim"))
        .args(["sweep", "run", &spec, "--out", &killed_s, "--threads", "1"])
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    // Killed (SIGKILL: no chance to clean up) once a few cases are written, mid-way.
    let cases = killed.join("cases");
    let started = Instant::now();
    let written = |d: &Path| {
        std::fs::read_dir(d).map_or(0, |r| {
            r.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                .count()
        })
    };
    while written(&cases) < 3 && started.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("killed");
    let _ = child.wait();
    let done = written(&cases);
    assert!(
        (3..16).contains(&done),
        "killed mid-way: {done} of 16 written"
    );
    // What is there is whole: every visible result parses (a partial one would be a hidden
    // temporary file, which a resumed shard removes).
    assert_eq!(records(&cases).len(), done + hidden(&cases));
    let resumed = ok(sovsim(
        &["sweep", "run", &spec, "--out", &killed_s, "--threads", "1"],
        &[],
    ));
    let said = String::from_utf8_lossy(&resumed.stdout);
    assert!(
        said.contains(&format!("ran {}, {done} already done", 16 - done)),
        "{said}"
    );
    assert_eq!(hidden(&cases), 0, "no temporary file is left");
    assert_eq!(written(&cases), 16);
    ok(sovsim(&["sweep", "merge", &spec, "--out", &killed_s], &[]));
    assert!(bytes(&reference.join("sweep.parquet")) == bytes(&killed.join("sweep.parquet")));
    assert!(bytes(&reference.join("sweep.csv")) == bytes(&killed.join("sweep.csv")));
    // Run again, nothing is left to do.
    let again = ok(sovsim(&["sweep", "run", &spec, "--out", &killed_s], &[]));
    assert!(String::from_utf8_lossy(&again.stdout).contains("ran 0, 16 already done"));
}

/// Temporary files (`.NAME.PID.tmp`) in `dir`.
fn hidden(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |r| {
        r.flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .count()
    })
}

#[test]
fn a_bad_sweep_file_gets_every_problem_at_once_located() {
    let (dir, _) = sweep_folder(20);
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        r#"name = "bad"
scenarios = ["quickstart.toml"]
runs = 0
seed = 1
outputs = ["project_ir", "dscr_min"]
overrides = [["no-such-override"]]
cases = ["downside"]
colour = "blue"

[design]
kind = "factorial"

[levers]
gpu_rnt = [-0.2, 0.0]
grid_delay_months = [0, -1.5, 0]
"#,
    )
    .expect("written");
    let out = sovsim(&["sweep", "plan", &bad.display().to_string()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (place, what) in [
        ("bad.toml:3:8", "out-of-range"),
        ("bad.toml:5:12", "unknown-output"),
        ("bad.toml:8:1", "unknown-field"),
        ("bad.toml:14:1", "unknown-lever"),
        ("bad.toml:15:31", "duplicate"),
    ] {
        assert!(
            stderr.contains(place) && stderr.contains(what),
            "{place} {what}:\n{stderr}"
        );
    }
    assert!(stderr.contains("did you mean `project_irr`?"), "{stderr}");
    assert!(stderr.contains("did you mean `gpu_rent`?"), "{stderr}");
    // Scenario problems come once the file itself is sound, still all at once.
    let sub = dir.path().join("sub");
    std::fs::create_dir_all(&sub).expect("folder");
    std::fs::copy(
        dir.path().join("quickstart.toml"),
        sub.join("quickstart.toml"),
    )
    .expect("copy");
    let second = sub.join("second.toml");
    std::fs::write(
        &second,
        r#"name = "second"
scenarios = ["quickstart.toml", "../quickstart.toml"]
runs = 10
seed = 1
outputs = ["project_irr"]
overrides = [["no-such-override"]]
cases = ["downsde"]
design = { kind = "factorial" }
"#,
    )
    .expect("written");
    let out = sovsim(&["sweep", "plan", &second.display().to_string()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (place, what) in [
        ("second.toml:2:33", "outside the sweep's folder"),
        ("second.toml:6:14", "no override named `no-such-override`"),
        ("second.toml:7:10", "declares no case `downsde`"),
    ] {
        assert!(
            stderr.contains(place) && stderr.contains(what),
            "{place} {what}:\n{stderr}"
        );
    }
}

#[test]
fn a_scheduler_index_without_a_count_is_refused() {
    let (_dir, spec) = sweep_folder(20);
    let out = sovsim(&["sweep", "run", &spec], &[("JOB_COMPLETION_INDEX", "1")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("give `--shards N`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sovsim(
        &["sweep", "run", &spec, "--shards", "2"],
        &[("JOB_COMPLETION_INDEX", "2")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("out of range"));
}

#[test]
fn slurm_and_kubernetes_files_carry_absolute_commands_and_limits_from_a_pilot() {
    let (dir, spec) = sweep_folder(20);
    let out = dir.path().join("out");
    let out_s = out.display().to_string();
    let said = ok(sovsim(
        &[
            "sweep",
            "slurm",
            &spec,
            "--out",
            &out_s,
            "--shards",
            "4",
            "--throttle",
            "2",
            "--partition",
            "debug",
        ],
        &[],
    ));
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains("16 case(s) in 4 task(s), at most 2 at once"),
        "{said}"
    );
    let array = std::fs::read_to_string(out.join("slurm/sweep.sbatch")).expect("array script");
    for line in [
        "#SBATCH --array=0-3%2",
        "#SBATCH --partition=debug",
        "#SBATCH --time=0-00:05:00",
        " sweep run ",
        " --shards 4 --threads 1",
    ] {
        assert!(array.contains(line), "{line} in\n{array}");
    }
    assert!(
        array.contains(&format!("exec {}", env!("CARGO_BIN_EXE_sovsim"))),
        "the program by its absolute path:\n{array}"
    );
    let submit = std::fs::read_to_string(out.join("slurm/submit.sh")).expect("submit");
    assert!(submit.contains("--dependency=afterok:"), "{submit}");
    assert!(
        out.join("slurm/logs").is_dir(),
        "Slurm needs the log folder to exist"
    );
    // The pilot case ran here and its result counts.
    assert_eq!(records(&out.join("cases")).len(), 1);
    let kube = ok(sovsim(
        &[
            "sweep",
            "kubernetes",
            &spec,
            "--out",
            &out_s,
            "--shards",
            "4",
            "--image",
            "registry.example/sovsim:0.1",
            "--claim",
            "sweeps",
            "--mount",
            "/tmp",
        ],
        &[],
    ));
    assert_eq!(kube.status.code(), Some(0));
    let job = std::fs::read_to_string(out.join("kubernetes/sweep-job.yaml")).expect("job");
    for line in [
        "completionMode: Indexed",
        "completions: 4",
        "claimName: \"sweeps\"",
    ] {
        assert!(job.contains(line), "{line} in\n{job}");
    }
    assert!(out.join("kubernetes/merge-job.yaml").is_file());
}

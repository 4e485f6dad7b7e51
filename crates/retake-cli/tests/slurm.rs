//! `retake farm slurm` end to end on a real Slurm 22.05 cluster of one node
//! on 127.0.0.1, started by this test with scripts/slurm_cluster.sh (munged
//! as the munge user, then slurmctld and slurmd, with config, state and
//! spool in a temporary folder and free ports) and stopped by pid. Slurm and
//! munge are Debian packages installed by scripts/setup.sh; the daemons need
//! root, as in CI.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{clip, retake, stderr};

/// A private one-node cluster made by scripts/slurm_cluster.sh (the
/// benchmark uses the same script); dropped = its daemons stopped by pid.
struct Cluster {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

fn cluster_script(command: &str, dir: &Path) -> Output {
    Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/slurm_cluster.sh"))
        .arg(command)
        .arg(dir)
        .output()
        .expect("run scripts/slurm_cluster.sh")
}

impl Cluster {
    fn start() -> Result<Cluster, String> {
        let dir = tempfile::Builder::new()
            .prefix("retake-slurm")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let o = cluster_script("start", dir.path());
        if !o.status.success() {
            return Err(stderr(&o));
        }
        Ok(Cluster {
            conf: dir.path().join("slurm.conf"),
            dir,
        })
    }

    /// A Slurm client command talking to this cluster.
    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    fn with_logs(&self, message: String) -> String {
        let log =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!(
            "{message}\n--- slurmctld.log\n{}\n--- slurmd.log\n{}",
            log("log/slurmctld.log"),
            log("log/slurmd.log"),
        )
    }

    /// `retake ARGS` as a user of this cluster.
    fn retake(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_retake"))
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .output()
            .expect("run retake")
    }

    fn wait_until_idle(&self) {
        let start = Instant::now();
        loop {
            let o = self.cmd("squeue").args(["-h"]).output().unwrap();
            if String::from_utf8_lossy(&o.stdout).trim().is_empty() {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "jobs never ended"
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        cluster_script("stop", self.dir.path());
    }
}

fn frame(dir: &Path, name: &str, f: u32) -> PathBuf {
    dir.join(name.replace("####", &format!("{f:04}")))
}

fn assert_same(a: &Path, b: &Path) {
    let (x, y) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert!(x == y, "{} differs from {}", a.display(), b.display());
}

/// The render job id `retake farm slurm --submit` reported.
fn render_job_id(o: &Output) -> String {
    let err = stderr(o);
    err.lines()
        .find_map(|l| l.strip_prefix("farm: submitted render job "))
        .map(|id| id.trim().to_string())
        .unwrap_or_else(|| panic!("no job id in: {err}"))
}

#[test]
fn slurm_array_chunks_equal_a_whole_render_fail_with_the_chunk_and_resume_on_requeue() {
    let cluster = match Cluster::start() {
        Ok(c) => c,
        Err(why) => panic!("cannot start a Slurm cluster for this test: {why}"),
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    clip(d, 9);
    let job = d.join("job.toml");
    std::fs::write(
        &job,
        "operation = \"mask\"\n[io]\ninput = \"shot.mkv\"\noutput = \"farm/m.####.png\"\n\
         frames = \"0-8\"\n[mask]\ntemporal_radius = 1\n",
    )
    .unwrap();
    let whole = d.join("whole/m.####.png");
    let o = retake(&[
        "run",
        job.to_str().unwrap(),
        "-o",
        whole.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    // 1. Three chunks of three frames; the result equals the whole render.
    let scripts = d.join("slurm");
    let o = cluster.retake(&[
        "farm",
        "slurm",
        job.to_str().unwrap(),
        "--chunk-size",
        "3",
        "-o",
        scripts.to_str().unwrap(),
        "--submit",
        "--wait",
    ]);
    assert!(o.status.success(), "{}", cluster.with_logs(stderr(&o)));
    let script = std::fs::read_to_string(scripts.join("render.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0-2"), "{script}");
    for f in 0..9 {
        assert_same(
            &frame(d, "farm/m.####.png", f),
            &frame(d, "whole/m.####.png", f),
        );
    }
    for chunk in 0..3 {
        assert!(scripts.join(format!("logs/chunk-{chunk}.log")).is_file());
    }

    // 2. A requeued chunk keeps its finished frames and renders the rest.
    let id = render_job_id(&o);
    for f in [4, 5] {
        std::fs::remove_file(frame(d, "farm/m.####.png", f)).unwrap();
    }
    let kept = frame(d, "farm/m.####.png", 3);
    let before = std::fs::metadata(&kept).unwrap().modified().unwrap();
    let o = cluster
        .cmd("scontrol")
        .args(["requeue", &format!("{id}_1")])
        .output()
        .unwrap();
    assert!(o.status.success(), "scontrol requeue: {}", stderr(&o));
    // Slurm holds a requeued job for two minutes (its begin time); a test
    // need not wait for that.
    let o = cluster
        .cmd("scontrol")
        .args(["update", &format!("JobId={id}_1"), "StartTime=now"])
        .output()
        .unwrap();
    assert!(o.status.success(), "scontrol update: {}", stderr(&o));
    cluster.wait_until_idle();
    let log = std::fs::read_to_string(scripts.join("logs/chunk-1.log")).unwrap();
    assert!(log.contains("attempt 2"), "{log}");
    for f in [4, 5] {
        assert_same(
            &frame(d, "farm/m.####.png", f),
            &frame(d, "whole/m.####.png", f),
        );
    }
    assert_eq!(
        std::fs::metadata(&kept).unwrap().modified().unwrap(),
        before,
        "the requeued chunk redid a finished frame"
    );

    // 3. A chunk that fails fails the job, with Retake's exit code and its log.
    let seq = d.join("plate");
    std::fs::create_dir(&seq).unwrap();
    let ok = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(d.join("shot.mkv"))
        .arg(seq.join("p.%04d.png"))
        .status()
        .unwrap();
    assert!(ok.success());
    // ffmpeg numbers from 1 by default: 0001..0009 -> frames 1-9.
    std::fs::write(seq.join("p.0009.png"), b"not a png").unwrap();
    let bad_job = d.join("bad.toml");
    std::fs::write(
        &bad_job,
        "operation = \"convert\"\n[io]\ninput = \"plate/p.####.png\"\n\
         output = \"bad/c.####.png\"\nframes = \"1-9\"\n",
    )
    .unwrap();
    let o = cluster.retake(&[
        "farm",
        "slurm",
        bad_job.to_str().unwrap(),
        "--chunk-size",
        "3",
        "-o",
        d.join("slurm-bad").to_str().unwrap(),
        "--submit",
        "--wait",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("chunk 2 (frames 7-9)"), "{err}");
    assert!(err.contains("chunk-2.log"), "{err}");
    let log = std::fs::read_to_string(d.join("slurm-bad/logs/chunk-2.log")).unwrap();
    assert!(
        log.contains("p.0009.png"),
        "the chunk's log names the bad file: {log}"
    );
    // The chunks that could render did.
    for f in 1..=6 {
        assert!(frame(d, "bad/c.####.png", f).is_file(), "frame {f}");
    }
}

//! A small made-up run for the renderers' unit tests: one async painter on
//! core 0, two paintings whose drying overlaps, and its CPU use.

use std::time::Duration;

use crate::mode::Mode;
use crate::model::schedule::{Segment, SegmentKind};
use crate::os::sampler::CpuSample;
use crate::report::lanes::Lanes;
use crate::report::{PainterReport, PaintingReport, RunReport};
use crate::workload::Workload;

/// Painting 1 is painted from 0 to 0.4 s and dries until 0.8 s; painting 2
/// is painted meanwhile, from 0.4 to 0.8 s, and dries until 1.2 s. The CPU
/// is busy while it paints and idle after.
pub(crate) fn sample_run() -> RunReport {
    let seg = |painting, kind, start_s, end_s| Segment { painter: 0, lane: 0, painting, coat: 0, kind, start_s, end_s };
    let segments = vec![
        seg(1, SegmentKind::Paint, 0.0, 0.4),
        seg(1, SegmentKind::FileWait, 0.4, 0.6),
        seg(2, SegmentKind::Paint, 0.4, 0.8),
        seg(1, SegmentKind::NetWait, 0.6, 0.8),
        seg(2, SegmentKind::FileWait, 0.8, 1.0),
        seg(2, SegmentKind::NetWait, 1.0, 1.2),
    ];
    let cpu_samples =
        (1..=24).map(|i| CpuSample { t_s: f64::from(i) * 0.05, cpu: if i <= 16 { 1.0 } else { 0.0 } }).collect();
    let painter = PainterReport {
        id: 0,
        pid: 4242,
        core: Some(0),
        cores: vec![0],
        lanes: 1,
        scheduler: protocol::Scheduler::Async,
        startup_s: 0.01,
        cpu_s: Some(0.8),
        run_delay_s: 0.0,
        user_s: Some(0.79),
        sys_s: Some(0.01),
        max_rss_kib: Some(4000),
        exit: super::ExitReport { code: Some(0), signal: None, description: "exited with status 0".into() },
        cpu_samples,
        host: "vm".into(),
        remote: false,
        clock_offset_s: 0.0,
        clock_bound_s: 0.0,
        clock_drift_ppm: None,
        clock_drift_bound_ppm: None,
        state_source: None,
        state_resolution_s: None,
        states: Vec::new(),
    };
    let painting = |id| PaintingReport {
        id,
        painter: 0,
        lane: 0,
        core: Some(0),
        checksum: "0123456789abcdef".into(),
        path: Some(format!("out/async/painting-{id:03}.png")),
    };
    RunReport {
        mode: Mode::Async,
        processes: 1,
        lanes: 1,
        core_count: 1,
        cores: Vec::new(),
        state_source: None,
        wall_s: 1.2,
        predicted_s: 1.2,
        ideal_s: 1.2,
        efficiency: 1.0,
        gap: crate::report::gap::Gap::default(),
        speedup: None,
        cpu_s: 0.8,
        startup_s: 0.01,
        network: None,
        paintings: vec![painting(1), painting(2)],
        ideal_segments: segments.clone(),
        timeline: Lanes::new([(&painter).into()], segments),
        painters: vec![painter],
        chunk: 1,
        chunk_guided: false,
        explanation: "One process on one core: each painting dried while the next was painted.".into(),
        failures: Vec::new(),
        lost: Vec::new(),
        coordinator_cpu_s: 0.01,
        coordinator_run_delay_s: 0.0,
        coordinator_main: None,
        coordinator_cpu_samples: vec![CpuSample { t_s: 0.05, cpu: 0.02 }],
    }
}

/// The workload of [`sample_run`]: 2 paintings of 400 ms painting and
/// 400 ms drying, on core 0.
pub(crate) fn sample_workload() -> Workload {
    Workload {
        paintings: 2,
        coats: 1,
        paint: Duration::from_millis(400),
        file_wait: Duration::from_millis(200),
        net_wait: Duration::from_millis(200),
        strokes: None,
        hosts: None,
        workers: 1,
        cores: Some(vec![0]),
        allowed_cores: vec![0, 1],
        seed: 1,
        out: "out".into(),
        slice: Duration::from_millis(2),
        retries: 1,
        chunk: None,
        timeout: None,
    }
}

/// Three blocking painters pinned to core 0, taking turns on it in 10 ms
/// slices while each paints one painting from 0 to 0.9 s (each ran 0.3 s of
/// it), then idle to 1.0 s; with their states and the core's lane.
pub(crate) fn three_taking_turns() -> RunReport {
    use protocol::ThreadState;

    use crate::report::cores;
    use crate::report::lanes::State;

    let mut run = sample_run();
    run.mode = Mode::Parallel;
    run.processes = 3;
    run.lanes = 3;
    run.wall_s = 1.0;
    run.painters = (0..3)
        .map(|id| PainterReport {
            id,
            pid: 100 + id,
            scheduler: protocol::Scheduler::Blocking,
            state_source: Some("switch-events"),
            state_resolution_s: Some(1e-9),
            ..run.painters[0].clone()
        })
        .collect();
    let segments: Vec<Segment> = (0..3u32)
        .map(|p| Segment {
            painter: p as usize,
            lane: 0,
            painting: p + 1,
            coat: 0,
            kind: SegmentKind::Paint,
            start_s: 0.0,
            end_s: 0.9,
        })
        .collect();
    let mut states = Vec::new();
    for slice in 0..90u32 {
        let (start_s, end_s) = (f64::from(slice) * 0.01, f64::from(slice + 1) * 0.01);
        for painter in 0..3usize {
            let state = if slice as usize % 3 == painter { ThreadState::Running } else { ThreadState::Waiting };
            states.push(State { painter, state, start_s, end_s, core: 0, thread: 0 });
        }
    }
    run.timeline = Lanes::new(run.painters.iter().map(Into::into), segments.clone()).with_states(states);
    for (index, painter) in run.painters.iter_mut().enumerate() {
        painter.states = run.timeline.states_of_painter(index).to_vec();
    }
    run.ideal_segments = segments;
    let holders: Vec<cores::Holder> = run
        .painters
        .iter()
        .map(|p| cores::Holder { name: format!("painter-{}", p.id), pid: p.pid, host: p.host.clone(), remote: false })
        .collect();
    run.cores = cores::build(&run.timeline, &holders, &[], run.wall_s);
    run.state_source = Some("switch-events");
    run.paintings = (1..=3)
        .map(|id| PaintingReport {
            id,
            painter: id - 1,
            lane: 0,
            core: Some(0),
            checksum: "0123456789abcdef".into(),
            path: None,
        })
        .collect();
    run.explanation = "Three painters took turns on core 0.".into();
    run
}

//! fanbench-replay replays a fanbench allocation trace (the format is
//! documented in harness/trace/doc.go) with Rust's global allocator, which
//! is glibc malloc for a Linux build like ant-client's, and reports as JSON
//! on stdout what the process held.
//!
//! Usage: fanbench-replay [--threads N] [--json FILE] TRACE
//!
//! The report goes to stdout, or to FILE with --json (under heaptrack, whose
//! own messages go to stdout). A trace that breaks the format is a message
//! "trace FILE: event N at byte OFFSET: …" on stderr and exit status 2.
//!
//! It is std-only so that plain `rustc -O` builds it (fanbench's
//! harness/replay does, with the machine's rustc; `cargo build --release
//! --offline` works too).
//!
//! # What it does
//!
//! 1. It reads and checks the whole trace first, so that reading it
//!    allocates nothing during the replay, then notes its own baseline
//!    (VmHWM, VmRSS, RssAnon from /proc/self/status) and resets VmHWM to
//!    the current RSS by writing 5 to /proc/self/clear_refs.
//! 2. It replays the events in trace order, as fast as it can (simulated
//!    time does not change what glibc does): alloc is
//!    `Vec::<u8>::with_capacity(cap)` (or `Vec::new()` for 0) with exactly
//!    `touched` bytes written; touch writes the bytes up to the new figure;
//!    grow is `reserve_exact` to exactly the new capacity, a realloc through
//!    `RawVecInner::finish_grow` as postcard's pushes grow the real client's
//!    Vecs, then writes up to the new figure; free drops the Vec.
//! 3. It counts its own live bytes (the sum of the capacities of the live
//!    Vecs, as fanbench's peak-live-B counts them) and their peak, reads
//!    RssAnon and VmHWM after every event that can raise them (the kernel's
//!    VmHWM can read a few pages lower later, as its counters are synced
//!    lazily, so the highest read is kept), and prints them (all in bytes)
//!    as one JSON object.
//!
//! # Named frames
//!
//! Every site's allocation and growth is done in its own `#[inline(never)]`
//! function whose name carries the real client's frame for that buffer
//! (`to_vec_peer_copy` for the per-peer `content.to_vec()`,
//! `chunk_message_encode_postcard_to_stdvec` for `ChunkMessage::encode`, …;
//! the table `SITES` below). A heaptrack capture of the replay therefore
//! names fanbench's buffer sites in its stacks, and `fanbench
//! import-heaptrack` maps them as it maps the real client's frames. Each
//! writes its own fill byte, so the linker cannot fold them into one.
//!
//! # Threads
//!
//! With `--threads N` (N ≥ 1) each buffer's events run on worker thread
//! `task % N` of the task that allocated it, one event at a time in trace
//! order (the main thread hands each event over and waits), so glibc gives
//! each worker its own arena, as tokio's workers get theirs in the real
//! client. The default is 0: every event on the main thread, in glibc's
//! main arena.
//!
//! What the threads change was measured on synthetic traces of 4 MB chunk
//! sends (harness/replay's Sends; VmHWM less the baseline, repeatable to
//! 0.1 MB): 20 sends with to_vec copies in one wave, 190.0 MB with 0
//! threads, 190.2 MB with 4, 191.0 MB with 20; the same in 3 waves, the
//! same figures; 32 shared-buffer sends in 3 waves, 169.6 MB with 0
//! threads, 173.8 MB with 2, 178.1 MB with 4, 170.6 MB with 20. So the
//! peak moves by up to 5 %, with no trend in the thread count, and what
//! stays resident after the buffers are freed moves a lot (2.5 MB with 0
//! threads, 68 MB with 2, 132 MB with 4: the other arenas keep their freed
//! chunks). The default is the single thread, because its figures do not
//! depend on how tasks are mapped to threads, a choice the trace cannot
//! make faithfully (tokio steals work between workers, and a task's
//! buffer may be freed on another worker); --threads shows how far the
//! arenas move the figures.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::sync::mpsc;
use std::thread;

mod trace;
use trace::{parse, KIND_ALLOC, KIND_FREE, KIND_GROW, KIND_TOUCH};

type AllocFn = fn(usize, usize) -> Vec<u8>;
type GrowFn = fn(&mut Vec<u8>, usize, usize);

/// Defines, for every fanbench site, an allocation function and a growth
/// function named after the real client's frame, and the table SITES.
macro_rules! sites {
    ($( $fill:literal $site:literal $alloc:ident $grow:ident; )*) => {
        $(
            #[inline(never)]
            fn $alloc(cap: usize, touched: usize) -> Vec<u8> {
                let mut v = if cap == 0 { Vec::new() } else { Vec::with_capacity(cap) };
                v.resize(touched, $fill);
                v
            }

            #[inline(never)]
            fn $grow(v: &mut Vec<u8>, cap: usize, touched: usize) {
                v.reserve_exact(cap - v.len());
                v.resize(touched, $fill);
            }
        )*

        /// SITES maps fanbench's site names (harness/buffer/site.go) to the
        /// functions that allocate and grow their buffers.
        const SITES: &[(&str, AllocFn, GrowFn)] = &[$(($site, $alloc, $grow)),*];
    };
}

sites! {
    // self_encryption keeps chunks 0 and 1's plaintext to the end.
    0xa1 "deferred" self_encryption_deferred_plaintext self_encryption_deferred_plaintext_grow;
    // self_encryption's compress/encrypt output for one chunk.
    0xa2 "encrypt" self_encryption_encrypt_chunk self_encryption_encrypt_chunk_grow;
    // ant-client file.rs read_wave: a chunk read back from the spill.
    0xa3 "chunk" read_wave_spill_chunk read_wave_spill_chunk_grow;
    // ant-client chunk.rs chunk_put_with_proof: content.to_vec() per peer.
    0xa4 "copy" to_vec_peer_copy to_vec_peer_copy_grow;
    // ant-protocol chunk.rs ChunkMessage::encode: postcard::to_stdvec.
    0xa5 "encode" chunk_message_encode_postcard_to_stdvec chunk_message_encode_postcard_to_stdvec_grow;
    // the serialized payment proof held for a chunk.
    0xa6 "proof" payment_proof_serialize payment_proof_serialize_grow;
    // proof.clone() per peer and for the PaidChunk.
    0xa7 "proof-copy" payment_proof_clone payment_proof_clone_grow;
    // saorsa-core network.rs send_message: the retry_data clone.
    0xa8 "retry-clone" send_message_retry_data_clone send_message_retry_data_clone_grow;
    // saorsa-core transport_handle.rs: the clone per channel attempt.
    0xa9 "channel-clone" transport_handle_channel_clone transport_handle_channel_clone_grow;
    // saorsa-core compute_signable_bytes: postcard re-serialisation.
    0xaa "signable" compute_signable_bytes compute_signable_bytes_grow;
    // saorsa-core create_protocol_message: the WireMessage serialised.
    0xab "wire" create_protocol_message_wire_serialize create_protocol_message_wire_serialize_grow;
    // buffers the simulated peers keep; never traced as the client's.
    0xac "peer-store" peer_store peer_store_grow;
    // quinn-proto's send stream: the copy of the bytes a write admits, held
    // until the peer acknowledges them (saorsa-transport's vendored quinn).
    0xad "quic-send" quinn_send_stream_write quinn_send_stream_write_grow;
    // a site this replay does not know.
    0xaf "" unknown_site unknown_site_grow;
}

/// site_fns returns the functions of the site named name; a name fanbench
/// does not know gets the unknown_site pair.
fn site_fns(name: &str) -> (AllocFn, GrowFn) {
    for &(n, a, g) in SITES {
        if n == name {
            return (a, g);
        }
    }
    (unknown_site, unknown_site_grow)
}

/// Proc is what /proc/self/status says of the process's memory, in bytes.
#[derive(Clone, Copy, Default)]
struct Proc {
    vmhwm: u64,
    vmrss: u64,
    rss_anon: u64,
}

/// read_proc reads /proc/self/status into buf (kept, so that reading
/// allocates nothing once buf has grown) and parses it.
fn read_proc(buf: &mut Vec<u8>) -> Proc {
    buf.clear();
    if let Ok(mut f) = std::fs::File::open("/proc/self/status") {
        let _ = f.read_to_end(buf);
    }
    let mut p = Proc::default();
    for line in buf.split(|&c| c == b'\n') {
        let field = |name: &[u8]| -> Option<u64> {
            let rest = line.strip_prefix(name)?;
            let s = std::str::from_utf8(rest).ok()?.trim();
            let kb = s.strip_suffix("kB")?.trim();
            kb.parse::<u64>().ok().map(|k| k * 1024)
        };
        if let Some(v) = field(b"VmHWM:") {
            p.vmhwm = v;
        } else if let Some(v) = field(b"VmRSS:") {
            p.vmrss = v;
        } else if let Some(v) = field(b"RssAnon:") {
            p.rss_anon = v;
        }
    }
    p
}

/// Op is one event handed to the thread that runs it.
enum Op {
    Alloc(AllocFn, usize, usize),
    Touch(Vec<u8>, u8, usize),
    Grow(GrowFn, Vec<u8>, usize, usize),
    Free(Vec<u8>),
}

/// run performs op on the current thread and returns the Vec it leaves
/// (none after a free).
fn run(op: Op) -> Option<Vec<u8>> {
    match op {
        Op::Alloc(f, cap, touched) => Some(f(cap, touched)),
        Op::Touch(mut v, fill, touched) => {
            v.resize(touched, fill);
            Some(v)
        }
        Op::Grow(f, mut v, cap, touched) => {
            f(&mut v, cap, touched);
            Some(v)
        }
        Op::Free(v) => {
            drop(v);
            None
        }
    }
}

/// Workers are the replay's threads: one channel in per worker, one back.
struct Workers {
    send: Vec<mpsc::SyncSender<Op>>,
    recv: mpsc::Receiver<Option<Vec<u8>>>,
}

impl Workers {
    fn new(n: usize) -> Workers {
        let (back, recv) = mpsc::sync_channel(1);
        let send = (0..n)
            .map(|i| {
                let (tx, rx) = mpsc::sync_channel::<Op>(1);
                let back = back.clone();
                thread::Builder::new()
                    .name(format!("replay-worker-{i}"))
                    .spawn(move || {
                        for op in rx {
                            if back.send(run(op)).is_err() {
                                return;
                            }
                        }
                    })
                    .expect("spawn a replay worker");
                tx
            })
            .collect();
        Workers { send, recv }
    }

    /// exec runs op on worker w (the main thread when there are none) and
    /// waits for it.
    fn exec(&self, w: usize, op: Op) -> Option<Vec<u8>> {
        if self.send.is_empty() {
            return run(op);
        }
        self.send[w % self.send.len()].send(op).expect("a replay worker died");
        self.recv.recv().expect("a replay worker died")
    }
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn proc_json(p: Proc) -> String {
    format!("{{\"vmhwm\": {}, \"vmrss\": {}, \"rss_anon\": {}}}", p.vmhwm, p.vmrss, p.rss_anon)
}

fn main() {
    const USAGE: &str = "usage: fanbench-replay [--threads N] [--json FILE] TRACE";
    let mut threads = 0usize;
    let mut json_out: Option<String> = None;
    let mut path = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" | "-threads" => {
                let v = args.next().unwrap_or_default();
                threads = match v.parse() {
                    Ok(n) if n <= 1024 => n,
                    _ => {
                        eprintln!("fanbench-replay: --threads: {v:?} is not a thread count (0 to 1024)");
                        std::process::exit(2);
                    }
                };
            }
            "--json" | "-json" => match args.next() {
                Some(f) => json_out = Some(f),
                None => {
                    eprintln!("fanbench-replay: --json needs a file\n{USAGE}");
                    std::process::exit(2);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            _ if path.is_none() && !a.starts_with('-') => path = Some(a),
            _ => {
                eprintln!("fanbench-replay: unexpected argument {a:?}\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    let path = match path {
        Some(v) => v,
        None => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("fanbench-replay: {path}: {e}");
            std::process::exit(1);
        }
    };
    let (h, events) = match parse(&path, &data) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    drop(data);
    let fns: Vec<(AllocFn, GrowFn)> = h.sites.iter().map(|s| site_fns(s)).collect();
    let fills: Vec<u8> = (0..h.sites.len()).map(|i| 0xa0 + (i % 16) as u8).collect();
    let workers = Workers::new(threads);
    let mut bufs: HashMap<u64, (Vec<u8>, u64)> = HashMap::with_capacity(1024); // id → (Vec, task)
    let mut site_live = vec![0u64; h.sites.len()];
    let mut at_peak = vec![0u64; h.sites.len()];
    let mut status = Vec::with_capacity(8192);

    // 1. The baseline, after the trace is in memory and the workers exist.
    read_proc(&mut status);
    let hwm_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let baseline = read_proc(&mut status);
    let start = std::time::Instant::now();

    // 2. The replay.
    let (mut live, mut peak, mut peak_event, mut allocated) = (0u64, 0u64, 0usize, 0u64);
    let mut peak_proc = Proc::default(); // at the first event that reached the peak
    let mut max_anon = baseline.rss_anon;
    let mut max_hwm = baseline.vmhwm;
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            KIND_ALLOC => {
                let v = workers.exec(e.task as usize, Op::Alloc(fns[e.site].0, e.cap as usize, e.touched as usize));
                bufs.insert(e.id, (v.expect("alloc returns its Vec"), e.task));
                live += e.cap;
                allocated += e.cap;
                site_live[e.site] += e.cap;
            }
            KIND_TOUCH => {
                let (v, task) = bufs.remove(&e.id).expect("checked by parse");
                let v = workers.exec(task as usize, Op::Touch(v, fills[e.site], e.touched as usize));
                bufs.insert(e.id, (v.expect("touch returns its Vec"), task));
            }
            KIND_GROW => {
                let (v, task) = bufs.remove(&e.id).expect("checked by parse");
                let old = v.capacity() as u64;
                let v = workers.exec(task as usize, Op::Grow(fns[e.site].1, v, e.cap as usize, e.touched as usize));
                let v = v.expect("grow returns its Vec");
                assert_eq!(v.capacity() as u64, e.cap, "reserve_exact gave another capacity");
                bufs.insert(e.id, (v, task));
                live = live - old + e.cap;
                allocated += e.cap;
                site_live[e.site] = site_live[e.site] - old + e.cap;
            }
            _ => {
                let (v, task) = bufs.remove(&e.id).expect("checked by parse");
                let c = v.capacity() as u64;
                workers.exec(task as usize, Op::Free(v));
                live -= c;
                site_live[e.site] -= c;
            }
        }
        if e.kind != KIND_FREE {
            let p = read_proc(&mut status);
            max_anon = max_anon.max(p.rss_anon);
            max_hwm = max_hwm.max(p.vmhwm);
            if live > peak {
                peak = live;
                peak_event = i + 1;
                peak_proc = p;
                at_peak.copy_from_slice(&site_live);
            }
        }
    }
    let end = read_proc(&mut status);
    max_hwm = max_hwm.max(end.vmhwm);
    let wall = start.elapsed().as_nanos();

    // 3. The report.
    let mut o = String::new();
    let _ = writeln!(o, "{{");
    let _ = writeln!(o, "  \"version\": 1,");
    let _ = writeln!(o, "  \"trace\": {},", json_str(&path));
    let _ = writeln!(o, "  \"scenario\": {},", json_str(&h.scenario));
    let _ = writeln!(o, "  \"strategy\": {},", json_str(&h.strategy));
    let _ = writeln!(o, "  \"limiter\": {},", json_str(&h.limiter));
    let _ = writeln!(o, "  \"seed\": {},", h.seed);
    let _ = writeln!(o, "  \"rep\": {},", h.rep);
    let _ = writeln!(o, "  \"threads\": {threads},");
    let _ = writeln!(o, "  \"events\": {},", events.len());
    let _ = writeln!(o, "  \"peak_live\": {peak},");
    let _ = writeln!(o, "  \"peak_event\": {peak_event},");
    let _ = writeln!(o, "  \"allocated\": {allocated},");
    let _ = writeln!(o, "  \"end_live\": {live},");
    let sites: Vec<String> = h.sites.iter().zip(&at_peak).map(|(s, n)| format!("{}: {n}", json_str(s))).collect();
    let _ = writeln!(o, "  \"at_peak\": {{{}}},", sites.join(", "));
    let _ = writeln!(o, "  \"hwm_reset\": {hwm_reset},");
    let _ = writeln!(o, "  \"baseline\": {},", proc_json(baseline));
    let _ = writeln!(o, "  \"peak\": {},", proc_json(peak_proc));
    let _ = writeln!(o, "  \"end\": {},", proc_json(end));
    let _ = writeln!(o, "  \"max_rss_anon\": {max_anon},");
    let _ = writeln!(o, "  \"max_vmhwm\": {max_hwm},");
    let _ = writeln!(o, "  \"wall_ns\": {wall}");
    let _ = writeln!(o, "}}");
    let written = match &json_out {
        Some(f) => std::fs::write(f, o.as_bytes()),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(o.as_bytes()).and_then(|_| out.flush())
        }
    };
    if let Err(e) = written {
        eprintln!("fanbench-replay: writing the report: {e}");
        std::process::exit(1);
    }
    drop(bufs); // the buffers live to the end, as the trace left them
}

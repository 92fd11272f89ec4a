//! The trace reader of fanbench-replay: the format of harness/trace/doc.go,
//! checked as harness/trace's Reader checks it.

use std::collections::HashMap;

pub const MAGIC: &[u8] = b"FBTRACE\n";
pub const VERSION: u64 = 1;
pub const MAX_CAP: u64 = 1 << 40;
pub const MAX_SITES: u64 = 256;
pub const MAX_LABELS: u64 = 256;
pub const MAX_STRING: u64 = 4096;

pub const KIND_END: u8 = 0;
pub const KIND_ALLOC: u8 = 1;
pub const KIND_TOUCH: u8 = 2;
pub const KIND_GROW: u8 = 3;
pub const KIND_FREE: u8 = 4;


#[derive(Clone, Copy, Default)]
pub struct Event {
    pub kind: u8,
    pub id: u64,
    pub task: u64,
    pub site: usize,
    pub cap: u64,
    pub touched: u64,
}

pub struct Header {
    pub scenario: String,
    pub strategy: String,
    pub limiter: String,
    pub seed: u64,
    pub rep: u64,
    pub sites: Vec<String>,
}

/// TraceError is a trace that breaks the format, positioned as the Go
/// reader positions it.
pub struct TraceError {
    pub file: String,
    pub event: usize, // 1-based; 0 for the header
    pub end: bool,
    pub offset: usize,
    pub msg: String,
}

impl std::fmt::Display for TraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        if self.end {
            write!(f, "trace {}: end record at byte {}: {}", self.file, self.offset, self.msg)
        } else if self.event == 0 {
            write!(f, "trace {}: header at byte {}: {}", self.file, self.offset, self.msg)
        } else {
            write!(f, "trace {}: event {} at byte {}: {}", self.file, self.event, self.offset, self.msg)
        }
    }
}

struct Parser<'a> {
    b: &'a [u8],
    off: usize,
}

impl Parser<'_> {
    fn uvarint(&mut self, field: &str) -> Result<u64, String> {
        let mut x: u64 = 0;
        let mut s = 0;
        for i in 0..10 {
            let c = match self.b.get(self.off) {
                Some(&c) => c,
                None => {
                    return Err(if i == 0 {
                        format!("truncated before {field}")
                    } else {
                        format!("truncated in {field}")
                    });
                }
            };
            self.off += 1;
            if c < 0x80 {
                if i == 9 && c > 1 {
                    return Err(format!("{field}: varint overflows 64 bits"));
                }
                return Ok(x | (c as u64) << s);
            }
            x |= ((c & 0x7f) as u64) << s;
            s += 7;
        }
        Err(format!("{field}: varint longer than 10 bytes"))
    }

    fn string(&mut self, field: &str) -> Result<String, String> {
        let n = self.uvarint(&format!("{field} length"))?;
        if n > MAX_STRING {
            return Err(format!("{field} is {n} bytes, more than the format's {MAX_STRING}"));
        }
        let end = self.off + n as usize;
        let bytes = match self.b.get(self.off..end) {
            Some(bytes) => bytes,
            None => {
                self.off = self.b.len();
                return Err(format!("truncated in {field}"));
            }
        };
        self.off = end;
        String::from_utf8(bytes.to_vec()).map_err(|_| format!("{field} is not UTF-8"))
    }
}

#[derive(Clone, Copy)]
struct Live {
    cap: u64,
    touched: u64,
    site: usize,
}

/// parse reads and checks a whole trace: the same checks as harness/trace's
/// Reader, so a trace the Go side accepts replays and one it rejects does
/// not.
pub fn parse(file: &str, b: &[u8]) -> Result<(Header, Vec<Event>), TraceError> {
    let herr = |offset: usize, msg: String| TraceError { file: file.to_string(), event: 0, end: false, offset, msg };
    if !b.starts_with(MAGIC) {
        if b.is_empty() {
            return Err(herr(0, "empty file, not a fanbench trace".into()));
        }
        let n = b.len().min(MAGIC.len());
        return Err(herr(
            0,
            format!("not a fanbench trace (starts with {:?}, want {:?})", String::from_utf8_lossy(&b[..n]), "FBTRACE\n"),
        ));
    }
    let mut p = Parser { b, off: MAGIC.len() };
    let v = p.uvarint("version").map_err(|m| herr(p.off, m))?;
    if v != VERSION {
        return Err(herr(MAGIC.len(), format!("format version {v}; this reader knows version {VERSION}")));
    }
    let mut h = Header { scenario: String::new(), strategy: String::new(), limiter: String::new(), seed: 0, rep: 0, sites: vec![] };
    let mut hdr = || -> Result<(), String> {
        h.scenario = p.string("scenario")?;
        h.strategy = p.string("strategy")?;
        h.limiter = p.string("limiter")?;
        h.seed = p.uvarint("seed")?;
        h.rep = p.uvarint("rep")?;
        if h.rep > i32::MAX as u64 {
            return Err(format!("repetition {} out of range", h.rep));
        }
        let nl = p.uvarint("label count")?;
        if nl > MAX_LABELS {
            return Err(format!("{nl} labels, more than the format's {MAX_LABELS}"));
        }
        let mut keys = Vec::new();
        for _ in 0..nl {
            let k = p.string("label key")?;
            if keys.contains(&k) {
                return Err(format!("label {k:?} twice"));
            }
            p.string(&format!("label {k}"))?;
            keys.push(k);
        }
        let ns = p.uvarint("site count")?;
        if ns > MAX_SITES {
            return Err(format!("{ns} sites, more than the format's {MAX_SITES}"));
        }
        for i in 0..ns {
            h.sites.push(p.string(&format!("site {i} name"))?);
        }
        Ok(())
    };
    hdr().map_err(|m| herr(p.off, m))?;

    let mut events = Vec::new();
    let mut live: HashMap<u64, Live> = HashMap::new();
    let mut t: u64 = 0;
    loop {
        let start = p.off;
        let n = events.len();
        let err = |msg: String| TraceError { file: file.to_string(), event: n + 1, end: false, offset: start, msg };
        let kind = match b.get(p.off) {
            Some(&kind) => kind,
            None => {
                return Err(err(format!("truncated: the file ends after {n} events without its end record")));
            }
        };
        p.off += 1;
        if kind == KIND_END {
            let eerr = |msg: String| TraceError { file: file.to_string(), event: 0, end: true, offset: start, msg };
            let count = p.uvarint("end count").map_err(eerr)?;
            if count != n as u64 {
                return Err(eerr(format!("says {count} events, the file has {n}")));
            }
            if p.off < b.len() {
                return Err(eerr(format!("data after the end record, at byte {}", p.off)));
            }
            return Ok((h, events));
        }
        let name = match kind {
            KIND_ALLOC => "alloc",
            KIND_TOUCH => "touch",
            KIND_GROW => "grow",
            KIND_FREE => "free",
            _ => return Err(err(format!("unknown event kind 0x{kind:02x}"))),
        };
        let mut field = |f: &str| -> Result<u64, TraceError> {
            let v = p.uvarint(&format!("{name} {f}")).map_err(|m| err(m))?;
            if v > i64::MAX as u64 {
                return Err(err(format!("{name} {f} {v} out of range")));
            }
            Ok(v)
        };
        let dt = field("dt")?;
        let id = field("id")?;
        if dt > i64::MAX as u64 - t {
            return Err(err("time passes 2^63-1 ns".into()));
        }
        t += dt;
        let mut e = Event { kind, id, ..Default::default() };
        match kind {
            KIND_ALLOC => {
                e.task = field("task")?;
                let site = field("site")?;
                e.cap = field("cap")?;
                e.touched = field("touched")?;
                if live.contains_key(&id) {
                    return Err(err(format!("alloc of buffer {id}, which is live")));
                }
                if site >= h.sites.len() as u64 {
                    return Err(err(format!("alloc: site {site} outside the table of {}", h.sites.len())));
                }
                if e.cap > MAX_CAP {
                    return Err(err(format!("alloc: capacity {} above the format's limit {MAX_CAP}", e.cap)));
                }
                if e.touched > e.cap {
                    return Err(err(format!("alloc: touched {} above capacity {}", e.touched, e.cap)));
                }
                e.site = site as usize;
                live.insert(id, Live { cap: e.cap, touched: e.touched, site: e.site });
            }
            KIND_TOUCH => {
                e.touched = field("touched")?;
                let l = match live.get_mut(&id) {
                    Some(l) => l,
                    None => {
                        return Err(err(format!("touch of buffer {id}, which is not live")));
                    }
                };
                if e.touched > l.cap {
                    return Err(err(format!("touch: touched {} above buffer {id}'s capacity {}", e.touched, l.cap)));
                }
                if e.touched < l.touched {
                    return Err(err(format!("touch: touched {} below the {} already touched", e.touched, l.touched)));
                }
                l.touched = e.touched;
                e.site = l.site;
            }
            KIND_GROW => {
                e.cap = field("cap")?;
                e.touched = field("touched")?;
                let l = match live.get_mut(&id) {
                    Some(l) => l,
                    None => {
                        return Err(err(format!("grow of buffer {id}, which is not live")));
                    }
                };
                if e.cap <= l.cap {
                    return Err(err(format!("grow: capacity {} not above buffer {id}'s {}", e.cap, l.cap)));
                }
                if e.cap > MAX_CAP {
                    return Err(err(format!("grow: capacity {} above the format's limit {MAX_CAP}", e.cap)));
                }
                if e.touched > e.cap {
                    return Err(err(format!("grow: touched {} above capacity {}", e.touched, e.cap)));
                }
                if e.touched < l.touched {
                    return Err(err(format!("grow: touched {} below the {} already touched", e.touched, l.touched)));
                }
                l.cap = e.cap;
                l.touched = e.touched;
                e.site = l.site;
            }
            _ => {
                let l = match live.remove(&id) {
                    Some(l) => l,
                    None => {
                        return Err(err(format!("free of buffer {id}, which is not live")));
                    }
                };
                e.site = l.site;
            }
        }
        events.push(e);
    }
}

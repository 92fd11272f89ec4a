// Package trace is fanbench's allocation trace: the client's buffer events
// of one run (allocate, touch, grow, free), in simulated-time order, in a
// compact binary format that a program in another language can replay.
// The Rust replay (harness/replay) reads it to put a real process, with a
// real allocator, beside fanbench's counted figures.
//
// The package imports only the standard library. A Writer writes a trace
// and a Reader, shaped like bufio.Scanner, reads one back and checks it.
//
// # Where traces go
//
// A run traced into a results directory DIR writes its trace at
// DIR/traces/<scenario>/<strategy>-<limiter>-<rep>.trace (Dir and Ext),
// the same relative name as its record under DIR/runs/ with the extension
// .trace in place of .json; fanbench calibrate finds traces by that rule.
//
// # What is traced
//
// Only the modelled client's buffers: every buffer a run counts in its
// peak live figure, and nothing the simulated peers hold. A buffer is one
// Rust Vec<u8>: it is allocated with a capacity, has a prefix of it touched
// (written), may grow (a realloc to a larger capacity), and is freed. The
// live bytes at a moment are the sum of the capacities of the buffers
// allocated and not yet freed, the definition fanbench's peak-live-B uses;
// a grow replaces the old capacity by the new one.
//
// # Format, version 1
//
// All integers are unsigned LEB128 varints ("uvarint": 7 bits a byte,
// least significant group first, high bit set on every byte but the last;
// at most 10 bytes; Go's encoding/binary.AppendUvarint), unless a byte is
// named. A string is a uvarint length followed by that many bytes of UTF-8.
//
//	file    = magic version header event* end
//	magic   = the 8 bytes "FBTRACE\n" (46 42 54 52 41 43 45 0a)
//	version = uvarint, 1
//	header  = string scenario
//	          string strategy
//	          string limiter
//	          uvarint seed
//	          uvarint rep                 (1-based repetition; 0 unknown)
//	          uvarint nlabels, nlabels × (string key, string value)
//	          uvarint nsites, nsites × string site-name
//	event   = byte kind, uvarint dt, the kind's fields (below)
//	end     = byte 0x00, uvarint count (the number of events before it)
//
// dt is the event's simulated time in nanoseconds less the previous
// event's (the first event's is its time since the traced phase began), so
// times never go back. The events, with their fields in order:
//
//	0x01 alloc  id, task, site, cap, touched
//	0x02 touch  id, touched
//	0x03 grow   id, cap, touched
//	0x04 free   id
//
// where
//
//   - id names a buffer while it is live; it may be reused after its free.
//   - task is the simulated task (goroutine of the model, tokio task of the
//     real client) that allocated it; a replay may map tasks to threads.
//   - site is an index into the header's site table, whose names are
//     fanbench's buffer sites (harness/buffer: "copy", "encode", …).
//   - cap is the capacity in bytes: alloc's is the Vec's capacity (0 is an
//     empty Vec that has not allocated, as Vec::new), grow's the new one,
//     larger than the old (the old capacity and the touched bytes move to
//     a new allocation, as a realloc does).
//   - touched is how many bytes from the start of the buffer have been
//     written so far, in all, after the event: at most cap, and never less
//     than before. A replay writes the bytes between the old and the new
//     figure.
//
// Nothing follows end. A reader rejects, with the file, the event's number
// (counted from 1) and its byte offset: bad magic, another version,
// truncation anywhere (a file without end is truncated), an unknown kind,
// a varint longer than 10 bytes, an id allocated while live or used when
// not live, a site outside the table, touched above cap or going back, a
// grow that does not grow, a time past 2^63-1 ns, a capacity above
// MaxCap, and an end whose count differs from the events read.
//
// Changing any of this changes Version.
package trace

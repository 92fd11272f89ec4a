// Package heaptrack reads what heaptrack_print says of a heaptrack capture
// and maps its peak memory consumers onto fanbench's buffer sites, so a
// capture of the real Rust client (or of fanbench's replay) can be put
// beside fanbench's figures for the same upload, site by site.
//
// The pipeline:
//
//  1. Open takes a file: heaptrack_print's text, or a capture
//     (heaptrack.*.zst or .gz), which it turns into text by running
//     heaptrack_print (Print) when that is installed.
//  2. Parse reads the text: the summary ("peak heap memory consumption:",
//     "peak RSS", "total memory leaked") and the PEAK MEMORY CONSUMERS
//     section, each consumer with its bytes at the peak, its calls and its
//     stack, innermost frame first. Both of heaptrack_print's layouts are
//     read: merged (its default: an allocation site, then the backtraces
//     that reached it, each "… consumed over N calls from:", and "and X
//     from N other places") and unmerged (--merge-backtraces=0: one full
//     stack per consumer, which is what Print asks for, because merged
//     output shows one representative stack for a whole group).
//  3. Map assigns each consumer to a site by its frames, with Rules: the
//     first rule, in order, whose frame patterns all appear in the stack
//     (in order, inner to outer) names the site. DefaultRules know the
//     real client's frames (ant-protocol's ChunkMessage::encode, the
//     per-peer to_vec in chunk_put_with_proof, saorsa-core's
//     P2PNode::send_message retry clone and TransportHandle::send_message
//     channel clone, compute_signable_bytes, the WireMessage serialisation
//     in create_protocol_message / serialize_wire_message;
//     shared/reference/uploader.md §6 and §8) and the replay's: the replay
//     (harness/replay) allocates each site's buffers in its own
//     #[inline(never)] function named after the real frame
//     (to_vec_peer_copy, chunk_message_encode_postcard_to_stdvec, …), so
//     its captures name the sites too. What no rule maps is listed, with
//     its bytes and frames, as is the part of the peak the text does not
//     show (below heaptrack_print's --peak-limit, or "other places").
//     FinishGrow is the bytes at the peak of every consumer whose stack
//     passes through RawVecInner::finish_grow (Vec growth), the figure
//     the PR #82 capture quoted.
//
// Sizes in heaptrack_print's text ("272.74M") are decimal: K, M, G, T are
// powers of 1000 (heaptrack 1.4 prints 167,772,160 bytes as 167.77M), with
// or without a trailing B; KiB, MiB, GiB are powers of 1024. They carry two
// decimals, so each figure is known to about ±0.005 of its unit.
//
// Text that is not heaptrack_print's is an error naming the file and line.
package heaptrack

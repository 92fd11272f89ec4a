// Package testnet is an in-process Autonomi testnet for the uploader model:
// simulated ant-node peers on top of the network physics of package netsim,
// with a simulated ledger. It implements uploader.Network.
//
// Each peer has an ML-DSA-65 identity (package payment) whose key hash is
// its XOR address. For every PUT a peer, in the order of ant-node's
// storage handler (src/storage/handler.rs, PR era 8320d9a L167-250):
//  1. decodes the frame as it arrives, streaming the content through a
//     BLAKE3 hasher and never holding it;
//  2. checks the size (≤ 4 MiB) and BLAKE3(content) == address;
//  3. answers AlreadyExists if it holds the chunk;
//  4. verifies the payment proof (real signatures, the ledger);
//  5. records the address and drops the payload.
//
// Faults are injected deterministically from the seed: dead peers, remote
// errors, silent peers (the client times out) and chunks a peer already
// holds. With Retain set, peers keep the content at site buffer.PeerStore
// so a download can prove the upload; that memory is labelled apart from
// the client's.
package testnet

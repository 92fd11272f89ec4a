package externalsigner

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/fanout"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/quote"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Version is the ant-client release whose external-signer path an
// Uploader follows.
type Version int

const (
	// HoldsBodies is the path before ant-client 0.3.3: prepare reads every
	// chunk back and holds it until its store ends.
	HoldsBodies Version = iota
	// SpillBodies is the path since 0.3.3: a merkle upload's bodies stay
	// in the spill until finalize reads each one for its store.
	SpillBodies
)

// The registry's names of the two versions.
const (
	NameHoldsBodies = "external-signer-0.3.2"
	NameSpillBodies = "external-signer-0.3.3"
)

// SignWait is the simulated time between prepare and finalize: the
// external wallet's signature, a person approving the payment in a browser
// wallet and its transaction's inclusion on Arbitrum One. Upstream has no
// such timer (file_prepare_upload returns the PreparedUpload and the
// caller finalizes whenever the signer answers), so the wait is a stand-in
// chosen here, not a figure of the client: it lengthens the upload's
// simulated time and how long the prepared bodies are held, but changes no
// peak.
const SignWait = 30 * time.Second

// Constants of the real client, each with its source.
const (
	// MerkleStoreMaxAttempts is MERKLE_STORE_MAX_ATTEMPTS, the store
	// attempts of a merkle chunk short of quorum before 0.3.3 (ant-client
	// 95a23be merkle.rs).
	MerkleStoreMaxAttempts = 4
	// MerkleRetryBackoff is MERKLE_RETRY_BACKOFF, the wait between those
	// attempts (95a23be merkle.rs; upstream jitters it by ±10 %).
	MerkleRetryBackoff = 30 * time.Second
	// MerkleStoreMaxInFlight is MERKLE_STORE_MAX_IN_FLIGHT, the cap of the
	// rolling pass that stores a merkle upload from the spill since 0.3.3
	// (native.rs, stored-file id 61613608677, merkle_store_cap).
	MerkleStoreMaxInFlight = 64
	// WaveMaxRetries and WaveBaseDelay are MAX_RETRIES and BASE_DELAY_MS
	// of store_paid_chunks_with_events (95a23be batch.rs): up to three
	// more rounds, 500 ms doubling.
	WaveMaxRetries = 3
	WaveBaseDelay  = 500 * time.Millisecond
)

// DeferredDelays are the waits before the deferred retry rounds of the
// rolling pass since 0.3.3 (DEFERRED_ROUND_DELAYS_SECS = [0, 15, 45],
// merkle.rs, stored-file id 61780559716).
var DeferredDelays = []time.Duration{0, 15 * time.Second, 45 * time.Second}

// Config sets up one uploader: the case's settings, the version, and the
// quoting of the wave-batch variant. Durations are simulated time.
type Config struct {
	uploader.Settings
	Version Version
	// SignWait is the wallet's time to sign; see the constant.
	SignWait time.Duration
	// QuoteConcurrency is the concurrency of the wave-batch quoting
	// (quote.current().min(chunks), the quote channel's cold start).
	QuoteConcurrency int
	// QuoteTimeout bounds each peer's quote, QuoteOverallTimeout a chunk's
	// whole collection.
	QuoteTimeout, QuoteOverallTimeout time.Duration
}

// DefaultConfig returns the default settings (uploader.DefaultSettings) for
// version v, with upstream's quoting and SignWait.
func DefaultConfig(v Version) Config {
	return Config{
		Settings:            uploader.DefaultSettings(),
		Version:             v,
		SignWait:            SignWait,
		QuoteConcurrency:    quote.Concurrency,
		QuoteTimeout:        quote.Timeout,
		QuoteOverallTimeout: quote.OverallTimeout,
	}
}

// Validate reports the first setting that cannot work, naming its field.
func (c *Config) Validate() error {
	if err := c.Settings.Validate(); err != nil {
		return fmt.Errorf("externalsigner: %w", err)
	}
	switch {
	case c.Version != HoldsBodies && c.Version != SpillBodies:
		return fmt.Errorf("externalsigner: version: unknown value %d", int(c.Version))
	case c.SignWait < 0:
		return fmt.Errorf("externalsigner: sign_wait: must be ≥ 0 (got %v)", c.SignWait)
	case c.QuoteConcurrency < 1:
		return fmt.Errorf("externalsigner: quote_concurrency: must be ≥ 1 (got %d)", c.QuoteConcurrency)
	case c.QuoteTimeout <= 0 || c.QuoteOverallTimeout <= 0:
		return fmt.Errorf("externalsigner: quote_timeout: must be > 0")
	}
	return nil
}

// The two versions in the registry.
func init() {
	for _, v := range []struct {
		name, summary string
		version       Version
	}{
		{NameHoldsBodies, "ant-client's external-signer path before 0.3.3: prepare reads every chunk back and holds it while the wallet signs, until its store ends", HoldsBodies},
		{NameSpillBodies, "ant-client's external-signer path since 0.3.3: merkle bodies stay in the spill; finalize reads each for its store, at most 64 at once", SpillBodies},
	} {
		uploader.Register(uploader.Def{
			Name: v.name, Summary: v.summary,
			New: func(s uploader.Settings) (uploader.Uploader, error) {
				cfg := DefaultConfig(v.version)
				cfg.Settings = s
				return New(cfg)
			},
		})
	}
}

// Uploader is the model of the external-signer path. It is safe to use
// for one upload at a time.
type Uploader struct {
	cfg Config
}

var _ uploader.Uploader = (*Uploader)(nil)

// New returns an uploader with the given settings.
func New(cfg Config) (*Uploader, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Uploader{cfg: cfg}, nil
}

// Encrypt runs the encryption phase (uploader.Encrypt), which the
// external-signer path shares with the wallet path (encrypt_file_to_spill).
func (u *Uploader) Encrypt(ctx context.Context, src source.Spec) (*uploader.Encrypted, error) {
	return uploader.Encrypt(ctx, src, u.cfg.EncryptOptions())
}

// run is the state of one upload phase.
type run struct {
	cfg    *Config
	env    uploader.Env
	heap   *buffer.Heap
	put    *fanout.Putter
	policy limiter.Policy
	enc    *uploader.Encrypted
	sizes  []int // every chunk's size, in upload order
	// stored and alreadyStored count chunks as they end.
	stored, alreadyStored atomic.Int64
	res                   uploader.Result
}

// Upload runs prepare, the wallet's wait and finalize for every chunk of
// enc on env's network, as one simulation on env's clock (see the package
// documentation). It returns an error wrapping uploader.ErrPartialUpload
// when chunks remain unstored; the Result still says how far it got.
func (u *Uploader) Upload(ctx context.Context, enc *uploader.Encrypted, env uploader.Env) (uploader.Result, error) {
	start, simStart := time.Now(), env.Clock.Now()
	r := &run{cfg: &u.cfg, env: env, heap: env.HeapOrGo(), policy: u.cfg.Store(), enc: enc}
	put, err := fanout.New(r.heap, fanout.NewSender(env.Net, r.heap, u.cfg.Transport, u.cfg.Client), u.cfg.Strategy)
	if err != nil {
		return uploader.Result{}, err
	}
	r.put = put
	addrs := enc.Chunks()
	if r.sizes, err = enc.ChunkSizes(); err != nil {
		return uploader.Result{}, err
	}
	r.res.Chunks = len(addrs)
	err = env.Clock.Run(ctx, "upload", func(ctx context.Context) error { return r.upload(ctx, addrs) })
	r.res.Stored = int(r.stored.Load())
	r.res.AlreadyStored = int(r.alreadyStored.Load())
	c := &r.put.Counts
	r.res.Sends, r.res.Fallbacks = c.Sends.Load(), c.Fallbacks.Load()
	r.res.PeerErrors, r.res.PeerTimeouts = c.Errors.Load(), c.Timeouts.Load()
	r.res.Elapsed, r.res.SimElapsed = time.Since(start), env.Clock.Now()-simStart
	return r.res, err
}

// upload is the phase's first task: the merkle path, as Auto picks it, or
// the wave-batch variant.
func (r *run) upload(ctx context.Context, addrs []xorname.Name) error {
	merkle := payment.UseMerkle(len(addrs), r.cfg.Payment)
	var bodies []*buffer.Buf // each chunk's body while it is held; nil once dropped
	defer func() { release(bodies) }()
	var err error
	if r.cfg.Version == HoldsBodies || !merkle {
		// Every spilled chunk read back (file.rs L1467-1473).
		if bodies, err = r.readAll(addrs); err != nil {
			return err
		}
	}
	if merkle {
		// One pass over every chunk: before 0.3.3 each read at the start
		// and dropped when its store ends, since then each read when its
		// store starts.
		r.res.Mode = payment.Merkle
		r.res.Held = uploader.Held{Wave: len(addrs), PerRecord: r.cfg.Version == SpillBodies, UntilStoreEnds: true}
		err = r.merkle(ctx, addrs, bodies)
		// A merkle prepare that finds too few peers falls back to the
		// wave-batch variant (file.rs L1562-1572), not once it has paid.
		if !errors.Is(err, errMerklePrepare) || r.cfg.Payment != payment.Auto || !errors.Is(err, payment.ErrInsufficientPeers) || errors.Is(err, payment.ErrPartialPayment) {
			return err
		}
		r.res.FellBack = true
		if bodies == nil {
			if bodies, err = r.readAll(addrs); err != nil {
				return err
			}
		}
	}
	r.res.Mode = payment.Single
	r.res.Held = uploader.Held{Wave: len(addrs), UntilStoreEnds: true}
	return r.waveBatch(ctx, addrs, bodies)
}

// readAll reads every chunk of addrs back from the spill (site
// SpillRead).
func (r *run) readAll(addrs []xorname.Name) ([]*buffer.Buf, error) {
	return r.enc.ReadChunks(addrs, r.heap)
}

// release drops every body still held and forgets it.
func release(bufs []*buffer.Buf) {
	for i, b := range bufs {
		b.Release()
		bufs[i] = nil
	}
}

// signWait is the external wallet signing: SignWait of simulated time.
func (r *run) signWait(ctx context.Context) error {
	return simtime.Sleep(ctx, r.cfg.SignWait)
}

// largest returns the size of the largest of the chunks at indices idx,
// or of every chunk when idx is nil.
func (r *run) largest(idx []int) int64 {
	m := 0
	if idx == nil {
		for _, s := range r.sizes {
			m = max(m, s)
		}
	}
	for _, i := range idx {
		m = max(m, r.sizes[i])
	}
	return int64(m)
}

// chunkStored counts one chunk stored and reports progress.
func (r *run) chunkStored() {
	s := r.stored.Add(1)
	if r.env.Progress != nil {
		r.env.Progress(int(s), len(r.sizes))
	}
}

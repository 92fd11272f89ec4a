package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/google/pprof/profile"
)

// smallCase is a quick case of 3 incompressible 1 MiB chunks at a fixed
// cap, so every send is in flight at once and the model applies.
func smallCase(t *testing.T, s strategy.Strategy, transport bool) Case {
	c := SeedCase()
	c.Name = "small"
	c.Source = source.Spec{Seed: 5, Size: 3 << 20}
	c.Strategy, c.Transport, c.Limiter = s, transport, "fixed:8"
	c.Net = testnet.DefaultConfig()
	c.Net.Net.Peers = 40
	c.CacheRoot = testCache
	return c
}

// TestTrackedPeakMatchesModel checks the tracked peak against the analytic
// model, to the byte and site by site, for every client profile and
// strategy, with and without transport copies.
func TestTrackedPeakMatchesModel(t *testing.T) {
	for _, cl := range client.Names() {
		for _, transport := range []bool{true, false} {
			for _, s := range strategy.All() {
				c := smallCase(t, s, transport)
				c.Client = cl
				job := DefaultJob(c, 1, t.TempDir())
				rec := RunChild(context.Background(), job, nil)
				if rec.Status != result.OK {
					t.Fatalf("%s %v: %s: %s", cl, s, rec.Status, rec.Error)
				}
				if rec.ModelPeak == 0 {
					t.Fatalf("%s %v: no model prediction", cl, s)
				}
				checkModel(t, fmt.Sprintf("client %s transport %v %v", cl, transport, s), rec)
				if rec.Stored != 3 || rec.Total != 3 || rec.Client != cl {
					t.Errorf("%s %v: stored %d of %d, client %q", cl, s, rec.Stored, rec.Total, rec.Client)
				}
			}
		}
	}
}

// TestPeakProfile checks the peak profile of a copy-per-peer run: written
// from the tracker, its inuse_space total is the tracked peak to the byte,
// its sites are the record's sites at the peak, and its top site is a
// per-send buffer (QUIC's copy of the frame), not the harness.
func TestPeakProfile(t *testing.T) {
	dir := t.TempDir()
	job := DefaultJob(smallCase(t, strategy.CopyPerPeer, true), 1, dir)
	job.Profile = true
	rec := RunChild(context.Background(), job, nil)
	if rec.Status != result.OK || rec.PeakProfile == "" || !rec.Profile {
		t.Fatalf("%s: %s, profile %q", rec.Status, rec.Error, rec.PeakProfile)
	}
	if !strings.HasSuffix(rec.PeakProfile, "copy-per-peer-fixed_8-profile.peak.pb.gz") {
		t.Errorf("peak profile at %s", rec.PeakProfile)
	}
	f, err := os.Open(filepath.Join(dir, rec.PeakProfile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	sites := map[string]int64{}
	var total int64
	for _, s := range p.Sample {
		site := s.Location[0].Line[0].Function.Name
		sites[strings.TrimPrefix(site, "site.")] += s.Value[1] // inuse_space
		total += s.Value[1]
	}
	if total != rec.Live.Peak {
		t.Errorf("profile total %d, tracked peak %d", total, rec.Live.Peak)
	}
	for site, v := range rec.Live.AtPeak {
		if sites[site] != v {
			t.Errorf("site %s: profile %d, record at peak %d", site, sites[site], v)
		}
	}
	top, topV := "", int64(0)
	for s, v := range sites {
		if v > topV {
			top, topV = s, v
		}
	}
	// The default client's transport frees a send's frame and encoded
	// message once QUIC has copied the frame: QUIC's copies lead.
	if top != "quic-send" {
		t.Errorf("top site %s (%d bytes), want quic-send: %v", top, topV, sites)
	}
}

// TestModelWithReplacement checks the model where chunks of a wave replace
// each other in flight: 4 full chunks, a short one and 3 small data-map
// chunks at a cap of 2, on every client.
func TestModelWithReplacement(t *testing.T) {
	for _, cl := range client.Names() {
		for _, s := range []strategy.Strategy{strategy.CopyPerPeer, strategy.Streamed} {
			c := smallCase(t, s, true)
			c.Source = source.Spec{Seed: 6, Size: 4*4_190_208 + 1000}
			c.Limiter = "fixed:2"
			c.Client = cl
			rec := RunChild(context.Background(), DefaultJob(c, 1, t.TempDir()), nil)
			if rec.Status != result.OK || rec.ModelPeak == 0 {
				t.Fatalf("%s %v: %s: %s (model %d)", cl, s, rec.Status, rec.Error, rec.ModelPeak)
			}
			checkModel(t, cl+" "+s.String(), rec)
		}
	}
}

// TestModelOtherUploaders checks the model against the runs of every
// other registered uploader, to the byte, on both payment paths, and that
// their records name them. Full and short chunks go two at a time, so
// where each chunk's body is held decides the peak.
func TestModelOtherUploaders(t *testing.T) {
	for _, u := range uploader.Names() {
		if u == uploader.Default {
			continue
		}
		for _, pay := range []payment.Mode{payment.Single, payment.Merkle} {
			c := smallCase(t, strategy.CopyPerPeer, true)
			c.Source = source.Spec{Seed: 6, Size: 3*4_190_208 + 1000}
			c.Limiter, c.Payment, c.Uploader = "fixed:2", pay, u
			rec := RunChild(context.Background(), DefaultJob(c, 1, t.TempDir()), nil)
			what := fmt.Sprintf("%s %v", u, pay)
			if rec.Status != result.OK || rec.ModelPeak == 0 || rec.Uploader != u {
				t.Fatalf("%s: %s: %s (model %d, uploader %q)", what, rec.Status, rec.Error, rec.ModelPeak, rec.Uploader)
			}
			checkModel(t, what, rec)
		}
	}
}

// checkModel fails t unless the tracked peak and its sites equal the
// model's prediction exactly.
func checkModel(t *testing.T, what string, rec *result.Record) {
	t.Helper()
	same := rec.Live.Peak == rec.ModelPeak
	for site, v := range rec.ModelSites {
		same = same && rec.Live.AtPeak[site] == v
	}
	for site, v := range rec.Live.AtPeak {
		same = same && rec.ModelSites[site] == v
	}
	if !same {
		t.Errorf("%s: tracked peak %d, model %d\nat peak %v\nmodel   %v", what, rec.Live.Peak, rec.ModelPeak, rec.Live.AtPeak, rec.ModelSites)
	}
}

// TestMemoryLimitJudgesTheClient checks that a memory limit kills a run
// exactly when the client's resident memory reaches it: the peak resident
// of a run without a limit, R, kills a run limited to R and not one limited
// to R+1, whatever the harness's own memory. A killed run is recorded
// "oom" with the chunks stored so far and the profile of its peak.
func TestMemoryLimitJudgesTheClient(t *testing.T) {
	c := smallCase(t, strategy.EncodeOnce, true)
	free := RunChild(context.Background(), DefaultJob(c, 1, t.TempDir()), nil)
	if free.Status != result.OK || free.Memory.PeakResident <= free.Live.Peak/2 || free.Memory.Allocator != "glibc" {
		t.Fatalf("%s: %s; client %+v, live peak %d", free.Status, free.Error, free.Client, free.Live.Peak)
	}
	r := free.Memory.PeakResident
	for _, tc := range []struct {
		limit int64
		want  result.Status
	}{{r, result.OOM}, {r + 1, result.OK}} {
		dir := t.TempDir()
		job := DefaultJob(c, 1, dir)
		job.MemoryLimit = tc.limit
		rec := RunChild(context.Background(), job, nil)
		if rec.Status != tc.want {
			t.Errorf("limit %d (peak resident %d): %s %s, want %s", tc.limit, r, rec.Status, rec.Error, tc.want)
			continue
		}
		if tc.want == result.OOM {
			if rec.Stored >= rec.Total || !strings.Contains(rec.Error, "killed") || rec.PeakProfile == "" {
				t.Errorf("killed run: stored %d of %d, error %q, profile %q", rec.Stored, rec.Total, rec.Error, rec.PeakProfile)
			}
			if _, err := os.Stat(filepath.Join(dir, rec.PeakProfile)); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestAllocatorFailureIsRecorded checks that an allocator whose address
// space cannot be mapped is an error recorded for the run, not a crash.
func TestAllocatorFailureIsRecorded(t *testing.T) {
	c := smallCase(t, strategy.Streamed, true)
	c.Reserve = 1 << 62 // far beyond any machine's address space
	rec := RunChild(context.Background(), DefaultJob(c, 1, t.TempDir()), nil)
	if rec.Status != result.Failed || !strings.Contains(rec.Error, "the client's allocator") || !strings.Contains(rec.Error, "mapping") {
		t.Fatalf("%s: %q, want an error naming the allocator and the mapping", rec.Status, rec.Error)
	}
}

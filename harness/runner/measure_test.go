package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/google/pprof/profile"
)

// smallCase is a quick case of 3 incompressible 1 MiB chunks at a fixed
// cap, so every send is in flight at once and the model applies.
func smallCase(t *testing.T, s upload.Strategy, transport bool) Case {
	c := SeedCase()
	c.Name = "small"
	c.Source = source.Spec{Seed: 5, Size: 3 << 20}
	c.Strategy, c.Transport, c.Limiter = s, transport, "fixed:8"
	c.Net = testnet.DefaultConfig()
	c.Net.Net.Peers = 40
	c.CacheRoot = t.TempDir()
	return c
}

// TestTrackedPeakMatchesModel checks the tracked peak against the analytic
// model, to the byte and site by site, for every strategy, with and without
// transport copies.
func TestTrackedPeakMatchesModel(t *testing.T) {
	for _, transport := range []bool{true, false} {
		for _, s := range upload.Strategies() {
			job := DefaultJob(smallCase(t, s, transport), 1, t.TempDir())
			rec := RunChild(context.Background(), job, nil)
			if rec.Status != result.OK {
				t.Fatalf("%v: %s: %s", s, rec.Status, rec.Error)
			}
			if rec.ModelPeak == 0 {
				t.Fatalf("%v: no model prediction", s)
			}
			checkModel(t, fmt.Sprintf("transport %v %v", transport, s), rec)
			if rec.Stored != 3 || rec.Total != 3 {
				t.Errorf("%v: stored %d of %d", s, rec.Stored, rec.Total)
			}
		}
	}
}

// TestPeakProfileTopSite checks that the peak profile of a copy-per-peer
// run names a per-send buffer (the encode buffer or the per-peer copy) as
// its top in-use site, not the harness.
func TestPeakProfileTopSite(t *testing.T) {
	dir := t.TempDir()
	job := DefaultJob(smallCase(t, upload.CopyPerPeer, true), 1, dir)
	job.Profile = true
	rec := RunChild(context.Background(), job, nil)
	if rec.Status != result.OK || rec.PeakProfile == "" || !rec.Profile {
		t.Fatalf("%s: %s, profile %q", rec.Status, rec.Error, rec.PeakProfile)
	}
	if rec.ProfileLive < rec.Live.Peak*98/100 {
		t.Errorf("profile taken at %d live bytes, peak %d", rec.ProfileLive, rec.Live.Peak)
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
	flat := map[string]int64{}
	for _, s := range p.Sample {
		lines := s.Location[0].Line
		flat[lines[len(lines)-1].Function.Name] += s.Value[3] // inuse_space
	}
	top, topV := "", int64(0)
	for fn, v := range flat {
		if v > topV {
			top, topV = fn, v
		}
	}
	if !strings.HasSuffix(top, "buffer.allocEncode") && !strings.HasSuffix(top, "buffer.allocPeerCopy") {
		t.Fatalf("top in-use site %s (%d bytes); want the encode buffer or the per-peer copy\n%v", top, topV, flat)
	}
}

// TestModelWithReplacement checks the model where chunks of a wave replace
// each other in flight: 4 full chunks, a short one and 3 small data-map
// chunks at a cap of 2.
func TestModelWithReplacement(t *testing.T) {
	for _, s := range []upload.Strategy{upload.CopyPerPeer, upload.Streamed} {
		c := smallCase(t, s, true)
		c.Source = source.Spec{Seed: 6, Size: 4*4_190_208 + 1000}
		c.Limiter = "fixed:2"
		rec := RunChild(context.Background(), DefaultJob(c, 1, t.TempDir()), nil)
		if rec.Status != result.OK || rec.ModelPeak == 0 {
			t.Fatalf("%v: %s: %s (model %d)", s, rec.Status, rec.Error, rec.ModelPeak)
		}
		checkModel(t, s.String(), rec)
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

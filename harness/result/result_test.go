package result

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// record is a record with a value in every kind of field, so that a round
// trip that drops or renames one is seen.
func record() *Record {
	return &Record{
		Version: Version, Scenario: "seed-20mb", Strategy: "streamed", Limiter: "budget:64MiB@fixed:64", Payment: "single",
		Transport: true, Client: "newest", Rep: 3, Profile: true, Seed: 7, Size: 20 << 20, Batch: "20261201T105018.000000000Z-1a2b3c4d",
		Commit: "abc123-dirty", Expected: OOM,
		Env:    Env{GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", CPU: "x", GOMAXPROCS: 2, GOGC: -1, GOMEMLIMIT: 1 << 62, MemProfileRate: 1, MemoryLimit: 4 << 30},
		Status: OK, Error: "", Warnings: []string{"spill cache rebuilt"}, Stored: 9, Total: 9,
		Upload: Upload{Mode: "single", Waves: 1, RetryRounds: 2, Caps: []int{8, 16}, Transactions: 1, Sends: 36, Fallbacks: 1,
			PeerErrors: 2, PeerTimeouts: 3, Wall: 382e6, Sim: 7e9, Encrypt: 4e8, Cached: true, PeakStreams: 32},
		Live: Live{Peak: 23 << 20, PeakSim: 5e9, PeakReal: 2e8, AtPeak: map[string]int64{"chunk": 20 << 20}, SitePeaks: map[string]int64{"chunk": 21 << 20},
			Allocated: map[string]int64{"chunk": 40 << 20}, Sites: []string{"chunk"}, Timeline: []Point{{T: 1, V: 2, Sites: []int64{2}}}},
		Memory:    Memory{Allocator: "glibc", Baseline: 22 << 20, PeakResident: 44 << 20, EndResident: 30 << 20, Retained: 8 << 20, Returned: 1 << 20},
		Runtime:   Runtime{PeakHeap: 30 << 20, PeakMapped: 40 << 20, Interval: 2e6, Samples: 100, AllocBytes: 1 << 30, AllocObjects: 1e5, GCCycles: 12, Heap: []Point{{T: 3, V: 4}}},
		OS:        OS{PeakRSS: 74 << 20, PeakRSSSource: "vmhwm", VmHWM: 74 << 20, BaseRSS: 50 << 20, MaxRSS: 80 << 20, RSS: []Point{{T: 5, V: 6}}},
		ModelPeak: 23 << 20, ModelSites: map[string]int64{"chunk": 20 << 20},
		PeakProfile: "profiles/p.peak.pb.gz", EndProfile: "profiles/p.end.pb.gz", Trace: "traces/t.trace", ProfileLive: 22 << 20,
	}
}

// TestRecordRoundTrip writes a record with every field set and reads it
// back equal, through Write and Read, and through Decode.
func TestRecordRoundTrip(t *testing.T) {
	want := record()
	path := filepath.Join(t.TempDir(), "runs", "seed-20mb", "streamed-3.json") // directories made
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Read = %+v, %v\nwant %+v", got, err, want)
	}
	// Every field is written under its JSON name: none is left at its zero
	// value by the round trip, so a field the encoding drops fails above,
	// and the file names the fields as documented.
	data, _ := os.ReadFile(path)
	for _, key := range []string{`"peak_rss_source": "vmhwm"`, `"wall_ns": 382000000`, `"model_peak": 24117248`, `"expected": "oom"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("the record's file lacks %s", key)
		}
	}
}

// TestDecode checks the records Decode refuses, each error naming the
// file.
func TestDecode(t *testing.T) {
	good, _ := json.Marshal(record())
	for _, tc := range []struct {
		name, data, err string
	}{
		{"good", string(good), ""},
		{"not JSON", "{", "result: f.json: unexpected end of JSON input"},
		{"null", "null", "result: f.json: null record"},
		{"other version", `{"version": 2, "scenario": "s", "strategy": "m"}`, "result: f.json: record version 2, this fanbench reads 1"},
		{"no scenario", `{"version": 1, "strategy": "m"}`, "result: f.json: no scenario or strategy"},
		{"no strategy", `{"version": 1, "scenario": "s"}`, "result: f.json: no scenario or strategy"},
		{"wrong type", `{"version": "1"}`, "result: f.json: json: cannot unmarshal string"},
	} {
		r, err := Decode([]byte(tc.data), "f.json")
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)):
			t.Errorf("%s: Decode = %+v, %v; want an error starting %q", tc.name, r, err, tc.err)
		}
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none.json")); err == nil || !strings.Contains(err.Error(), "none.json") {
		t.Errorf("Read of a missing file = %v, want an error naming it", err)
	}
}

// TestResultsRoundTrip writes a batch and its records as WriteResults
// does and reads both files back: the records in order, the batch with
// its shard and typed breaches; an empty batch writes an empty list.
func TestResultsRoundTrip(t *testing.T) {
	second := record()
	second.Rep, second.Profile = 4, false
	batch := Batch{ID: "20261201T105018.000000000Z-1a2b3c4d", Commit: "abc", Started: time.Date(2026, 12, 1, 10, 50, 18, 0, time.UTC),
		Planned: 3, Finished: 2, Interrupted: "SIGINT", Budgets: true,
		Breaches:   []Breach{{Budget: "s.yaml:7:5", Scenario: "s", Strategy: "m", Limiter: "aimd", Metric: UnitPeakLive, Value: 5, Max: 4}, {Text: "older"}},
		Unexpected: []string{"u"}, Notes: []string{"n"}, Baselines: map[string]string{"s": "copy-per-peer"},
		Shard: &Shard{Index: 1, Count: 2, Kind: "run", Plan: "p", Scenarios: []string{"s"}, Version: "v", Units: []string{"a", "b"}, Mine: []string{"a"}, Done: []string{"a"}, Order: []string{"x"}, Config: []string{"goos: linux"}}}
	for _, tc := range []struct {
		name string
		recs []*Record
		list string // results.json when it has no records
	}{
		{"two records", []*Record{record(), second}, ""},
		{"none", nil, "[]\n"},
	} {
		dir := t.TempDir()
		if err := WriteResults(dir, &Results{Batch: batch, Records: tc.recs}); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, ResultsFile))
		if err != nil {
			t.Fatal(err)
		}
		if tc.list != "" && string(data) != tc.list {
			t.Errorf("%s: results.json = %q, want %q", tc.name, data, tc.list)
		}
		recs, err := DecodeRecords(data, ResultsFile)
		if err != nil || len(recs) != len(tc.recs) || len(recs) > 0 && !reflect.DeepEqual(recs, tc.recs) {
			t.Errorf("%s: DecodeRecords = %v, %v", tc.name, recs, err)
		}
		bdata, err := os.ReadFile(filepath.Join(dir, BatchFile))
		if err != nil {
			t.Fatal(err)
		}
		b, err := DecodeBatch(bdata, BatchFile)
		if err != nil || !reflect.DeepEqual(*b, batch) {
			t.Errorf("%s: DecodeBatch = %+v, %v\nwant %+v", tc.name, b, err, batch)
		}
	}
}

// TestDecodeListErrors checks that results.json and batch.json are refused
// as a whole for one bad record or a batch without an ID, naming the file
// and the record.
func TestDecodeListErrors(t *testing.T) {
	for _, tc := range []struct {
		data, err string
		batch     bool
	}{
		{`[{"version": 1, "scenario": "s", "strategy": "m"}, {"version": 0, "scenario": "s", "strategy": "m"}]`, "result: r.json: record 1: record version 0", false},
		{`[null]`, "result: r.json: record 0: null record", false},
		{`{}`, "result: r.json: json: cannot unmarshal object", false},
		{`{"id": ""}`, "result: r.json: no batch ID", true},
		{`null`, "result: r.json: no batch ID", true},
		{`{"id": "x", "breaches": [7]}`, "result: r.json: json: cannot unmarshal number", true},
	} {
		var err error
		if tc.batch {
			_, err = DecodeBatch([]byte(tc.data), "r.json")
		} else {
			_, err = DecodeRecords([]byte(tc.data), "r.json")
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("%s: %v, want an error starting %q", tc.data, err, tc.err)
		}
	}
}

// TestWriteFileAtomic checks that a file is written whole, readable by
// all (0644), over an older one, leaving no temporary file; and that a
// write into a path that cannot be a directory fails naming it.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "f.txt")
	for _, data := range []string{"first\n", "second, longer\n", ""} {
		if err := WriteFileAtomic(path, []byte(data)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != data {
			t.Errorf("after writing %q: %q, %v", data, got, err)
		}
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", st.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if names := names(entries); !slices.Equal(names, []string{"f.txt"}) {
		t.Errorf("the directory holds %q, want only f.txt", names)
	}
	if err := WriteFileAtomic(filepath.Join(path, "g"), []byte("x")); err == nil || !strings.Contains(err.Error(), "f.txt") {
		t.Errorf("a write under a file = %v, want an error naming it", err)
	}
}

func names(es []os.DirEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestNewBatchID checks that IDs sort by time as strings and that two IDs
// of the same instant differ.
func TestNewBatchID(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 50, 18, 5, time.FixedZone("x", 3600))
	a, b, c := NewBatchID(t0), NewBatchID(t0), NewBatchID(t0.Add(time.Nanosecond))
	if !strings.HasPrefix(a, "20261201T095018.000000005Z-") || len(a) != len("20261201T095018.000000005Z-")+8 {
		t.Errorf("NewBatchID = %q", a)
	}
	if a == b {
		t.Errorf("two IDs of one instant are equal: %q", a)
	}
	if !(a < c && b < c) {
		t.Errorf("IDs do not sort by time: %q, %q, then %q", a, b, c)
	}
}

package result

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeRecords checks that the reader of results.json, behind fanbench
// report and pprof, never panics on outside input, accepts only records of
// this version that name their case, and reads back what it would write.
//
// CI runs it briefly: make fuzz.
func FuzzDecodeRecords(f *testing.F) {
	for _, s := range []string{
		`[{"version":1,"scenario":"smoke","strategy":"streamed","limiter":"fixed:8","rep":1,"status":"ok","batch":"20261201T100000.000000000Z-1a2b3c4d"}]`,
		`[{"version":1,"scenario":"smoke","strategy":"streamed","status":"oom","live":{"peak":5,"at_peak":{"chunk":5}}}]`,
		`[null]`,
		`[{"version":2}]`,
		`[]`,
		` [`,
		`[{"version":1,"scenario":"s","strategy":"m","upload":{"caps":[8,16]},"os":{"rss":[{"t":1,"v":2}]}}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := DecodeRecords(data, "results.json")
		if err != nil {
			return
		}
		for i, r := range recs {
			if r == nil || r.Version != Version || r.Scenario == "" || r.Strategy == "" {
				t.Fatalf("record %d accepted: %+v", i, r)
			}
		}
		b, err := json.Marshal(recs)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := DecodeRecords(b, "again.json"); err != nil || len(again) != len(recs) {
			t.Fatalf("what it read does not read back: %v", err)
		}
	})
}

// FuzzDecodeRecord checks the reader of runs/**/*.json in the same way.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range []string{
		`{"version":1,"scenario":"smoke","strategy":"streamed","limiter":"fixed:8","rep":1,"status":"cancelled","error":"smoke/streamed-1: cancelled"}`,
		`{"version":1}`,
		`null`,
		`{"version":1,"scenario":"s","strategy":"m","live":{"timeline":[{"t":0,"v":1,"s":[1]}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data, "x.json")
		if err != nil {
			return
		}
		if r.Version != Version || r.Scenario == "" || r.Strategy == "" {
			t.Fatalf("record accepted: %+v", r)
		}
	})
}

// FuzzDecodeBatch checks the reader of batch.json in the same way.
func FuzzDecodeBatch(f *testing.F) {
	for _, s := range []string{
		`{"id":"20261201T100000.000000000Z-1a2b3c4d","commit":"c03aece","started":"2026-12-01T10:00:00Z","planned":20,"finished":3,"interrupted":"SIGINT","breaches":["x"],"baselines":{"smoke":"streamed"}}`,
		`{"id":""}`,
		`null`,
		`{"id":"x","started":"not a time"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBatch(data, "batch.json")
		if err != nil {
			return
		}
		if b.ID == "" {
			t.Fatalf("batch without an ID accepted: %+v", b)
		}
		_ = b.InterruptedLine()
	})
}

package result

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeResults checks that the reader of results.json, behind fanbench
// report and pprof, never panics on outside input, accepts only records of
// this version that name their case, and reads back what it would write.
//
// CI runs it briefly: make fuzz.
func FuzzDecodeResults(f *testing.F) {
	for _, s := range []string{
		`{"batch":{"id":"20261201T100000.000000000Z-1a2b3c4d","commit":"c03aece","planned":2,"finished":1,"interrupted":"SIGINT"},` +
			`"records":[{"version":1,"scenario":"smoke","strategy":"streamed","limiter":"fixed:8","rep":1,"status":"ok","batch":"20261201T100000.000000000Z-1a2b3c4d"}]}`,
		`[{"version":1,"scenario":"smoke","strategy":"streamed","status":"oom","live":{"peak":5,"at_peak":{"chunk":5}}}]`,
		`{"records":[null]}`,
		`{"records":[{"version":2}]}`,
		`[]`,
		` [`,
		`{"batch":{"planned":-1},"records":[{"version":1,"scenario":"s","strategy":"m","upload":{"caps":[8,16]},"os":{"rss":[{"t":1,"v":2}]}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := DecodeResults(data, "results.json")
		if err != nil {
			return
		}
		for i, r := range res.Records {
			if r == nil || r.Version != Version || r.Scenario == "" || r.Strategy == "" {
				t.Fatalf("record %d accepted: %+v", i, r)
			}
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeResults(b, "again.json")
		if err != nil || len(again.Records) != len(res.Records) || again.Batch.ID != res.Batch.ID {
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

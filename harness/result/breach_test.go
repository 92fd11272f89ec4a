package result

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestBreachJSON round-trips breaches through a batch's JSON: a typed one
// as an object, and one an older fanbench recorded as a line of text, which
// stays text.
func TestBreachJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    Breach
		json string
		line string
	}{
		{"max", Breach{Budget: "s.yaml:7:5", Scenario: "s", Strategy: "streamed", Limiter: "fixed:8", Metric: UnitPeakLive, Value: 5, Max: 4, Profile: "p.pb.gz"},
			`{"budget":"s.yaml:7:5","scenario":"s","strategy":"streamed","limiter":"fixed:8","metric":"peak-live-B","value":5,"max":4,"profile":"p.pb.gz"}`,
			"budget s.yaml:7:5: s/streamed (fixed:8) peak-live-B = 5, limit 4; p.pb.gz"},
		{"ratio", Breach{Budget: "s.yaml:8:5", Scenario: "s", Strategy: "encode-once", Limiter: "aimd", Metric: UnitPeakLive, Value: 21, Model: 20, MaxModelRatio: 1.01},
			`{"budget":"s.yaml:8:5","scenario":"s","strategy":"encode-once","limiter":"aimd","metric":"peak-live-B","value":21,"max_model_ratio":1.01,"model":20}`,
			"budget s.yaml:8:5: s/encode-once (aimd) peak-live-B = 21, 1.0500 × the model's 20, limit 1.0100 ×; no peak profile"},
		{"unfinished", Breach{Budget: "s.yaml:9:5", Scenario: "s", Strategy: "copy-per-peer", Limiter: "aimd", Metric: UnitWall, Max: 1e9, Unfinished: "2 oom"},
			`{"budget":"s.yaml:9:5","scenario":"s","strategy":"copy-per-peer","limiter":"aimd","metric":"ns/op","value":0,"max":1000000000,"unfinished":"2 oom"}`,
			"budget s.yaml:9:5: s/copy-per-peer (aimd) ns/op: no run finished (2 oom); no peak profile"},
		{"older text", Breach{Text: "budget old.yaml:3:5: old/streamed (aimd) peak-live-B = 9, limit 8; no peak profile"},
			`"budget old.yaml:3:5: old/streamed (aimd) peak-live-B = 9, limit 8; no peak profile"`,
			"budget old.yaml:3:5: old/streamed (aimd) peak-live-B = 9, limit 8; no peak profile"},
	} {
		b, err := json.Marshal(tc.b)
		if err != nil || string(b) != tc.json {
			t.Errorf("%s: Marshal = %s, %v; want %s", tc.name, b, err, tc.json)
		}
		var back Breach
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, tc.b) {
			t.Errorf("%s: Unmarshal = %+v, %v; want %+v", tc.name, back, err, tc.b)
		}
		if got := tc.b.String(); got != tc.line {
			t.Errorf("%s: String = %q, want %q", tc.name, got, tc.line)
		}
	}
	var b Breach
	if err := json.Unmarshal([]byte(`[1]`), &b); err == nil {
		t.Errorf("Unmarshal of a list = %+v, want an error", b)
	}
}

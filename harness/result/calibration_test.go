package result

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeCalibration(t *testing.T) {
	cases := []struct {
		data string
		rows int
		err  string
	}{
		{`[{"strategy": "streamed", "client_resident": 5, "replay_vmhwm": 6}]`, 1, ""},
		{`[]`, 0, ""},
		{`[{"scenario": "s"}]`, 0, "result: c.json: row 0: no strategy"},
		{`[null]`, 0, "result: c.json: row 0: no strategy"},
		{`{"strategy": "streamed"}`, 0, "result: c.json: json: cannot unmarshal object"},
		{`[{"strategy": "streamed"`, 0, "result: c.json: unexpected end of JSON input"},
	}
	for _, tc := range cases {
		rows, err := DecodeCalibration([]byte(tc.data), "c.json")
		if tc.err == "" && (err != nil || len(rows) != tc.rows) {
			t.Errorf("%s: %d rows, %v", tc.data, len(rows), err)
		}
		if tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)) {
			t.Errorf("%s: %v, want %q", tc.data, err, tc.err)
		}
	}
}

func TestReadCalibration(t *testing.T) {
	dir := t.TempDir()
	if rows, err := ReadCalibration(dir); rows != nil || err != nil {
		t.Errorf("no file: %v, %v", rows, err)
	}
	os.WriteFile(filepath.Join(dir, CalibrationFile), []byte(`[{"strategy": "streamed", "peak_live": 7}]`), 0o644)
	if rows, err := ReadCalibration(dir); err != nil || len(rows) != 1 || rows[0].PeakLive != 7 {
		t.Errorf("%+v, %v", rows, err)
	}
	os.WriteFile(filepath.Join(dir, CalibrationFile), []byte(`[1]`), 0o644)
	if _, err := ReadCalibration(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, CalibrationFile)+": ") {
		t.Errorf("a broken file: %v", err)
	}
}

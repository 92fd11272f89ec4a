package limiter

import (
	"math"
	"strings"
	"testing"
)

func TestDefaultStoreIsValid(t *testing.T) {
	if err := DefaultStore.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidateNamesField(t *testing.T) {
	tests := []struct {
		field  string
		mutate func(*Config)
	}{
		{"Min", func(c *Config) { c.Min = 0 }},
		{"Max", func(c *Config) { c.Max = 4; c.Start = 4; c.Min = 5 }},
		{"Start", func(c *Config) { c.Start = 65 }},
		{"Start", func(c *Config) { c.Start = 0 }},
		{"Window", func(c *Config) { c.Window = 0 }},
		{"MinWindow", func(c *Config) { c.MinWindow = 0 }},
		{"MinWindow", func(c *Config) { c.MinWindow = 33 }},
		{"SuccessTarget", func(c *Config) { c.SuccessTarget = 1.5 }},
		{"TimeoutCeiling", func(c *Config) { c.TimeoutCeiling = -0.1 }},
		{"EWMAAlpha", func(c *Config) { c.EWMAAlpha = math.NaN() }},
		{"LatencyInflation", func(c *Config) { c.LatencyInflation = 0 }},
		{"LatencyInflation", func(c *Config) { c.LatencyInflation = math.Inf(1) }},
	}
	for _, tt := range tests {
		c := DefaultStore
		tt.mutate(&c)
		err := c.Validate()
		// The trailing space tells "Config.Min " from "Config.MinWindow".
		if err == nil || !strings.Contains(err.Error(), "Config."+tt.field+" ") {
			t.Errorf("%s: Validate() = %v, want an error naming Config.%s", tt.field, err, tt.field)
		}
	}
}

func TestConfigValidateReportsEveryField(t *testing.T) {
	err := Config{}.Validate()
	if err == nil {
		t.Fatal("Config{}.Validate() = nil")
	}
	for _, f := range []string{"Min", "Window", "MinWindow", "LatencyInflation"} {
		if !strings.Contains(err.Error(), "Config."+f+" ") {
			t.Errorf("error %q does not name Config.%s", err, f)
		}
	}
}

package upload

// SetWaveSize makes c's waves n chunks long instead of WaveSize.
func SetWaveSize(c *Config, n int) { c.waveSize = n }

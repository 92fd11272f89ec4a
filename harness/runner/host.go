package runner

// HostCPU returns the processor's model name as a child records it in
// result.Env.CPU ("" where /proc/cpuinfo does not say), so that a parent
// can state the machine its children run on before any has run.
func HostCPU() string { return cpuModel() }

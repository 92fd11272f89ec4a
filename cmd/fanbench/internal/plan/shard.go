package plan

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Shard is one part of a batch split Count ways: Index counts from 1. The
// zero value is the whole batch, unsplit.
type Shard struct {
	Index, Count int
}

// Whole reports whether s is the whole batch: no shard, or 1/1.
func (s Shard) Whole() bool { return s.Count <= 1 }

// String writes s as -shard takes it, "2/4"; "" for the zero Shard.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Parse reads a shard as -shard takes it: "i/n", two whole numbers with
// 1 ≤ i ≤ n. Its errors say what is wrong with the value, not which flag
// gave it.
func Parse(v string) (Shard, error) {
	is, ns, ok := strings.Cut(v, "/")
	if !ok {
		if _, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return Shard{}, fmt.Errorf("%q is an index without a count: want i/n, e.g. %s/4", v, strings.TrimSpace(v))
		}
		return Shard{}, fmt.Errorf("%q is not i/n (two whole numbers, the shard and the count, e.g. 2/4)", v)
	}
	i, ierr := strconv.Atoi(is)
	n, nerr := strconv.Atoi(ns)
	switch {
	case ierr != nil || nerr != nil:
		return Shard{}, fmt.Errorf("%q is not i/n (two whole numbers, the shard and the count, e.g. 2/4)", v)
	case n < 1:
		return Shard{}, fmt.Errorf("%q: the count must be ≥ 1", v)
	case i < 1:
		return Shard{}, fmt.Errorf("%q: shards count from 1 (1/%d to %d/%d)", v, n, n, n)
	case i > n:
		return Shard{}, fmt.Errorf("%q: shard %d is beyond the count %d (1/%d to %d/%d)", v, i, n, n, n, n)
	}
	return Shard{Index: i, Count: n}, nil
}

// The environment variables Resolve reads.
const (
	// EnvK8sIndex is set by Kubernetes in each pod of an Indexed Job
	// (completionMode: Indexed): the pod's index, from 0.
	EnvK8sIndex = "JOB_COMPLETION_INDEX"
	// EnvCount is the number of shards for EnvK8sIndex, which Kubernetes
	// does not pass itself: set it to the Job's completions (or give
	// -shards).
	EnvCount = "FANBENCH_SHARDS"
	// EnvBazelIndex and EnvBazelTotal are set by Bazel for a test with
	// shard_count: the shard, from 0, and the count.
	EnvBazelIndex = "TEST_SHARD_INDEX"
	EnvBazelTotal = "TEST_TOTAL_SHARDS"
	// EnvBazelStatus names a file a test touches to tell Bazel that it
	// shards itself (Acknowledge).
	EnvBazelStatus = "TEST_SHARD_STATUS_FILE"
)

// Resolve returns this process's shard and where it came from ("-shard",
// JOB_COMPLETION_INDEX or TEST_SHARD_INDEX; "" for the whole batch). flag
// is -shard's value ("" if not given), count -shards' (0 if not given);
// getenv reads the environment (os.Getenv). The flag wins over the
// environment, Kubernetes' index over Bazel's. Every error names the flag
// or variable at fault.
func Resolve(flag string, count int, getenv func(string) string) (Shard, string, error) {
	if flag != "" {
		if count != 0 {
			return Shard{}, "", fmt.Errorf("-shards %d: -shard %s carries its count; -shards is for %s", count, flag, EnvK8sIndex)
		}
		s, err := Parse(flag)
		if err != nil {
			return Shard{}, "", fmt.Errorf("-shard %w", err)
		}
		return s, "-shard", nil
	}
	if count < 0 {
		return Shard{}, "", fmt.Errorf("-shards %d: the count must be ≥ 1", count)
	}
	if v := getenv(EnvK8sIndex); v != "" {
		countFrom := "-shards"
		if count == 0 {
			c := getenv(EnvCount)
			if c == "" {
				return Shard{}, "", fmt.Errorf("%s=%s (a Kubernetes Indexed Job) gives an index without a count: give -shards N or set %s to the Job's completions", EnvK8sIndex, v, EnvCount)
			}
			n, err := strconv.Atoi(c)
			if err != nil || n < 1 {
				return Shard{}, "", fmt.Errorf("%s=%q is not a count of shards ≥ 1", EnvCount, c)
			}
			count, countFrom = n, EnvCount
		}
		s, err := fromZeroBased(EnvK8sIndex, v, count, countFrom)
		return s, EnvK8sIndex, err
	}
	if count != 0 {
		return Shard{}, "", fmt.Errorf("-shards %d without an index: it counts the shards of %s; on one machine give -shard i/n", count, EnvK8sIndex)
	}
	if v := getenv(EnvBazelIndex); v != "" {
		c := getenv(EnvBazelTotal)
		if c == "" {
			return Shard{}, "", fmt.Errorf("%s=%s gives an index without a count: %s is not set", EnvBazelIndex, v, EnvBazelTotal)
		}
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 {
			return Shard{}, "", fmt.Errorf("%s=%q is not a count of shards ≥ 1", EnvBazelTotal, c)
		}
		s, err := fromZeroBased(EnvBazelIndex, v, n, EnvBazelTotal)
		return s, EnvBazelIndex, err
	}
	if c := getenv(EnvBazelTotal); c != "" {
		return Shard{}, "", fmt.Errorf("%s=%s without %s: a count without an index", EnvBazelTotal, c, EnvBazelIndex)
	}
	return Shard{}, "", nil
}

// fromZeroBased reads the 0-based index v of the variable name, with count
// shards (from countFrom).
func fromZeroBased(name, v string, count int, countFrom string) (Shard, error) {
	i, err := strconv.Atoi(v)
	switch {
	case err != nil:
		return Shard{}, fmt.Errorf("%s=%q is not a whole number (an index from 0)", name, v)
	case i < 0 || i >= count:
		return Shard{}, fmt.Errorf("%s=%d is beyond the %d shards of %s (indexes 0 to %d)", name, i, count, countFrom, count-1)
	}
	return Shard{Index: i + 1, Count: count}, nil
}

// Acknowledge tells Bazel that this test shards itself, as its test
// encyclopedia asks: it touches the file TEST_SHARD_STATUS_FILE names, if
// any. Without it, Bazel fails a sharded test whose runner did not.
func Acknowledge(getenv func(string) string) error {
	path := getenv(EnvBazelStatus)
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("%s: %w", EnvBazelStatus, err)
	}
	return errors.Join(f.Close())
}

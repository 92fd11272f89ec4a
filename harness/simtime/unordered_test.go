package simtime

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestUnordered runs five tasks of 1, 2, 3, 4 and 5 s two at a time: each
// starts when a slot frees, at the instant the last one ended.
func TestUnordered(t *testing.T) {
	var l log
	_, err := run(t, func(ctx context.Context) error {
		Unordered(ctx, "job", 5, 2, func(ctx context.Context, i int) {
			l.add(ctx, "start %d", i)
			Sleep(ctx, time.Duration(i+1)*time.Second)
		})
		l.add(ctx, "all done")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check(t, l, "0s start 0", "0s start 1", "1s start 2", "2s start 3", "4s start 4", "9s all done")
}

// TestRolling runs six 1 s tasks under a cap that grows from 1 to 3 as
// tasks end, reading it before every launch, and reports each launch's cap
// and how many ends it had taken in by then: at 2 s two tasks end, and the
// launcher starts a task as soon as it has taken in the first.
func TestRolling(t *testing.T) {
	var l log
	var caps, after []int
	ended := 0
	_, err := run(t, func(ctx context.Context) error {
		Rolling(ctx, "job", 6, func() int { return min(1+ended, 3) }, func(k, e int) {
			caps, after = append(caps, k), append(after, e)
		}, func(ctx context.Context, i int) {
			l.add(ctx, "start %d", i)
			Sleep(ctx, time.Second)
			ended++
		})
		l.add(ctx, "all done")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check(t, l, "0s start 0", "1s start 1", "1s start 2", "2s start 3", "2s start 4", "2s start 5", "3s all done")
	if !slices.Equal(caps, []int{1, 2, 2, 3, 3, 3}) || !slices.Equal(after, []int{0, 1, 1, 2, 2, 3}) {
		t.Errorf("caps %v, ended before each launch %v", caps, after)
	}
}

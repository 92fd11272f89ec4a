package simtime

import "context"

// Unordered runs do(ctx, i) for i in [0, n) with at most k running at
// once, like futures' buffer_unordered(k): each is a task named name, and a
// new one starts as each finishes, at the same virtual instant. It stops
// starting new ones once ctx ends, and returns when every one started has
// finished. It must be called from a task of ctx's clock.
func Unordered(ctx context.Context, name string, n, k int, do func(ctx context.Context, i int)) {
	slots := NewSemaphore(ctx, k)
	var g Group
	for i := range n {
		if slots.Acquire(ctx) != nil {
			break
		}
		g.Go(ctx, name, func(ctx context.Context) {
			defer slots.Release()
			do(ctx, i)
		})
	}
	g.Wait()
}

// Rolling runs do(ctx, i) for i in [0, n), each a task named name,
// launching while fewer than capOf() run: capOf is read again before every
// launch, as ant-client's rolling_unordered does on every poll (floored at
// 1). Before each launch it calls launched, if not nil, with the cap that
// let it start and how many had ended by then. It returns when every one
// started has finished; it stops launching once ctx ends. It must be
// called from a task of ctx's clock.
func Rolling(ctx context.Context, name string, n int, capOf func() int, launched func(k, ended int), do func(ctx context.Context, i int)) {
	done := NewQueue[struct{}](ctx)
	var g Group
	inflight, ended := 0, 0
	for i := range n {
		for {
			k := max(1, capOf())
			if inflight < k {
				if launched != nil && ctx.Err() == nil {
					launched(k, ended)
				}
				break
			}
			done.Get()
			inflight--
			ended++
		}
		if ctx.Err() != nil {
			break
		}
		inflight++
		g.Go(ctx, name, func(ctx context.Context) {
			defer done.Put(struct{}{})
			do(ctx, i)
		})
	}
	g.Wait()
}

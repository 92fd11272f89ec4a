package limiter

// StoreCap returns the store concurrency for items records whose largest
// is largest bytes: p's limit (a WaveLimiter's for the largest record),
// bounded by the client's own in-flight byte budget when clientBudget > 0,
// as max(1, min(limit, BudgetBound(clientBudget, largest))). Both
// uploaders read their cap through it.
func StoreCap(p Policy, items int, largest, clientBudget int64) int {
	k := p.Limit(items)
	if b, ok := p.(WaveLimiter); ok {
		k = b.LimitFor(items, largest)
	}
	if clientBudget > 0 {
		k = max(1, min(k, BudgetBound(clientBudget, largest)))
	}
	return k
}

package simtime

// waiter is one registration of a blocked task on a wait queue.
type waiter struct {
	t          *task
	q          *waitq
	prev, next *waiter
	idx        int
}

// waitq is a FIFO of waiters.
type waitq struct{ head, tail *waiter }

func (q *waitq) push(w *waiter) {
	w.q, w.prev, w.next = q, q.tail, nil
	if q.tail != nil {
		q.tail.next = w
	} else {
		q.head = w
	}
	q.tail = w
}

func (q *waitq) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		q.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		q.tail = w.prev
	}
	w.q, w.prev, w.next = nil, nil, nil
}

// waitOn registers the current task t on q and returns the index block
// will return if q wakes it.
func (t *task) waitOn(q *waitq) int {
	i := t.nwaits
	w := &t.waits[i]
	w.t, w.idx = t, i
	q.push(w)
	t.nwaits++
	return i
}

// unwaitLocked drops every registration of t.
func (c *Clock) unwaitLocked(t *task) {
	for i := range t.nwaits {
		if w := &t.waits[i]; w.q != nil {
			w.q.remove(w)
		}
	}
	t.nwaits = 0
}

// wakeLocked makes w's task runnable, ended by w.
func (c *Clock) wakeLocked(w *waiter) {
	t := w.t
	idx := w.idx
	c.unwaitLocked(t)
	t.woke = idx
	c.runq.pushBack(t)
}

// wakeOneLocked wakes the first waiter of q, if any, and reports whether it
// did.
func (c *Clock) wakeOneLocked(q *waitq) bool {
	if q.head == nil {
		return false
	}
	c.wakeLocked(q.head)
	return true
}

// wakeAllLocked wakes every waiter of q, in order.
func (c *Clock) wakeAllLocked(q *waitq) {
	for q.head != nil {
		c.wakeLocked(q.head)
	}
}

package simtime

// deque is a ring buffer of tasks.
type deque struct {
	buf     []*task
	head, n int
}

func (d *deque) grow() {
	if d.n < len(d.buf) {
		return
	}
	b := make([]*task, max(8, 2*len(d.buf)))
	for i := range d.n {
		b[i] = d.buf[(d.head+i)%len(d.buf)]
	}
	d.buf, d.head = b, 0
}

func (d *deque) pushBack(t *task) {
	d.grow()
	d.buf[(d.head+d.n)%len(d.buf)] = t
	d.n++
}

func (d *deque) pushFront(t *task) {
	d.grow()
	d.head = (d.head - 1 + len(d.buf)) % len(d.buf)
	d.buf[d.head] = t
	d.n++
}

func (d *deque) popFront() *task {
	t := d.buf[d.head]
	d.buf[d.head] = nil
	d.head = (d.head + 1) % len(d.buf)
	d.n--
	return t
}

func (d *deque) clear() {
	for d.n > 0 {
		d.popFront()
	}
}

// taskList is an intrusive list of live tasks in start order.
type taskList struct{ head, tail *task }

func (l *taskList) push(t *task) {
	t.prev, t.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = t
	} else {
		l.head = t
	}
	l.tail = t
}

func (l *taskList) remove(t *task) {
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		l.head = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		l.tail = t.prev
	}
	t.prev, t.next = nil, nil
}

package newest

// List keeps the newest items added, at most Limit of them (0: all), oldest
// first. It is not safe for concurrent use: its owner locks.
//
// Items sit in one slice from an offset; dropping the oldest moves the
// offset and clears the slot, and the slice is compacted once the dropped
// part is as long as the kept one, so adding costs amortised O(1) and the
// backing array stays within about twice what is kept.
type List[T any] struct {
	items   []T
	start   int
	limit   int
	dropped int
}

// New returns a List that keeps at most limit items (0: no limit).
func New[T any](limit int) *List[T] { return &List[T]{limit: max(limit, 0)} }

// Limit is the most items kept (0: no limit).
func (l *List[T]) Limit() int { return l.limit }

// Len is how many items are kept.
func (l *List[T]) Len() int { return len(l.items) - l.start }

// Dropped is how many items were dropped to keep within the limit, or by
// DropOldest, since the List was made or Reset.
func (l *List[T]) Dropped() int { return l.dropped }

// Add keeps v as the newest item. When that goes over the limit, the oldest
// item is dropped and returned, with true.
func (l *List[T]) Add(v T) (dropped T, ok bool) {
	l.items = append(l.items, v)
	if l.limit > 0 && l.Len() > l.limit {
		return l.DropOldest()
	}
	return dropped, false
}

// DropOldest drops the oldest item and returns it; false when empty.
func (l *List[T]) DropOldest() (T, bool) {
	var zero T
	if l.Len() == 0 {
		return zero, false
	}
	v := l.items[l.start]
	l.items[l.start] = zero // let it go
	l.start++
	l.dropped++
	if l.start >= 64 && l.start >= l.Len() {
		l.items = append([]T(nil), l.items[l.start:]...)
		l.start = 0
	}
	return v, true
}

// Items is the kept items, oldest first: a view into the List, valid until
// it next changes. Callers that keep it clone it.
func (l *List[T]) Items() []T { return l.items[l.start:] }

// Oldest is the oldest item kept; false when empty.
func (l *List[T]) Oldest() (T, bool) {
	var zero T
	if l.Len() == 0 {
		return zero, false
	}
	return l.items[l.start], true
}

// Reset drops every item and forgets the count of dropped ones.
func (l *List[T]) Reset() {
	l.items, l.start, l.dropped = nil, 0, 0
}

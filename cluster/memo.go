package cluster

import "sync"

// memo is a small concurrency-safe memo of pure computations: a key computed once at a time
// (later callers wait for the first), errors memoised like results (same input, same error), the
// oldest of more than max keys forgotten.
type memo[T any] struct {
	mu   sync.Mutex
	max  int
	keys []string // oldest first
	m    map[string]*memoEntry[T]
}

type memoEntry[T any] struct {
	done chan struct{}
	val  T
	err  error
}

func newMemo[T any](capacity int) memo[T] {
	return memo[T]{max: capacity, m: make(map[string]*memoEntry[T], capacity)}
}

// get returns fn's result for key, calling fn only when key is not memoised; hit says whether
// the result was memoised (or being computed by another caller).
func (m *memo[T]) get(key string, fn func() (T, error)) (val T, hit bool, err error) {
	m.mu.Lock()

	if e, ok := m.m[key]; ok {
		m.mu.Unlock()
		<-e.done

		return e.val, true, e.err
	}

	e := &memoEntry[T]{done: make(chan struct{})}
	m.m[key] = e
	m.keys = append(m.keys, key)

	if len(m.keys) > m.max {
		delete(m.m, m.keys[0])
		m.keys = m.keys[1:]
	}

	m.mu.Unlock()

	defer close(e.done)

	e.val, e.err = fn()

	return e.val, false, e.err
}

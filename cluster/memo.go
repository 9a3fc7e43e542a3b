package cluster

import (
	"context"
	"slices"
	"sync"
)

// memo is a small concurrency-safe memo of pure computations: a key computed once at a time
// (later callers wait for the first), errors memoised like results (same input, same error)
// except the end of the computing caller's context, the oldest of more than max keys forgotten.
type memo[T any] struct {
	mu   sync.Mutex
	max  int
	keys []string // oldest first
	m    map[string]*memoEntry[T]
}

type memoEntry[T any] struct {
	done    chan struct{}
	val     T
	err     error
	stopped bool // err came while the computing caller's context had ended: not kept
}

func newMemo[T any](capacity int) memo[T] {
	return memo[T]{max: capacity, m: make(map[string]*memoEntry[T], capacity)}
}

// get returns fn's result for key, calling fn only when key is not memoised (or being computed
// by another caller). ctx is the context fn runs under: an error returned once it has ended
// (cancelled, past its deadline, or stopped with the caller's own cause, whatever step
// noticed it) is this caller's, not a result of the input, so it is not kept, and a caller
// waiting for it computes the key again.
func (m *memo[T]) get(ctx context.Context, key string, fn func() (T, error)) (T, error) {
	m.mu.Lock()

	for {
		e, ok := m.m[key]
		if !ok {
			break
		}

		m.mu.Unlock()
		<-e.done

		if !e.stopped {
			return e.val, e.err
		}

		// The computing caller's context ended: not a result of the input; compute again.
		m.mu.Lock()
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
	e.stopped = e.err != nil && ctx.Err() != nil

	if e.stopped {
		m.mu.Lock()
		if m.m[key] == e {
			delete(m.m, key)
			m.keys = slices.DeleteFunc(m.keys, func(k string) bool { return k == key })
		}
		m.mu.Unlock()
	}

	return e.val, e.err
}

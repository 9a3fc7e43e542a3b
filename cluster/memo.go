package cluster

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/talospatch/talospatch/manifests"
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
	done chan struct{}
	val  T
	err  error
}

func newMemo[T any](capacity int) memo[T] {
	return memo[T]{max: capacity, m: make(map[string]*memoEntry[T], capacity)}
}

// get returns fn's result for key, calling fn only when key is not memoised (or being computed
// by another caller).
func (m *memo[T]) get(key string, fn func() (T, error)) (T, error) {
	m.mu.Lock()

	for {
		e, ok := m.m[key]
		if !ok {
			break
		}

		m.mu.Unlock()
		<-e.done

		if !stopped(e.err) {
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

	if stopped(e.err) {
		m.mu.Lock()
		if m.m[key] == e {
			delete(m.m, key)
			m.keys = slices.DeleteFunc(m.keys, func(k string) bool { return k == key })
		}
		m.mu.Unlock()
	}

	return e.val, e.err
}

// stopped reports whether err is the end of a context rather than a result: context.Canceled,
// context.DeadlineExceeded, or a render stopped with the caller's own cause.
func stopped(err error) bool {
	var re *manifests.RenderError

	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &re) && re.Kind == manifests.KindStopped
}

package helmengine

import (
	"errors"
	"fmt"
	"reflect"

	"text/template"
)

// ErrCyclicValue is wrapped by the error of a render whose templates put a dict inside itself
// (`set $d "self" $d`, or a merge whose source holds its destination). Printing or encoding
// such a value never ends: Helm's engine dies of a stack overflow, which no recover catches.
// The render refuses it where it is made, naming the template.
var ErrCyclicValue = errors.New("cyclic value")

// cyclicError is the error of a template function that would make a cyclic value. It is not
// wrapped in ErrGaveUp: handing the chart to Helm's engine for its own message would crash
// the process.
type cyclicError struct {
	function string
}

func (e *cyclicError) Error() string {
	return fmt.Sprintf("%v: %s would put a dict inside itself; a template that prints or encodes it never ends (build a new dict instead, or deepCopy the value first)", ErrCyclicValue, e.function)
}

func (e *cyclicError) Unwrap() error { return ErrCyclicValue }

// guardCycles replaces, in f, the template functions that can put a dict inside itself (set,
// merge, mergeOverwrite and their must forms) by ones that refuse to.
func guardCycles(f template.FuncMap) {
	if set, ok := f["set"].(func(map[string]any, string, any) map[string]any); ok {
		f["set"] = func(d map[string]any, key string, value any) (map[string]any, error) {
			if reaches(value, d) {
				return nil, &cyclicError{function: "set"}
			}

			return set(d, key, value), nil
		}
	}

	for _, name := range []string{"merge", "mergeOverwrite"} {
		if merge, ok := f[name].(func(map[string]any, ...map[string]any) any); ok {
			f[name] = func(dst map[string]any, srcs ...map[string]any) (any, error) {
				if sourcesReach(srcs, dst) {
					return nil, &cyclicError{function: name}
				}

				return merge(dst, srcs...), nil
			}
		}
	}

	for _, name := range []string{"mustMerge", "mustMergeOverwrite"} {
		if merge, ok := f[name].(func(map[string]any, ...map[string]any) (any, error)); ok {
			f[name] = func(dst map[string]any, srcs ...map[string]any) (any, error) {
				if sourcesReach(srcs, dst) {
					return nil, &cyclicError{function: name}
				}

				return merge(dst, srcs...)
			}
		}
	}
}

func sourcesReach(srcs []map[string]any, dst map[string]any) bool {
	for _, src := range srcs {
		if reaches(src, dst) {
			return true
		}
	}

	return false
}

// reaches reports whether target is v or is held, at any depth, by the maps and slices of v.
func reaches(v any, target map[string]any) bool {
	if target == nil {
		return false
	}

	want := reflect.ValueOf(target).UnsafePointer()
	seen := map[uintptr]bool{}

	var walk func(v reflect.Value) bool
	walk = func(v reflect.Value) bool {
		for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return false
			}

			v = v.Elem()
		}

		switch v.Kind() {
		case reflect.Map:
			if v.IsNil() {
				return false
			}

			p := v.UnsafePointer()
			if p == want {
				return true
			}

			if seen[uintptr(p)] {
				return false
			}

			seen[uintptr(p)] = true

			for it := v.MapRange(); it.Next(); {
				if walk(it.Value()) {
					return true
				}
			}
		case reflect.Slice, reflect.Array:
			if v.Kind() == reflect.Slice {
				if v.IsNil() || v.Len() == 0 {
					return false
				}

				key := uintptr(v.UnsafePointer()) ^ uintptr(v.Len())<<1
				if seen[key] {
					return false
				}

				seen[key] = true
			}

			for i := range v.Len() {
				if walk(v.Index(i)) {
					return true
				}
			}
		}

		return false
	}

	return walk(reflect.ValueOf(v))
}

package helmengine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"text/template"

	"helm.sh/helm/v4/pkg/chart/common"
)

// Limits bound what one render may do, so that a hostile chart ends with an error instead of
// taking the process down (Go's out-of-memory and stack-overflow deaths cannot be recovered).
// A zero field takes its default (the values of defaultLimits).
type Limits struct {
	// Nesting is how many include and tpl calls may be active at once, all names together
	// (Helm's own bound is 1000 per template name, which two names calling each other, or tpl
	// calling itself through a value, escape).
	Nesting int
	// Calls is how many include and tpl calls one render may make.
	Calls int64
	// Output is how many bytes one render may produce: what the templates write plus what
	// every include and tpl returns. One value a template prints, encodes, quotes, joins or
	// builds a list or dict of is refused beyond it too (boundSizes, printGuard).
	Output int64
	// TemplateOutput is how many bytes one template file may write.
	TemplateOutput int64
	// Range bounds the functions that make something of a size they are given: the lists of
	// until and untilStep, the numbers of seq, the count of repeat and of the rand* strings,
	// and the width of indent and nindent.
	Range int
}

// defaultLimits are far above what real charts do: the shipped Cilium charts (1.11 to 1.20,
// Hubble relay and UI on) make at most 166 include and tpl calls, nested at most 2 deep, and
// produce at most 92 KB counting include results. Nesting stays above Helm's 1000 per template
// name, so a template that includes itself fails as in Helm.
var defaultLimits = Limits{
	Nesting:        2_000,
	Calls:          1_000_000,
	Output:         256 << 20,
	TemplateOutput: 64 << 20,
	Range:          1 << 20,
}

// Defaults returns l with its zero fields set to the defaults.
func (l Limits) Defaults() Limits {
	d := defaultLimits
	if l.Nesting > 0 {
		d.Nesting = l.Nesting
	}

	if l.Calls > 0 {
		d.Calls = l.Calls
	}

	if l.Output > 0 {
		d.Output = l.Output
	}

	if l.TemplateOutput > 0 {
		d.TemplateOutput = l.TemplateOutput
	}

	if l.Range > 0 {
		d.Range = l.Range
	}

	return d
}

// ErrLimit is wrapped by the error of a render that went over one of its Limits.
var ErrLimit = errors.New("render limit exceeded")

// LimitError is a render that went over one of its limits. It is final: the render does not
// start over with Helm's engine, which has no limits and would die on the same chart.
type LimitError struct {
	// Limit is the field of Limits, for example "Output".
	Limit string
	// Max is the limit's value.
	Max int64
	// Template is the template file that was executing.
	Template string
	// Function is the template function that went over (include, tpl, until, ...); empty
	// when writing the output did.
	Function string
}

func (e *LimitError) Error() string {
	what := "its output"
	if e.Function != "" {
		what = e.Function
	}

	return fmt.Sprintf("%v: template %s: %s goes over the limit %s (%d); raise RenderLimits.%s if the chart really needs more",
		ErrLimit, e.Template, what, e.Limit, e.Max, e.Limit)
}

func (e *LimitError) Unwrap() error { return ErrLimit }

// StoppedError is a render whose context ended while Template was executing. It wraps the
// context's cause (context.Canceled, context.DeadlineExceeded or what the caller gave).
type StoppedError struct {
	Template string
	Err      error
}

func (e *StoppedError) Error() string { return fmt.Sprintf("template %s: %v", e.Template, e.Err) }

func (e *StoppedError) Unwrap() error { return e.Err }

// budget is what one execution of a chart's templates has used of its Limits, and its
// context. Execution is sequential, so it needs no lock.
type budget struct {
	ctx      context.Context
	done     <-chan struct{}
	lim      Limits
	calls    int64
	nesting  int
	out      int64
	template string // the file executing
	final    error  // the first limit or end of the context met; returned as is from then on
}

func newBudget(ctx context.Context, lim Limits) *budget {
	return &budget{ctx: ctx, done: ctx.Done(), lim: lim.Defaults()}
}

// stopped returns the context's error once it is done.
func (b *budget) stopped() error {
	if b.final != nil {
		return b.final
	}

	select {
	case <-b.done:
		b.final = &StoppedError{Template: b.template, Err: context.Cause(b.ctx)}

		return b.final
	default:
		return nil
	}
}

func (b *budget) over(limit string, max int64, function string) error {
	b.final = &LimitError{Limit: limit, Max: max, Template: b.template, Function: function}

	return b.final
}

// cause is what an include or tpl returns for the error of the template it executed: the
// limit, the end of the context or the cyclic value itself when one ended it, so that the
// error stays one line however deep the calls were nested (text/template wraps it once more
// at each level otherwise); else err.
func (b *budget) cause(err error) error {
	var ce *cyclicError

	switch {
	case err == nil:
		return nil
	case b.final != nil:
		return b.final
	case errors.As(err, &ce):
		return ce
	default:
		return err
	}
}

// enter accounts for an include or tpl call; leave must follow.
func (b *budget) enter(function string) error {
	if err := b.stopped(); err != nil {
		return err
	}

	if b.calls++; b.calls > b.lim.Calls {
		return b.over("Calls", b.lim.Calls, function)
	}

	if b.nesting++; b.nesting > b.lim.Nesting {
		b.nesting--

		return b.over("Nesting", int64(b.lim.Nesting), function)
	}

	return nil
}

func (b *budget) leave() { b.nesting-- }

// writer is where a template or an include writes: it counts the bytes against the render's
// Output (and a file's against TemplateOutput) and stops when the context ends.
type writer struct {
	sb       strings.Builder
	b        *budget
	n        int64
	perFile  bool // a template file's own output, bounded by TemplateOutput
	function string
}

func (w *writer) Write(p []byte) (int, error) {
	if err := w.b.stopped(); err != nil {
		return 0, err
	}

	size := int64(len(p))
	if w.perFile {
		if w.n += size; w.n > w.b.lim.TemplateOutput {
			return 0, w.b.over("TemplateOutput", w.b.lim.TemplateOutput, w.function)
		}
	}

	if w.b.out += size; w.b.out > w.b.lim.Output {
		return 0, w.b.over("Output", w.b.lim.Output, w.function)
	}

	return w.sb.Write(p)
}

// boundSizes replaces, in f, the functions that make something of a size they are given by
// ones that refuse sizes over the Range limit, and those that join, encode or build values of
// their arguments by ones that refuse arguments over the Output limit (guardSize).
func boundSizes(f template.FuncMap, b *budget) {
	check := func(name string, n int) error {
		if n > b.lim.Range || n < -b.lim.Range {
			return b.over("Range", int64(b.lim.Range), fmt.Sprintf("%s %d", name, n))
		}

		return nil
	}

	if until, ok := f["until"].(func(int) []int); ok {
		f["until"] = func(n int) ([]int, error) {
			if err := check("until", n); err != nil {
				return nil, err
			}

			return until(n), nil
		}
	}

	if untilStep, ok := f["untilStep"].(func(int, int, int) []int); ok {
		f["untilStep"] = func(start, stop, step int) ([]int, error) {
			if step != 0 {
				if err := check("untilStep", (stop-start)/step); err != nil {
					return nil, err
				}
			}

			return untilStep(start, stop, step), nil
		}
	}

	if seq, ok := f["seq"].(func(...int) string); ok {
		f["seq"] = func(params ...int) (string, error) {
			n := 0

			switch len(params) {
			case 1:
				n = params[0]
			case 2:
				n = params[1] - params[0]
			case 3:
				if params[1] != 0 {
					n = (params[2] - params[0]) / params[1]
				}
			}

			if err := check("seq", n); err != nil {
				return "", err
			}

			return seq(params...), nil
		}
	}

	if repeat, ok := f["repeat"].(func(int, string) string); ok {
		f["repeat"] = func(count int, s string) (string, error) {
			if err := check("repeat", count); err != nil {
				return "", err
			}

			if int64(count)*int64(len(s)) > b.lim.Output {
				return "", b.over("Output", b.lim.Output, "repeat")
			}

			return repeat(count, s), nil
		}
	}

	for _, name := range []string{"randAlpha", "randAlphaNum", "randNumeric", "randAscii"} {
		if rnd, ok := f[name].(func(int) string); ok {
			f[name] = func(count int) (string, error) {
				if err := check(name, count); err != nil {
					return "", err
				}

				return rnd(count), nil
			}
		}
	}

	// The functions that join their arguments: a template that doubles a string with them
	// ($s = print $s $s) stops before the result passes Output, and so does one that prints a
	// large dict or list with them (fmt formats a whole value before anything checks it).
	joined := func(name string, n int64, args []any) error {
		for _, a := range args {
			if n = sizeOf(a, n, b.lim.Output); n > b.lim.Output {
				return b.over("Output", b.lim.Output, name)
			}
		}

		return nil
	}

	for _, name := range []string{"print", "println", "cat"} {
		join := fmt.Sprint
		switch name {
		case "println":
			join = fmt.Sprintln
		case "cat":
			cat, ok := f["cat"].(func(...any) string)
			if !ok {
				continue
			}

			join = cat
		}

		f[name] = func(args ...any) (string, error) {
			if err := joined(name, 0, args); err != nil {
				return "", err
			}

			return join(args...), nil
		}
	}

	f["printf"] = func(format string, args ...any) (string, error) {
		if err := joined("printf", int64(len(format)), args); err != nil {
			return "", err
		}

		return fmt.Sprintf(format, args...), nil
	}

	// The functions that encode or quote a whole value: their result is about the size of
	// their input, so an input over Output (a value that doubles through toJson, say) is
	// refused before it is encoded. The walk stops as soon as the size passes the limit. (The
	// hash functions are not here: their results have a fixed size.)
	for _, name := range []string{
		"toJson", "toPrettyJson", "toRawJson", "mustToJson", "mustToPrettyJson", "mustToRawJson",
		"toYaml", "toYamlPretty", "mustToYaml", "toToml", "mustToToml", "toString", "toStrings",
		"quote", "squote", "join", "b64enc", "b32enc",
		// and those that build a value of their arguments: a list appended to itself doubles
		// without copying, and printing it would write every copy. push is append's other
		// name; set puts a value into a dict (two sets of one dict into a new one double it).
		"list", "tuple", "dict", "append", "mustAppend", "push", "mustPush", "prepend", "mustPrepend",
		"concat", "deepCopy", "mustDeepCopy", "merge", "mustMerge", "mergeOverwrite", "mustMergeOverwrite",
		"set",
	} {
		fn, ok := f[name]
		if !ok {
			continue
		}

		f[name] = guardSize(name, fn, b)
	}

	for _, name := range []string{"indent", "nindent"} {
		if ind, ok := f[name].(func(int, string) string); ok {
			f[name] = func(spaces int, v string) (string, error) {
				if err := check(name, spaces); err != nil {
					return "", err
				}

				if spaces > 0 && int64(spaces)*int64(strings.Count(v, "\n")+1) > b.lim.Output {
					return "", b.over("Output", b.lim.Output, name)
				}

				return ind(spaces, v), nil
			}
		}
	}
}

// Final reports whether err ends a render without a second try with Helm's engine: a cyclic
// value (Helm's engine would die on it), a limit (it has none and would die or hang) or the
// end of the render's context.
func Final(err error) bool {
	var stopped *StoppedError

	return errors.Is(err, ErrCyclicValue) || errors.Is(err, ErrLimit) || errors.As(err, &stopped) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// guardSize wraps a template function so that a call whose arguments are larger than the
// render's Output limit fails with a *LimitError instead of running.
func guardSize(name string, fn any, b *budget) any {
	// over reports whether args, counted as printing them would write them, pass Output.
	over := func(args []any) error {
		var size int64
		for _, a := range args {
			if size = sizeOf(a, size, b.lim.Output); size > b.lim.Output {
				return b.over("Output", b.lim.Output, name)
			}
		}

		return nil
	}

	// The common signatures without reflection: these functions are called thousands of
	// times in a render. Each is checked on its arguments before it runs, so that neither an
	// encoding nor a value built of shared parts is ever made past the limit; the walk of an
	// argument stops as soon as it passes the limit, and a string costs nothing to size.
	switch fn := fn.(type) {
	case func(any) string: // toYaml, toJson, toString, ...
		return func(v any) (string, error) {
			if err := over([]any{v}); err != nil {
				return "", err
			}

			return fn(v), nil
		}
	case func(string) string: // b64enc, b32enc: a third larger than the input
		return func(v string) (string, error) {
			if int64(len(v))*2 > b.lim.Output {
				return "", b.over("Output", b.lim.Output, name)
			}

			return fn(v), nil
		}
	case func(...any) string: // quote, squote
		return func(vs ...any) (string, error) {
			if err := over(vs); err != nil {
				return "", err
			}

			return fn(vs...), nil
		}
	case func(...any) []any: // list, tuple
		return func(vs ...any) ([]any, error) {
			if err := over(vs); err != nil {
				return nil, err
			}

			return fn(vs...), nil
		}
	case func(...any) map[string]any: // dict
		return func(vs ...any) (map[string]any, error) {
			if err := over(vs); err != nil {
				return nil, err
			}

			return fn(vs...), nil
		}
	case func(any, any) []any: // append, push, prepend
		return func(l, v any) ([]any, error) {
			if err := over([]any{l, v}); err != nil {
				return nil, err
			}

			return fn(l, v), nil
		}
	case func(string, any) string: // join: the elements and a separator between each two
		return func(sep string, v any) (string, error) {
			size := sizeOf(v, 0, b.lim.Output)
			if rv := reflect.ValueOf(v); sep != "" && (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) {
				size += int64(len(sep)) * int64(rv.Len())
			}

			if size > b.lim.Output {
				return "", b.over("Output", b.lim.Output, name)
			}

			return fn(sep, v), nil
		}
	case func(map[string]any, string, any) (map[string]any, error): // set (cycles refused)
		// Only the value put in is sized: the dict itself may be the chart's whole scope.
		return func(d map[string]any, key string, v any) (map[string]any, error) {
			if err := over([]any{v}); err != nil {
				return nil, err
			}

			return fn(d, key, v)
		}
	}

	v := reflect.ValueOf(fn)
	t := v.Type()

	if t.NumOut() == 0 || t.NumOut() > 2 || t.NumOut() == 2 && t.Out(1) != reflect.TypeFor[error]() {
		return fn
	}

	return reflect.MakeFunc(t, func(args []reflect.Value) []reflect.Value {
		var size int64
		for _, a := range args {
			size = valueSize(a, size, b.lim.Output)
		}

		if size > b.lim.Output {
			err := b.over("Output", b.lim.Output, name)
			if t.NumOut() == 2 {
				return []reflect.Value{reflect.Zero(t.Out(0)), reflect.ValueOf(&err).Elem()}
			}

			panic(err) // text/template reports a panicking function as its error
		}

		if t.IsVariadic() {
			return v.CallSlice(args)
		}

		return v.Call(args)
	}).Interface()
}

// sizeOf is valueSize for the types templates handle most, without reflection.
// mapSize is sizeOf of a map of values.
func mapSize(m map[string]any, size, max int64) int64 {
	for k, e := range m {
		if size = sizeOf(e, size+1+int64(len(k)), max); size > max {
			return size
		}
	}

	return size
}

func sizeOf(v any, size, max int64) int64 {
	if size > max {
		return size
	}

	switch v := v.(type) {
	case nil:
		return size + 4
	case string:
		return size + int64(len(v))
	case bool, int, int64, float64:
		return size + 8
	case []any:
		for _, e := range v {
			if size = sizeOf(e, size+1, max); size > max {
				return size
			}
		}

		return size
	case map[string]any:
		return mapSize(v, size, max)
	case common.Values: // .Values and every table of it
		return mapSize(v, size, max)
	case chartFiles: // .Files
		for k, e := range v {
			if size += 1 + int64(len(k)) + int64(len(e)); size > max {
				return size
			}
		}

		return size
	default:
		return valueSize(reflect.ValueOf(v), size, max)
	}
}

// valueSize adds to size the bytes of the strings and the elements of the value v (a value a
// template made: strings, numbers, maps, slices), stopping as soon as it passes max. Shared
// parts count each time they are reached, as printing or encoding them would write them.
func valueSize(v reflect.Value, size, max int64) int64 {
	for v.IsValid() && (v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer) {
		if v.IsNil() {
			return size + 4
		}

		v = v.Elem()
	}

	if !v.IsValid() || size > max {
		return size
	}

	switch v.Kind() {
	case reflect.String:
		return size + int64(v.Len())
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return size + int64(v.Len())
		}

		for i := range v.Len() {
			if size = valueSize(v.Index(i), size+1, max); size > max {
				return size
			}
		}

		return size
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			size = valueSize(iter.Key(), size+1, max)
			if size = valueSize(iter.Value(), size, max); size > max {
				return size
			}
		}

		return size
	default:
		return size + 8
	}
}

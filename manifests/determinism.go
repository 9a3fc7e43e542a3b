package manifests

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"

	"helm.sh/helm/v4/pkg/engine"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
)

// randomFuncs are the template functions whose result depends on randomness, with what it is
// drawn for.
//
// The key-making functions (genPrivateKey, genCA, genSelfSignedCert, genSignedCert and their
// WithKey variants) are not here: their results are key material, which the check of the
// output catches precisely (and which RenderOptions.Previous or the values may replace, as
// with Cilium's Hubble certificates on a re-render). derivePassword is deterministic.
var randomFuncs = map[string]string{
	"randAlphaNum": "randomness",
	"randAlpha":    "randomness",
	"randNumeric":  "randomness",
	"randAscii":    "randomness",
	"randInt":      "randomness",
	"randBytes":    "randomness",
	"uuidv4":       "randomness",
	"shuffle":      "randomness",
	"encryptAES":   "randomness (a random IV)",
	"bcrypt":       "randomness (a random salt)",
	"htpasswd":     "randomness (a random salt)",
}

// keyFuncs are the template functions that make keys and certificates. They are judged by
// the output (checkDeterministic); a second execution replays their results so that its
// differences come from the functions of randomFuncs and the clock alone.
var keyFuncs = map[string]bool{
	"genPrivateKey": true, "genCA": true, "genCAWithKey": true, "genSelfSignedCert": true,
	"genSelfSignedCertWithKey": true, "genSignedCert": true, "genSignedCertWithKey": true,
}

// clockArgFuncs are functions that read the clock for some arguments: the date functions
// format the current time when the date is not a time or a Unix time (sprig's formatDate),
// durationRound and ago measure the time since a time. The value is the index of that
// argument. now always reads the clock.
var clockArgFuncs = map[string]int{
	"date": 1, "dateInZone": 1, "date_in_zone": 1, "htmlDate": 0, "htmlDateInZone": 0, "durationRound": 0, "ago": 0,
}

// clockShift is how far the clock of the second execution of a deterministic render is from
// the first: more than a year, and a day, hour, minute, second and nanosecond apart.
const clockShift = 397*24*time.Hour + 13*time.Hour + 17*time.Minute + 29*time.Second + 123456789

// maxRedraws bounds how often the second execution draws a random value again to get one that
// differs from the first execution's (a function that gives the same value that often, such
// as randInt 1 2, is deterministic).
const maxRedraws = 64

// NondeterministicCall is a call of a template function whose result depends on randomness
// or on the clock, made during a deterministic render.
type NondeterministicCall struct {
	// Template is the template file being rendered ("cilium/templates/x.yaml").
	Template string `json:"template" yaml:"template"`
	// Via is the named template (define) the call was made in, through include; empty when
	// the call is in the file itself.
	Via string `json:"via,omitempty" yaml:"via,omitempty"`
	// Function is the function's name.
	Function string `json:"function" yaml:"function"`
	// Source is what the result depends on: "randomness" or "the clock".
	Source string `json:"source" yaml:"source"`
}

// String returns "function in template (via define)".
func (c NondeterministicCall) String() string {
	s := c.Function + " in " + c.Template
	if c.Via != "" {
		s += " (via " + c.Via + ")"
	}

	return s
}

// callRecorder records the calls of functions that depend on randomness or the clock during
// an execution of the templates, with the template file being executed, and the results.
//
// A deterministic render that made such calls executes the templates a second time with a
// second recorder (see second), in which the clock is clockShift later and random functions
// draw until they give another result than in the first execution, while the key functions
// replay theirs: the template files whose output differs are those whose output depends on
// the calls (reachingCalls). Cilium's charts call now to validate durations, which does not
// reach the output.
type callRecorder struct {
	mu                 sync.Mutex
	first              *callRecorder // the first execution's recorder, for the second
	shiftClock, redraw bool
	current            string   // the template file being executed
	includes           []string // the stack of included templates
	calls              []NondeterministicCall
	seen               map[NondeterministicCall]bool
	results            map[string][]any // by function, in call order
	replays            map[string][][]reflect.Value
}

func newCallRecorder() *callRecorder {
	return &callRecorder{
		seen: map[NondeterministicCall]bool{}, results: map[string][]any{}, replays: map[string][][]reflect.Value{},
	}
}

// second returns the recorder of a second execution that moves the clock when clock is set
// and draws other random values when random is set; otherwise it gives the first execution's
// time and random values.
func (r *callRecorder) second(clock, random bool) *callRecorder {
	s := newCallRecorder()
	s.first, s.shiftClock, s.redraw = r, clock, random

	return s
}

func (r *callRecorder) start(file string) {
	r.mu.Lock()
	defer r.mu.Unlock()

	r.current, r.includes = file, r.includes[:0]
}

// clock returns the time of a call that reads the clock: the first execution's time for the
// same call, if any, else the real time; shifted in a second execution that moves the clock.
func (r *callRecorder) clock(first any, hasFirst bool) time.Time {
	t, ok := first.(time.Time)
	if !hasFirst || !ok {
		t = time.Now()
	}

	if r.shiftClock {
		t = t.Add(clockShift)
	}

	return t
}

// record notes a call and calls result with the result of the same call (the same function,
// the same count) in the first execution, if any; it keeps what result returns.
func (r *callRecorder) record(function, source string, result func(first any, hasFirst bool) any) {
	r.mu.Lock()
	c := NondeterministicCall{Template: r.current, Function: function, Source: source}
	if n := len(r.includes); n > 0 {
		c.Via = r.includes[n-1]
	}

	if !r.seen[c] {
		r.seen[c] = true
		r.calls = append(r.calls, c)
	}

	index := len(r.results[function])
	r.results[function] = append(r.results[function], nil)
	r.mu.Unlock()

	var (
		first    any
		hasFirst bool
	)

	if r.first != nil {
		r.first.mu.Lock()
		if rs := r.first.results[function]; index < len(rs) {
			first, hasFirst = rs[index], true
		}
		r.first.mu.Unlock()
	}

	v := result(first, hasFirst)

	r.mu.Lock()
	r.results[function][index] = v
	r.mu.Unlock()
}

func (r *callRecorder) push(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()

	r.includes = append(r.includes, name)
}

func (r *callRecorder) pop() {
	r.mu.Lock()
	defer r.mu.Unlock()

	if n := len(r.includes); n > 0 {
		r.includes = r.includes[:n-1]
	}
}

// callsIn returns the recorded calls made while one of files was executed, sorted by template.
func (r *callRecorder) callsIn(files map[string]bool) []NondeterministicCall {
	r.mu.Lock()
	defer r.mu.Unlock()

	var out []NondeterministicCall

	for _, c := range r.calls {
		if files == nil || files[c.Template] {
			out = append(out, c)
		}
	}

	slices.SortStableFunc(out, func(a, b NondeterministicCall) int { return strings.Compare(a.Template, b.Template) })

	return out
}

// wrap replaces, in f, the functions that may depend on randomness or the clock by functions
// of the same type that record their call, and include by one that tracks the named template
// being included.
func (r *callRecorder) wrap(f template.FuncMap) {
	for name, fn := range f {
		if _, random := randomFuncs[name]; random {
			f[name] = r.wrapRandom(name, fn)
		} else if keyFuncs[name] {
			f[name] = r.wrapReplay(name, fn)
		} else if i, ok := clockArgFuncs[name]; ok {
			f[name] = r.wrapClockArg(name, fn, i)
		}
	}

	if _, ok := f["now"]; ok {
		f["now"] = func() time.Time {
			var now time.Time

			r.record("now", "the clock", func(first any, hasFirst bool) any {
				now = r.clock(first, hasFirst)

				return now
			})

			return now
		}
	}

	if include, ok := f["include"].(func(string, any) (string, error)); ok {
		f["include"] = func(name string, data any) (string, error) {
			r.push(name)
			defer r.pop()

			return include(name, data)
		}
	}
}

// wrapRandom wraps a random function: in a second execution it draws until its result differs
// from the first execution's.
func (r *callRecorder) wrapRandom(name string, fn any) any {
	v := reflect.ValueOf(fn)
	call := func(args []reflect.Value) []reflect.Value {
		if v.Type().IsVariadic() {
			return v.CallSlice(args)
		}

		return v.Call(args)
	}

	return reflect.MakeFunc(v.Type(), func(args []reflect.Value) []reflect.Value {
		var out []reflect.Value

		r.record(name, randomFuncs[name], func(first any, hasFirst bool) any {
			prev, _ := first.([]reflect.Value)
			if hasFirst && !r.redraw && prev != nil {
				out = prev

				return out
			}

			out = call(args)
			for range maxRedraws {
				if !hasFirst || !reflect.DeepEqual(interfaces(out), interfaces(prev)) {
					break
				}

				out = call(args)
			}

			return out
		})

		return out
	}).Interface()
}

// wrapReplay wraps a key function: a second execution gives the first execution's results.
// Its calls are kept apart from the calls that make a render nondeterministic.
func (r *callRecorder) wrapReplay(name string, fn any) any {
	v := reflect.ValueOf(fn)

	return reflect.MakeFunc(v.Type(), func(args []reflect.Value) []reflect.Value {
		r.mu.Lock()
		index := len(r.replays[name])
		r.replays[name] = append(r.replays[name], nil)
		r.mu.Unlock()

		var out []reflect.Value

		if r.first != nil {
			r.first.mu.Lock()
			if rs := r.first.replays[name]; index < len(rs) {
				out = rs[index]
			}
			r.first.mu.Unlock()
		}

		if out == nil {
			out = v.Call(args)
		}

		r.mu.Lock()
		r.replays[name][index] = out
		r.mu.Unlock()

		return out
	}).Interface()
}

// interfaces returns the values of a reflected call's results.
func interfaces(out []reflect.Value) []any {
	vs := make([]any, len(out))
	for i, o := range out {
		if o.CanInterface() {
			vs[i] = o.Interface()
		}
	}

	return vs
}

// wrapClockArg wraps a function that reads the clock for some values of its argument i: with
// such a value, the function is called with the recorder's clock instead (the same result in
// a first execution; shifted in a second).
func (r *callRecorder) wrapClockArg(name string, fn any, i int) any {
	v := reflect.ValueOf(fn)

	return reflect.MakeFunc(v.Type(), func(args []reflect.Value) []reflect.Value {
		if i >= len(args) || !readsClock(name, args[i]) {
			return v.Call(args)
		}

		var out []reflect.Value

		r.record(name, "the clock", func(first any, hasFirst bool) any {
			args := slices.Clone(args)
			now := r.clock(first, hasFirst)

			switch name {
			case "ago":
				t, _ := args[i].Interface().(time.Time)
				out = []reflect.Value{reflect.ValueOf(now.Sub(t).Round(time.Second).String())}

				return now
			case "durationRound":
				// durationRound of a time measures now - t; it takes that duration as an int64.
				t, _ := args[i].Interface().(time.Time)
				args[i] = reflect.ValueOf(any(int64(now.Sub(t))))
			default:
				args[i] = reflect.ValueOf(any(now))
			}

			out = v.Call(args)

			return now
		})

		return out
	}).Interface()
}

// readsClock reports whether the argument v of the function name makes it read the clock.
func readsClock(name string, v reflect.Value) bool {
	var arg any
	if v.IsValid() && v.CanInterface() {
		arg = v.Interface()
	}

	if name == "durationRound" || name == "ago" {
		_, isTime := arg.(time.Time)

		return isTime
	}

	switch arg.(type) {
	case time.Time, *time.Time, int, int32, int64:
		return false
	default:
		return true
	}
}

// changedFiles returns the template files whose output differs between two executions.
func changedFiles(a, b map[string]string) map[string]bool {
	changed := map[string]bool{}

	for name, out := range a {
		if other, ok := b[name]; !ok || other != out {
			changed[name] = true
		}
	}

	for name := range b {
		if _, ok := a[name]; !ok {
			changed[name] = true
		}
	}

	return changed
}

// NondeterministicCallsError is the error of a deterministic render whose templates call
// functions that depend on randomness or the clock. It wraps ErrNondeterministic.
type NondeterministicCallsError struct {
	// Calls are the calls, by template.
	Calls []NondeterministicCall
}

// Error implements error.
func (e *NondeterministicCallsError) Error() string {
	parts := make([]string, len(e.Calls))
	for i, c := range e.Calls {
		parts[i] = c.String()
	}

	return fmt.Sprintf("templates call functions that depend on randomness or the clock: %s; give the value "+
		"in the values instead (a fixed value, or for Cilium certificates CiliumOptions.CertificatesInCluster: "+
		"hubble.tls.auto.method=cronJob), turn off what needs it, or render without RenderOptions.Deterministic",
		strings.Join(parts, ", "))
}

// Is reports whether target is ErrNondeterministic.
func (e *NondeterministicCallsError) Is(target error) bool { return target == ErrNondeterministic }

// previousLookup is Helm's lookup function (helm.sh/helm/v4/pkg/engine, NewLookupFunction)
// served by p, for the parallel engine.
func previousLookup(p engine.ClientProvider) func(string, string, string, string) (map[string]any, error) {
	return func(apiVersion, kind, namespace, name string) (map[string]any, error) {
		c, namespaced, err := p.GetClientFor(apiVersion, kind)
		if err != nil {
			return map[string]any{}, err
		}

		var client dynamic.ResourceInterface = c
		if namespaced && namespace != "" {
			client = c.Namespace(namespace)
		}

		if name != "" {
			obj, err := client.Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) {
					return map[string]any{}, nil
				}

				return map[string]any{}, err
			}

			return obj.UnstructuredContent(), nil
		}

		list, err := client.List(context.Background(), metav1.ListOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) {
				return map[string]any{}, nil
			}

			return map[string]any{}, err
		}

		return list.UnstructuredContent(), nil
	}
}

// reachingCalls returns the calls recorded by rec during the execution that gave first
// (firstErr when it failed) whose results reach the output: execute runs the templates again,
// on fresh copies, with the recorder it is given, and the calls made in the template files
// whose output then differs are returned. When a call's result reaches the output of another
// file (through values a template sets), or the executions fail, every call is returned.
func reachingCalls(first map[string]string, firstErr error, rec *callRecorder,
	execute func(*callRecorder) (map[string]string, error),
) []NondeterministicCall {
	all := rec.callsIn(nil)
	if len(all) == 0 {
		return nil
	}

	if firstErr != nil {
		return all
	}

	second, err := execute(rec.second(true, true))
	if err != nil {
		return all
	}

	changed := changedFiles(first, second)
	if len(changed) == 0 {
		return nil
	}

	// The output depends on some calls: which, by moving the clock alone and drawing other
	// random values alone.
	var calls []NondeterministicCall

	for _, clock := range []bool{true, false} {
		one, err := execute(rec.second(clock, !clock))
		if err != nil {
			return all
		}

		files := changedFiles(first, one)
		for _, c := range rec.callsIn(files) {
			if (c.Source == "the clock") == clock {
				calls = append(calls, c)
			}
		}
	}

	if len(calls) == 0 {
		if calls = rec.callsIn(changed); len(calls) == 0 {
			calls = all // through values a template sets, in another file
		}
	}

	slices.SortStableFunc(calls, func(a, b NondeterministicCall) int { return strings.Compare(a.Template, b.Template) })

	return calls
}

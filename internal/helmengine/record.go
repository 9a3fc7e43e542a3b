package helmengine

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"
)

// randomFuncs are the template functions whose result depends on randomness, with what it is
// drawn for.
//
// The key-making functions (genPrivateKey, genCA, genSelfSignedCert, genSignedCert and their
// WithKey variants) are not here: their results are key material, which the check of the
// output catches precisely (and which previous objects or the values may replace, as with
// Cilium's Hubble certificates on a re-render). derivePassword is deterministic.
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
// the output (the render core's check of key material); a second execution replays their results so that its
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

// Call is a call of a template function whose result depends on randomness or on the clock.
// (The render core's NondeterministicCall has the same fields and converts from it.)
type Call struct {
	// Template is the template file being rendered ("cilium/templates/x.yaml").
	Template string
	// Via is the named template (define) the call was made in, through include; empty when
	// the call is in the file itself.
	Via string
	// Function is the function's name.
	Function string
	// Source is what the result depends on: "randomness" or "the clock".
	Source string
}

// Recorder records the calls of functions that depend on randomness or the clock during
// an execution of the templates, with the template file being executed, and the results.
//
// A deterministic render that made such calls executes the templates a second time with a
// second recorder (see Second), in which the clock is clockShift later and random functions
// draw until they give another result than in the first execution, while the key functions
// replay theirs: the template files whose output differs are those whose output depends on
// the calls. Cilium's charts call now to validate durations, which does not reach the output.
// A Recorder is safe for concurrent use.
type Recorder struct {
	mu                 sync.Mutex
	first              *Recorder // the first execution's recorder, for the second
	shiftClock, redraw bool
	current            string   // the template file being executed
	includes           []string // the stack of included templates
	calls              []Call
	seen               map[Call]bool
	results            map[string][]any // by function, in call order
	replays            map[string][][]reflect.Value
}

// NewRecorder returns the Recorder of a first execution.
func NewRecorder() *Recorder {
	return &Recorder{
		seen: map[Call]bool{}, results: map[string][]any{}, replays: map[string][][]reflect.Value{},
	}
}

// Second returns the recorder of a second execution that moves the clock when clock is set
// and draws other random values when random is set; otherwise it gives the first execution's
// time and random values. Key functions always replay the first execution's results.
func (r *Recorder) Second(clock, random bool) *Recorder {
	s := NewRecorder()
	s.first, s.shiftClock, s.redraw = r, clock, random

	return s
}

func (r *Recorder) start(file string) {
	r.mu.Lock()
	defer r.mu.Unlock()

	r.current, r.includes = file, r.includes[:0]
}

// clock returns the time of a call that reads the clock: the first execution's time for the
// same call, if any, else the real time; shifted in a second execution that moves the clock.
func (r *Recorder) clock(first any, hasFirst bool) time.Time {
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
func (r *Recorder) record(function, source string, result func(first any, hasFirst bool) any) {
	r.mu.Lock()
	c := Call{Template: r.current, Function: function, Source: source}
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

func (r *Recorder) push(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()

	r.includes = append(r.includes, name)
}

func (r *Recorder) pop() {
	r.mu.Lock()
	defer r.mu.Unlock()

	if n := len(r.includes); n > 0 {
		r.includes = r.includes[:n-1]
	}
}

// CallsIn returns the recorded calls made while one of files was executed (every call when
// files is nil), sorted by template.
func (r *Recorder) CallsIn(files map[string]bool) []Call {
	r.mu.Lock()
	defer r.mu.Unlock()

	var out []Call

	for _, c := range r.calls {
		if files == nil || files[c.Template] {
			out = append(out, c)
		}
	}

	slices.SortStableFunc(out, func(a, b Call) int { return strings.Compare(a.Template, b.Template) })

	return out
}

// wrap replaces, in f, the functions that may depend on randomness or the clock by functions
// of the same type that record their call (wrapInclude does include).
func (r *Recorder) wrap(f template.FuncMap) {
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
}

// wrapInclude replaces include in f by one that tracks the named template being included.
func (r *Recorder) wrapInclude(f template.FuncMap) {
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
func (r *Recorder) wrapRandom(name string, fn any) any {
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
func (r *Recorder) wrapReplay(name string, fn any) any {
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
func (r *Recorder) wrapClockArg(name string, fn any, i int) any {
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

package manifests

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/engine"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/talospatch/talospatch/internal/helmengine"
)

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
func reachingCalls(first map[string]string, firstErr error, rec *helmengine.Recorder,
	execute func(*helmengine.Recorder) (map[string]string, error),
) []NondeterministicCall {
	all := callsIn(rec, nil)
	if len(all) == 0 {
		return nil
	}

	if firstErr != nil {
		return all
	}

	second, err := execute(rec.Second(true, true))
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
		one, err := execute(rec.Second(clock, !clock))
		if err != nil {
			return all
		}

		files := changedFiles(first, one)
		for _, c := range callsIn(rec, files) {
			if (c.Source == "the clock") == clock {
				calls = append(calls, c)
			}
		}
	}

	if len(calls) == 0 {
		if calls = callsIn(rec, changed); len(calls) == 0 {
			calls = all // through values a template sets, in another file
		}
	}

	slices.SortStableFunc(calls, func(a, b NondeterministicCall) int { return strings.Compare(a.Template, b.Template) })

	return calls
}

// callsIn returns the calls rec recorded while one of files was executed (every call for nil
// files), sorted by template.
func callsIn(rec *helmengine.Recorder, files map[string]bool) []NondeterministicCall {
	recorded := rec.CallsIn(files)
	if len(recorded) == 0 {
		return nil
	}

	calls := make([]NondeterministicCall, len(recorded))
	for i, c := range recorded {
		calls[i] = NondeterministicCall(c)
	}

	return calls
}

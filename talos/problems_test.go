package talos_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/talos"
)

// layerErr is a Located error of another package: it points at an input and wraps a cause that
// is itself a FieldError (which is the cause, not a second problem).
type layerErr struct {
	index string
	err   error
}

func (e *layerErr) Error() string { return "patch " + e.index + ": " + e.err.Error() }
func (e *layerErr) Unwrap() error { return e.err }
func (e *layerErr) Location() (talos.Document, string) {
	return talos.Document{}, talos.Pointer("allNodes", e.index)
}

func TestProblems(t *testing.T) {
	t.Parallel()

	errSentinel := errors.New("invalid")
	endpoint := &talos.FieldError{Path: "/endpoint", Value: "10.5.0.2:6443", Err: errSentinel, Fix: `"https://10.5.0.2:6443"`}
	urls := &talos.FieldError{Path: "/cni/urls/0", Err: errSentinel}
	mtu := &talos.FieldError{Document: talos.Document{Kind: "KubeSpanConfig"}, Path: "/mtu", Err: errSentinel}
	plain := errors.New("secrets: no bundle")

	type where struct {
		doc  talos.Document
		path string
	}

	for _, tc := range []struct {
		name string
		err  error
		want []where
	}{
		{"nil", nil, nil},
		{"plain error is one problem without a path", fmt.Errorf("generate: %w", plain), []where{{}}},
		{"one field error", endpoint, []where{{path: "/endpoint"}}},
		{"wrapped join", fmt.Errorf("generate configs: %w", errors.Join(endpoint, urls, mtu)),
			[]where{{path: "/endpoint"}, {path: "/cni/urls/0"}, {talos.Document{Kind: "KubeSpanConfig"}, "/mtu"}}},
		{"join keeps problems without a location", errors.Join(plain, endpoint), []where{{}, {path: "/endpoint"}}},
		{"sentinel wrap is not a second problem", fmt.Errorf("%w: %w", errSentinel, endpoint), []where{{path: "/endpoint"}}},
		{"sentinel wrap of a join", fmt.Errorf("%w: %w", errSentinel, errors.Join(endpoint, urls)), []where{{path: "/endpoint"}, {path: "/cni/urls/0"}}},
		{"sentinel wrap with nothing located is one problem", fmt.Errorf("%w: %w", errSentinel, plain), []where{{}}},
		{"located error wrapping a field error is one problem", fmt.Errorf("node: %w", &layerErr{"1", endpoint}), []where{{path: "/allNodes/1"}}},
		{"join of located errors", errors.Join(&layerErr{"0", plain}, &layerErr{"2", plain}), []where{{path: "/allNodes/0"}, {path: "/allNodes/2"}}},
		{"talos.Join keeps problems without a location", talos.Join(plain, nil, endpoint), []where{{}, {path: "/endpoint"}}},
		{"wrapped talos.Join", fmt.Errorf("generate configs: %w", talos.Join(endpoint, mtu)), []where{{path: "/endpoint"}, {talos.Document{Kind: "KubeSpanConfig"}, "/mtu"}}},
		// errors.Join is recognised by its text, so one message that reads like a join is taken
		// as one (its unlocated error is listed, not lost); talos.Join is told by its type.
		{"one message that reads like a join", fmt.Errorf("%w\n%w", endpoint, plain), []where{{path: "/endpoint"}, {}}},
		{"one message that does not", fmt.Errorf("%w; %w", endpoint, plain), []where{{path: "/endpoint"}}},
		{"talos.Join with that text is a join", talos.Join(endpoint, plain), []where{{path: "/endpoint"}, {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			ps := talos.Problems(tc.err)
			require.Len(t, ps, len(tc.want))

			for i, p := range ps {
				require.Equal(t, tc.want[i].doc, p.Document, "problem %d", i)
				require.Equal(t, tc.want[i].path, p.Path, "problem %d", i)
				require.Error(t, p.Err)
				require.NotEmpty(t, p.String())
			}
		})
	}
}

func TestJoin(t *testing.T) {
	t.Parallel()

	require.NoError(t, talos.Join())
	require.NoError(t, talos.Join(nil, nil))

	a, b := errors.New("a"), &talos.FieldError{Path: "/b", Err: errors.New("bad")}
	one := talos.Join(nil, a)
	require.Equal(t, "a", one.Error())

	both := talos.Join(a, nil, b)
	require.Equal(t, errors.Join(a, b).Error(), both.Error(), "the text of errors.Join")
	require.ErrorIs(t, both, a)

	var fe *talos.FieldError
	require.ErrorAs(t, both, &fe)
	require.Same(t, b, fe)
	require.Equal(t, []error{a, b}, both.(interface{ Unwrap() []error }).Unwrap())
}

func TestProblemKeepsTheError(t *testing.T) {
	t.Parallel()

	errSentinel := errors.New("malformed endpoint")
	fe := &talos.FieldError{Path: "/endpoint", Value: "10.5.0.2", Err: errSentinel, Fix: `"https://10.5.0.2:6443"`}
	ps := talos.Problems(fmt.Errorf("generate: %w", errors.Join(fe, &talos.FieldError{Path: "/a~1b/0", Err: errSentinel})))

	require.Len(t, ps, 2)
	require.ErrorIs(t, ps[0].Err, errSentinel)

	var got *talos.FieldError
	require.ErrorAs(t, ps[0].Err, &got)
	require.Equal(t, `"https://10.5.0.2:6443"`, got.Fix)
	require.Equal(t, fe.Error(), ps[0].String())
	require.Equal(t, []string{"a/b", "0"}, ps[1].Segments())

	plain := talos.Problem{Path: "/name", Err: errSentinel}
	require.Equal(t, "/name: malformed endpoint", plain.String())
}

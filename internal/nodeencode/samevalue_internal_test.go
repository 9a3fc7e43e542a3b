package nodeencode

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/internal/machineryseam"
)

// namedString is a string type, compared without boxing by sameValue.
type namedString string

type cyclic struct {
	Name string
	Next *cyclic
}

// TestSameValueIsDeepEqual checks that sameValue agrees with reflect.DeepEqual.
func TestSameValueIsDeepEqual(t *testing.T) {
	t.Parallel()

	ring1 := &cyclic{Name: "a"}
	ring1.Next = ring1
	ring2 := &cyclic{Name: "a"}
	ring2.Next = ring2
	ring3 := &cyclic{Name: "b"}
	ring3.Next = ring3

	shared := []string{"x"}
	sharedMap := map[string]string{"k": "v"}

	values := []any{
		nil, 0, 1, int64(1), uint8(1), 1.5, "", "a", true, false, complex(1, 2),
		[]string(nil), []string{}, []string{"a"}, []string{"a", "b"}, shared, shared[:0],
		map[string]string(nil), map[string]string{}, map[string]string{"k": "v"}, map[string]string{"k": "w"}, sharedMap,
		map[string]any{"a": []any{1, "x"}}, map[string]any{"a": []any{1, "y"}},
		[2]int{1, 2}, [2]int{1, 3},
		&struct{ A *int }{}, &struct{ A *int }{A: new(1)}, &struct{ A *int }{A: new(2)},
		struct{ A any }{A: 1}, struct{ A any }{A: "1"}, struct{ A any }{},
		func() {}, (func())(nil),
		ring1, ring2, ring3,
		&v1alpha1.Config{}, &v1alpha1.Config{ConfigVersion: "v1alpha1"},
		namedString("a"), namedString("b"), int8(-1), int32(7), uint(0), uint64(1 << 40), uintptr(3),
		[]namedString{"a"}, struct{ S namedString }{"a"}, struct{ S namedString }{"b"},
	}

	for _, contract := range []string{"v1.14", "v1.13", "v1.11"} {
		cp, w := internalTestRoles(t, contract)
		for _, c := range []coreconfig.Provider{cp, w, w.Clone()} {
			for _, d := range c.Documents() {
				values = append(values, d)
			}

			values = append(values, c.RawV1Alpha1().MachineConfig, c.RawV1Alpha1().ClusterConfig)
		}
	}

	for i, a := range values {
		for j, b := range values {
			va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
			if !va.IsValid() || !vb.IsValid() || va.Type() != vb.Type() {
				continue
			}

			require.Equal(t, reflect.DeepEqual(a, b), sameValue(va, vb), "values %d (%T) and %d (%T)", i, a, j, b)
		}
	}
}

// internalTestRoles returns the golden control-plane and worker configs of config's tests for a
// contract (config's tests keep them equal to what config.Generate writes).
func internalTestRoles(t *testing.T, contract string) (controlPlane, worker coreconfig.Provider) {
	t.Helper()

	load := func(name string) coreconfig.Provider {
		data, err := os.ReadFile(filepath.Join("..", "..", "config", "testdata", "golden", "demo-"+contract, name))
		require.NoError(t, err)

		cfg, err := machineryseam.Load(data)
		require.NoError(t, err)

		return cfg
	}

	return load("controlplane.yaml"), load("worker.yaml")
}

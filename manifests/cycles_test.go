package manifests_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/manifests"
)

// TestCyclicValuesAreRefused: a template that puts a dict inside itself kills Helm's engine with
// a stack overflow when the dict is printed; the render refuses it where it is made, naming the
// template, and the process survives.
func TestCyclicValuesAreRefused(t *testing.T) {
	t.Parallel()

	for name, tpl := range map[string]string{
		"set":                `{{ $d := dict }}{{ $_ := set $d "s" $d }}{{ $d }}`,
		"set nested":         `{{ $d := dict "a" (dict) }}{{ $_ := set $d.a "up" $d }}{{ toYaml $d }}`,
		"set through a list": `{{ $d := dict }}{{ $_ := set $d "l" (list 1 $d) }}{{ toJson $d }}`,
		"set values":         `{{ $_ := set .Values "self" .Values }}{{ toYaml .Values }}`,
		"merge":              `{{ $d := dict }}{{ $_ := merge $d (dict "x" $d) }}{{ $d }}`,
		"mergeOverwrite":     `{{ $d := dict }}{{ $_ := mergeOverwrite $d (dict "x" (dict "y" $d)) }}{{ $d }}`,
		"mustMerge":          `{{ $d := dict }}{{ $_ := mustMerge $d (dict "x" $d) }}{{ $d }}`,
		"mustMergeOverwrite": `{{ $d := dict }}{{ $_ := mustMergeOverwrite $d (dict "x" $d) }}{{ $d }}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			ch := tinyChart(map[string]string{"templates/cm.yaml": tpl}, "a: 1\n")
			_, err := manifests.Render(context.Background(), ch, "v1.37.0", manifests.RenderOptions{})
			require.ErrorIs(t, err, manifests.ErrCyclicValue)
			require.ErrorIs(t, err, manifests.ErrTemplate)
			require.ErrorContains(t, err, "templates/cm.yaml")
		})
	}

	// What is not a cycle renders as Helm renders it.
	for name, tpl := range map[string]string{
		"same value twice": `{{ $x := dict "k" 1 }}{{ $d := dict }}{{ $_ := set $d "a" $x }}{{ $_ := set $d "b" $x }}{{ toJson $d }}`,
		"merge copies":     `{{ $d := dict "a" 1 }}{{ $e := merge (dict) $d }}{{ $_ := set $e "d" $d }}{{ toJson $e }}`,
		"deepCopy":         `{{ $d := dict "a" 1 }}{{ $_ := set $d "c" (deepCopy $d) }}{{ toJson $d }}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			ch := tinyChart(map[string]string{"templates/cm.yaml": "# " + tpl + "\n"}, "a: 1\n")
			_, err := manifests.Render(context.Background(), ch, "v1.37.0", manifests.RenderOptions{})
			require.NoError(t, err)
		})
	}
}

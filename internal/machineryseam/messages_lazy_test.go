package machineryseam

import "testing"

// TestMessagePatternsCompile: every pattern of the message tables compiles (they are compiled
// on first use, so a bad one would otherwise fail only when its message comes).
func TestMessagePatternsCompile(t *testing.T) {
	t.Parallel()

	var all []*lazyRE
	for _, p := range machinerySpecificPaths {
		all = append(all, p.re)
	}

	for _, p := range machineryV1Alpha1Paths {
		all = append(all, p.re)
	}

	for _, c := range v114Conflicts {
		all = append(all, c.re)
	}

	all = append(all, controlPlaneOnlyRE, pathInMessage, dottedPathInMessage)

	for _, l := range all {
		if l.get() == nil {
			t.Errorf("pattern %q did not compile", l.pattern)
		}
	}
}

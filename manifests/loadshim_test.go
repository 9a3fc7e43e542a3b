package manifests_test

import "path/filepath"

// srcChart is the path of the shipped Cilium chart archive of version, for the install method
// tests (method_test.go); the source tests that defined it moved to manifests/source. It goes
// when the method tests move to manifests/install.
func srcChart(version string) string {
	return filepath.Join(testdataCharts, "cilium-"+version+".tgz")
}

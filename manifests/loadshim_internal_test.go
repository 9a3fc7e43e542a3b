package manifests

import (
	"context"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// LoadPath stands in, in this package's tests only, for the chart loading that moved to
// manifests/source (which imports this package, so these tests cannot import it): the install
// method tests (method_test.go, method_example_test.go) still call manifests.LoadPath. It goes
// when they move to manifests/install and call source.LoadPath.
func LoadPath(_ context.Context, p string) (*chart.Chart, error) { return loader.Load(p) }

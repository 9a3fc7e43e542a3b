package manifests_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2util "helm.sh/helm/v4/pkg/chart/v2/util"

	"github.com/stretchr/testify/require"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/internal/goldenfile"
)

// testdataCharts is the chart fixtures directory at the repository root (testdata/charts).
const testdataCharts = "../testdata/charts"

// shippedCharts are the Cilium chart versions in testdata/charts.
var shippedCharts = []string{"1.11.2", "1.16.18", "1.17.18", "1.18.12", "1.19.6", "1.20.0"}

// testKubeVersion is the Kubernetes version the tests render for.
const testKubeVersion = "1.33.0"

func chartPath(t testing.TB, version string) string {
	t.Helper()

	p := filepath.Join(testdataCharts, "cilium-"+version+".tgz")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("chart fixture %s: %v (testdata/charts at the repository root)", p, err)
	}

	return p
}

var (
	chartCacheMu sync.Mutex
	chartCache   = map[string]*chart.Chart{}
)

// loadCilium loads a shipped chart once per test binary. Render never modifies a chart (a test
// checks it), so sharing it between parallel tests is safe.
func loadCilium(t testing.TB, version string) *chart.Chart {
	t.Helper()

	p := chartPath(t, version)

	chartCacheMu.Lock()
	defer chartCacheMu.Unlock()

	if ch, ok := chartCache[version]; ok {
		return ch
	}

	ch, err := loader.Load(p)
	require.NoError(t, err)

	chartCache[version] = ch

	return ch
}

// golden compares got with the golden file testdata/render/name (go test -update rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", "render", name), got)
}

// tinyChart builds a small chart in memory.
func tinyChart(templates map[string]string, values string, extra ...*common.File) *chart.Chart {
	ch := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: "v2", Name: "tiny", Version: "0.1.0", Type: "application"},
		Values:   map[string]any{},
		Files:    extra,
	}

	names := make([]string, 0, len(templates))
	for name := range templates {
		names = append(names, name)
	}

	sort.Strings(names)

	for _, name := range names {
		ch.Templates = append(ch.Templates, &common.File{Name: "templates/" + name, Data: []byte(templates[name])})
	}

	if values != "" {
		vals, err := common.ReadValues([]byte(values))
		if err != nil {
			panic(err)
		}

		ch.Values = vals
		ch.Raw = []*common.File{{Name: chartv2util.ValuesfileName, Data: []byte(values)}}
	}

	return ch
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func yamlMarshal(v any) ([]byte, error) { return sigsyaml.Marshal(v) }

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v4"

	"github.com/talospatch/talospatch/bench/baseline"
	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/talos"
)

// The fixtures at the repository root (testdata/).
var (
	testdataDir = filepath.Join("..", "..", "testdata")
	testChart   = filepath.Join(testdataDir, "charts", "cilium-1.18.12.tgz")
	testSecrets = filepath.Join(testdataDir, "bench", "secrets.yaml")
)

// testFleet is the small fleet of the equality tests: 3 control planes and 5 workers.
func testFleet(t testing.TB) fleet {
	t.Helper()

	s, err := os.ReadFile(testSecrets)
	require.NoError(t, err, "the fixtures are in testdata/ at the repository root")

	return fleet{
		chartPath:     testChart,
		secrets:       s,
		controlPlanes: 3,
		workers:       5,
		kubernetes:    "1.37.0",
		contract:      "v1.14",
		deterministic: true,
	}
}

// buildAll builds the fleet and returns the configs by node index.
func buildAll(t testing.TB, f fleet) ([]string, [][]byte) {
	t.Helper()

	names := make([]string, f.controlPlanes+f.workers)
	data := make([][]byte, f.controlPlanes+f.workers)

	var mu sync.Mutex

	err := build(t.Context(), f, func(i int, name string, d []byte) error {
		mu.Lock()
		defer mu.Unlock()

		require.Empty(t, names[i], "node %d emitted twice", i)
		names[i], data[i] = name, bytes.Clone(d) // d is valid only during the call

		return nil
	})
	require.NoError(t, err)

	return names, data
}

// baselineFleet builds the same fleet the way it is done today, with cilium as the inline
// manifest.
func baselineFleet(t testing.TB, f fleet, cilium []byte) []baseline.Node {
	t.Helper()

	contract, err := coreconfig.ParseContractFromVersion(f.contract)
	require.NoError(t, err)

	b, err := secrets.LoadBundle(testSecrets)
	require.NoError(t, err)

	nodes, err := baseline.Build(baseline.Fleet{
		ControlPlanes: f.controlPlanes,
		Workers:       f.workers,
		Kubernetes:    f.kubernetes,
		Contract:      contract,
		Secrets:       b,
		Cilium:        cilium,
	})
	require.NoError(t, err)

	return nodes
}

// TestFleetEqualsMachinery compares every node's config with machinery's bundle.NewBundle plus
// configpatcher per node, given the same Cilium manifest: document by document, and the inline
// manifest object by object. For v1.13, 260 workers take the addresses past 10.0.0.250 into
// 10.0.1.x and keep both worker goroutines busy; older contracts carry KubeSpan in
// machine.network.kubespan.
func TestFleetEqualsMachinery(t *testing.T) {
	t.Parallel()

	for _, tt := range []struct {
		contract string
		workers  int
		// kubernetes is a version the contract's Talos release supports ("" keeps the fleet's).
		kubernetes string
	}{
		{"v1.14", 260, "1.37.0"},
		{"v1.13", 40, "1.36.0"},
		{"v1.12", 3, "1.35.0"},
		{"v1.11", 3, "1.34.0"},
	} {
		t.Run(tt.contract, func(t *testing.T) {
			t.Parallel()

			f := testFleet(t)
			f.contract, f.workers = tt.contract, tt.workers

			if tt.kubernetes != "" {
				f.kubernetes = tt.kubernetes
			}
			names, got := buildAll(t, f)

			rd, err := loadChart(t.Context(), f.chartPath)
			require.NoError(t, err)

			cilium, err := renderCilium(context.Background(), rd, f.kubernetes, true)
			require.NoError(t, err)

			compareFleet(t, baselineFleet(t, f, cilium), names, got, false)
		})
	}
}

// TestFleetEqualsHelmTemplate is the whole comparison with today's way: `helm template` (the
// helm CLI as a process), bundle.NewBundle and configpatcher per node. Without the helm CLI it
// is skipped, except in CI (CI=true), where it fails.
func TestFleetEqualsHelmTemplate(t *testing.T) {
	t.Parallel()

	helm := findHelm(t)
	f := testFleet(t)
	names, got := buildAll(t, f)

	cilium, err := baseline.HelmTemplate(t.Context(), helm, f.chartPath, f.kubernetes, true)
	require.NoError(t, err)

	compareFleet(t, baselineFleet(t, f, cilium), names, got, true)
}

// findHelm returns the helm CLI: on PATH, else in <repo>/.cache/bin (where .ci/run installs it).
func findHelm(t *testing.T) string {
	t.Helper()

	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}

	p, err := filepath.Abs(filepath.Join("..", "..", ".cache", "bin", "helm"))
	require.NoError(t, err)

	if _, err = os.Stat(p); err == nil {
		return p
	}

	msg := "helm CLI not found (PATH, .cache/bin): GOBIN=$PWD/.cache/bin go install helm.sh/helm/v4/cmd/helm@v4.3.2"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}

	t.Skip(msg)

	return ""
}

// compareFleet compares the fleet's configs with the baseline's, node by node. helmOrder says
// the baseline's inline manifest is in Helm's order, which Talos sorts before applying.
func compareFleet(t *testing.T, want []baseline.Node, names []string, got [][]byte, helmOrder bool) {
	t.Helper()

	wantNames := make([]string, len(want))
	for i, n := range want {
		wantNames[i] = n.Name
	}

	require.Equal(t, wantNames, names)

	for i, n := range want {
		t.Run(n.Name, func(t *testing.T) {
			compareNode(t, n.Config, got[i], helmOrder)
		})
	}
}

// document is one decoded config document.
type document map[string]any

// id names a document: "v1alpha1" or "Kind" or "Kind/name".
func (d document) id() string {
	kind, _ := d["kind"].(string)
	if kind == "" {
		return "v1alpha1"
	}

	if name, ok := d["name"].(string); ok {
		return kind + "/" + name
	}

	return kind
}

// compareNode compares one node's config document by document, in order; the inline manifests
// are compared by name, then object by object.
func compareNode(t *testing.T, want, got []byte, helmOrder bool) {
	t.Helper()

	wd, gd := decodeDocuments(t, want), decodeDocuments(t, got)

	ids := func(ds []document) (out []string) {
		for _, d := range ds {
			out = append(out, d.id())
		}

		return out
	}

	require.Equal(t, ids(wd), ids(gd), "documents")

	for k := range wd {
		w, g := wd[k], gd[k]

		if w.id() == "v1alpha1" {
			wm, gm := takeInlineManifests(t, w), takeInlineManifests(t, g)
			require.Equal(t, slices.Sorted(maps.Keys(wm)), slices.Sorted(maps.Keys(gm)), "inline manifest names")

			for name := range wm {
				compareObjects(t, name, wm[name], gm[name], helmOrder)
			}
		}

		if w["kind"] == "KubeInlineManifestConfig" {
			// v1.14: the inline manifest is its own document.
			wm, _ := w["manifest"].(string)
			gm, _ := g["manifest"].(string)
			compareObjects(t, w.id(), wm, gm, helmOrder)
			w["manifest"], g["manifest"] = "<compared object by object>", "<compared object by object>"
		}

		if diff := cmp.Diff(w, g); diff != "" {
			t.Errorf("document %s differs (-machinery +talospatch):\n%s", w.id(), diff)
		}
	}
}

// decodeDocuments decodes a multi-document config.
func decodeDocuments(t *testing.T, data []byte) []document {
	t.Helper()

	var docs []document

	dec := yaml.NewDecoder(bytes.NewReader(data))

	for {
		var m map[string]any

		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return docs
		}

		require.NoError(t, err)
		docs = append(docs, document(m))
	}
}

// takeInlineManifests removes the inline manifests' contents from a v1alpha1 document and
// returns them by name.
func takeInlineManifests(t *testing.T, d document) map[string]string {
	t.Helper()

	out := map[string]string{}

	cluster, _ := d["cluster"].(map[string]any)

	list, _ := cluster["inlineManifests"].([]any)
	for _, item := range list {
		m, ok := item.(map[string]any)
		require.True(t, ok)

		name, _ := m["name"].(string)
		contents, _ := m["contents"].(string)
		out[name] = contents
		m["contents"] = "<compared object by object>"
	}

	return out
}

// compareObjects compares two manifests object by object. With helmOrder the wanted manifest
// is `helm template` output, which Talos sorts (SortForTalos) before applying.
func compareObjects(t *testing.T, name, want, got string, helmOrder bool) {
	t.Helper()

	wo, err := manifests.ParseObjects([]byte(want))
	require.NoError(t, err)

	if helmOrder {
		wo = manifests.SortForTalos(wo)
	}

	gobjs, err := manifests.ParseObjects([]byte(got))
	require.NoError(t, err)

	require.Len(t, gobjs, len(wo), "objects of inline manifest %s", name)
	require.NotEmpty(t, wo)

	for i := range wo {
		if diff := cmp.Diff(wo[i].Object, gobjs[i].Object); diff != "" {
			t.Errorf("inline manifest %s object %d (%s %s) differs (-helm template +talospatch):\n%s", name, i, wo[i].GetKind(), wo[i].GetName(), diff)
		}
	}
}

func TestFleetDeterministic(t *testing.T) {
	t.Parallel()

	f := testFleet(t)
	_, first := buildAll(t, f)
	_, second := buildAll(t, f)

	require.Equal(t, first, second)
}

func TestRunWritesOneFilePerNode(t *testing.T) {
	t.Parallel()

	out := t.TempDir()
	f := testFleet(t)

	var stdout, stderr bytes.Buffer
	require.NoError(t, run(t.Context(), options{
		chart: f.chartPath, secrets: testSecrets, out: out,
		controlPlanes: 2, workers: 3, kubernetes: "1.37.0", contract: talos.V1_14, deterministic: true,
	}, &stdout, &stderr))
	require.Equal(t, "wrote 5 node configs to "+out+" (2 control planes, 3 workers)\n", stdout.String())
	require.Empty(t, stderr.String())

	entries, err := os.ReadDir(out)
	require.NoError(t, err)

	var files []string
	for _, e := range entries {
		files = append(files, e.Name())

		info, err := e.Info()
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "%s holds the cluster's keys", e.Name())
	}

	require.Equal(t, []string{"cp-0.yaml", "cp-1.yaml", "worker-0.yaml", "worker-1.yaml", "worker-2.yaml"}, files)

	f.controlPlanes, f.workers = 2, 3
	names, data := buildAll(t, f)

	for i, name := range names {
		written, err := os.ReadFile(filepath.Join(out, name+".yaml"))
		require.NoError(t, err)
		require.Equal(t, string(data[i]), string(written), name)
	}

	// Comments are off (the control planes' Cilium manifest has "#" in its data) and the
	// control planes alone carry Cilium.
	require.NotRegexp(t, `(?m)^( {4}){0,2}#`, string(data[0])) // config comments, not the manifest's
	require.NotContains(t, string(data[2]), "#")
	require.Contains(t, string(data[0]), "name: cilium")
	require.NotContains(t, string(data[2]), "inlineManifests")
}

func TestNodeNamesAndAddresses(t *testing.T) {
	t.Parallel()

	tests := []struct {
		i, controlPlanes int
		name, address    string
	}{
		{0, 3, "cp-0", "10.0.0.1"},
		{2, 3, "cp-2", "10.0.0.3"},
		{3, 3, "worker-0", "10.0.0.4"},
		{249, 3, "worker-246", "10.0.0.250"},
		{250, 3, "worker-247", "10.0.1.1"},
		{1002, 3, "worker-999", "10.0.4.3"},
	}

	for _, tt := range tests {
		require.Equal(t, tt.name, nodeName(tt.i, tt.controlPlanes))
		require.Equal(t, tt.address, nodeAddress(tt.i))
		require.Equal(t, tt.name, baseline.NodeName(tt.i, tt.controlPlanes))
		require.Equal(t, tt.address, baseline.NodeAddress(tt.i))
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()

	noop := func(int, string, []byte) error { return nil }

	tests := []struct {
		name   string
		change func(*fleet)
		emit   emitFunc
		want   string
	}{
		{"no control plane", func(f *fleet) { f.controlPlanes = 0 }, noop, "need at least one control plane"},
		{"bad secrets", func(f *fleet) { f.secrets = []byte("cluster: {}\n") }, noop, "secrets"},
		{"bad contract", func(f *fleet) { f.contract = "v9.1" }, noop, "contract"},
		{"missing chart", func(f *fleet) { f.chartPath = filepath.Join(t.TempDir(), "none.tgz") }, noop, "load chart"},
		{"emit fails", func(*fleet) {}, func(i int, _ string, _ []byte) error {
			if i == 4 {
				return errors.New("disk full")
			}

			return nil
		}, "disk full"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			f := testFleet(t)
			tt.change(&f)

			err := build(t.Context(), f, tt.emit)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestRunNeedsFlags(t *testing.T) {
	t.Parallel()

	require.ErrorContains(t, run(t.Context(), options{}, io.Discard, io.Discard), "-chart and -out are required")
	require.ErrorContains(t, run(t.Context(), options{chart: testChart}, io.Discard, io.Discard), "-chart and -out are required")
}

// Without -secrets, run creates a bundle, writes it to OUT/secrets.yaml with the configs made
// with it, and never replaces it.
func TestRunNewSecrets(t *testing.T) {
	t.Parallel()

	out := t.TempDir()
	o := options{chart: testChart, out: out, controlPlanes: 1, workers: 1, kubernetes: "1.37.0", contract: talos.V1_14, deterministic: true}

	var stdout bytes.Buffer
	require.NoError(t, run(t.Context(), o, &stdout, io.Discard))

	p := filepath.Join(out, "secrets.yaml")
	require.Equal(t, "created a new secrets bundle: "+p+" (keep it safe; reuse it with -secrets "+p+")\n"+
		"wrote 2 node configs to "+out+" (1 control plane, 1 worker)\n", stdout.String())

	created, err := os.ReadFile(p)
	require.NoError(t, err)
	s, err := config.LoadSecrets(created)
	require.NoError(t, err)

	worker, err := os.ReadFile(filepath.Join(out, "worker-0.yaml"))
	require.NoError(t, err)
	require.Contains(t, string(worker), s.ClusterID(), "the configs use the new bundle")

	// Again without -secrets: refused before anything is written; with it: the same bytes.
	err = run(t.Context(), o, io.Discard, io.Discard)
	require.ErrorContains(t, err, "already exists: pass -secrets "+p)

	again := t.TempDir()
	o.out, o.secrets = again, p
	require.NoError(t, run(t.Context(), o, io.Discard, io.Discard))
	require.NoFileExists(t, filepath.Join(again, "secrets.yaml"), "no bundle is written with -secrets")

	for _, name := range []string{"cp-0.yaml", "worker-0.yaml"} {
		want, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(again, name))
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), name)
	}

	kept, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, created, kept)
}

func TestParseFlags(t *testing.T) {
	t.Parallel()

	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, options{contract: talos.V1_14, kubernetes: "1.37.0", controlPlanes: 3, workers: 100}, o)

	o, err = parseFlags([]string{"-chart", "c.tgz", "-out", "o", "-secrets", "s.yaml", "-contract", "v1.13", "-kubernetes", "1.35.0",
		"-controlplanes", "1", "-workers", "7", "-deterministic"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, options{chart: "c.tgz", out: "o", secrets: "s.yaml", contract: talos.V1_13, kubernetes: "1.35.0",
		controlPlanes: 1, workers: 7, deterministic: true}, o)

	for _, args := range [][]string{
		{"-talos", "v1.13"},    // renamed -contract
		{"-contract", "v9.1"},  // not a contract
		{"-out", "o", "extra"}, // no arguments
	} {
		_, err := parseFlags(args, io.Discard)
		require.Error(t, err, args)
	}

	var usage bytes.Buffer
	_, err = parseFlags([]string{"-h"}, &usage)
	require.ErrorIs(t, err, flag.ErrHelp)
	require.Contains(t, usage.String(), "-contract contract")
	require.Contains(t, usage.String(), "(default v1.14)")
	require.Contains(t, usage.String(), "-secrets file")
	require.Contains(t, usage.String(), "(default: a new bundle, written to OUT/secrets.yaml, never replacing an existing one)")
}

// Without -deterministic, Helm makes Hubble's certificates during the render: the control planes
// carry them as Secrets, and the workers are unaffected.
func TestFleetNotDeterministic(t *testing.T) {
	t.Parallel()

	f := testFleet(t)
	f.controlPlanes, f.workers, f.deterministic = 1, 1, false
	_, data := buildAll(t, f)

	require.Contains(t, string(data[0]), "kind: Secret")
	require.Contains(t, string(data[0]), "name: hubble-server-certs")
	require.NotContains(t, string(data[1]), "inlineManifests")
}

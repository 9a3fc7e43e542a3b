package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/source"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// The fleet's fixed parameters.
const (
	clusterName = "fleet"
	endpoint    = "https://fleet.example:6443"
	release     = "cilium"
	namespace   = "kube-system"
	// nodeLabel is the label every node's patch sets to the node's name.
	nodeLabel = "example.com/node"
)

// fleet is what to build: the inputs as bytes and the fleet's size and versions.
type fleet struct {
	chartPath     string
	secrets       []byte
	controlPlanes int
	workers       int
	kubernetes    string // Kubernetes version, "1.35.0"
	contract      string // Talos version contract, "v1.13"
	deterministic bool   // Hubble certificates by cronJob: the render is reproducible
	// warn receives the validation warnings of the role configs; nil drops them.
	warn func(role config.Role, warning talos.Warning)
}

// emitFunc receives node i's name and encoded config. It is called concurrently, once per node,
// in no particular order. data is valid only until emit returns: each building goroutine
// reuses one buffer for all its nodes.
type emitFunc func(i int, name string, data []byte) error

// nodeName returns the name of node i, counting control planes then workers.
func nodeName(i, controlPlanes int) string {
	if i < controlPlanes {
		return fmt.Sprintf("cp-%d", i)
	}

	return fmt.Sprintf("worker-%d", i-controlPlanes)
}

// nodeAddress returns node i's certificate SAN, 10.0.<i/250>.<i%250+1>.
func nodeAddress(i int) string {
	return fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)
}

// build generates every node's config and hands each to emit.
//
// The load and render of Cilium is the critical path, so it starts first (manifests parses the
// chart's templates on every core while the archive loads): meanwhile GOMAXPROCS-1 goroutines
// build the worker configs (workers do not carry the inline manifest), and when the render is
// done the rendering goroutine joins them. The role configs
// are generated and patched once per role; per node only the node's settings (its patch, as
// data) are merged, and config.Builder re-encodes only what they changed. Each node's bytes
// do not depend on the schedule.
func build(ctx context.Context, f fleet, emit emitFunc) error {
	if f.controlPlanes < 1 || f.workers < 0 {
		return fmt.Errorf("build fleet: need at least one control plane and no negative worker count, got %d and %d", f.controlPlanes, f.workers)
	}

	var (
		wg     sync.WaitGroup
		cilium []byte // the rendered manifest, once wg is done
		rerr   error
		q      *nodeQueue            // the worker queue; nil when generating its role failed
		ready  = make(chan struct{}) // closed once q is set
	)

	wg.Go(func() {
		var rd *manifests.Renderer
		if rd, rerr = loadChart(ctx, f.chartPath); rerr == nil {
			cilium, rerr = renderCilium(ctx, rd, f.kubernetes, f.deterministic)
		}

		<-ready

		if q == nil {
			return
		}

		if rerr != nil {
			q.stop()

			return
		}

		q.work()
	})

	base, err := generate(f)

	var workers *role
	if err == nil {
		workers, err = roleBuilder(f, base, config.RoleWorker, config.Layers{})
	}

	if err != nil {
		close(ready)
		wg.Wait()

		return err
	}

	q = newNodeQueue(ctx, f.controlPlanes, f.controlPlanes+f.workers, f.controlPlanes, workers, emit)
	close(ready)

	for range max(1, runtime.GOMAXPROCS(0)-1) {
		wg.Go(q.work)
	}

	wg.Wait()

	if rerr != nil {
		return rerr
	}

	if err = q.err(); err != nil {
		return err
	}

	inline, err := patches.InlineManifest(base.contract, release, string(cilium))
	if err != nil {
		return err
	}

	controlPlanes, err := roleBuilder(f, base, config.RoleControlPlane, config.Layers{ControlPlane: []patches.Patch{inline}})
	if err != nil {
		return err
	}

	q = newNodeQueue(ctx, 0, f.controlPlanes, f.controlPlanes, controlPlanes, emit)

	for range min(runtime.GOMAXPROCS(0), f.controlPlanes) {
		wg.Go(q.work)
	}

	wg.Wait()

	return q.err()
}

// loadChart loads the Cilium chart archive into a Renderer (stage "chart load"); the chart's
// templates are parsed while the rest of the archive loads.
func loadChart(ctx context.Context, path string) (*manifests.Renderer, error) {
	rd, err := source.LoadRenderer(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}

	return rd.Renderer, nil
}

// renderCilium renders Cilium once with the Talos presets for a cluster without kube-proxy
// (stage "render"): ipam kubernetes, kubeProxyReplacement, KubePrism localhost:7445, the
// capabilities and cgroup values; with deterministic, Hubble certificates by cronJob, and the
// render fails rather than carry fresh key material.
func renderCilium(ctx context.Context, rd *manifests.Renderer, kubernetes string, deterministic bool) ([]byte, error) {
	r, err := rd.RenderCilium(ctx, kubernetes,
		manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: deterministic},
		manifests.RenderOptions{ReleaseName: release, Namespace: namespace, Deterministic: deterministic},
	)
	if err != nil {
		return nil, fmt.Errorf("render cilium: %w", err)
	}

	return r.YAML, nil
}

// generated are the role configs before the role layers, and their contract.
type generated struct {
	configs  config.Configs
	contract talos.Contract
}

// generate generates the role configs (stage "role config"): CNI none, kube-proxy disabled and
// KubeSpan in the cluster description (as talosctl gen config --with-kubespan writes it: the
// KubeSpanConfig document from contract v1.13, machine.network.kubespan before), discovery on
// (the default).
func generate(f fleet) (generated, error) {
	secrets, err := config.LoadSecrets(f.secrets)
	if err != nil {
		return generated{}, err
	}

	contract, err := talos.ParseContract(f.contract)
	if err != nil {
		return generated{}, err
	}

	cfgs, err := config.Generate(config.Cluster{
		Name:              clusterName,
		Endpoint:          endpoint,
		Contract:          contract,
		KubernetesVersion: f.kubernetes,
		CNI:               config.CNI{Name: config.CNINone},
		KubeProxyDisabled: true,
		KubeSpan:          true, // what talosctl gen config --with-kubespan writes; discovery is on
	}, secrets)
	if err != nil {
		return generated{}, err
	}

	return generated{configs: cfgs, contract: contract}, nil
}

// role is one role's builder: its config with the layers applied, and its nodes.
type role struct {
	role  config.Role
	nodes *config.Builder
}

// roleBuilder applies the layers to a role config once (config.Builder), validates it (for the
// cloud runtime mode; metal also needs an install disk, which this fleet leaves to a patch). The
// node settings only add labels and SANs, so the role's validation covers its nodes.
func roleBuilder(f fleet, g generated, r config.Role, l config.Layers) (*role, error) {
	cfg, err := g.configs.Role(r)
	if err != nil {
		return nil, err
	}

	configs := config.Configs{Worker: cfg}
	if r == config.RoleControlPlane {
		configs = config.Configs{ControlPlane: cfg}
	}

	nodes, err := configs.NewBuilder(l)
	if err != nil {
		return nil, err
	}

	warnings, err := nodes.Validate(r, config.ModeCloud)
	if err != nil {
		return nil, fmt.Errorf("%s config: %w", r, err)
	}

	if f.warn != nil {
		for _, w := range warnings {
			f.warn(r, w)
		}
	}

	return &role{role: r, nodes: nodes}, nil
}

// nodeSettings returns node i's own settings (stage "node patch"): its name as the label
// example.com/node and its address as its only extra certificate SAN. They are the per-node
// patch as data: settings.Patch() is the patch text (machine.nodeLabels, machine.certSANs), and
// config.Builder applies exactly that patch without parsing text per node.
func nodeSettings(name, address string) config.NodeSettings {
	return config.NodeSettings{
		Labels:   map[string]string{nodeLabel: name},
		CertSANs: []string{address},
	}
}

// node builds and encodes the config of node i (stages "node patch" and "encode") into buf's
// storage: what config.Encode gives for the node's config, which config.Builder.Append computes
// without copying the role config.
func (r *role) node(i, controlPlanes int, buf []byte) (string, []byte, error) {
	name := nodeName(i, controlPlanes)

	data, err := r.nodes.Append(buf[:0], config.Node{Role: r.role, Settings: nodeSettings(name, nodeAddress(i))})
	if err != nil {
		return "", nil, fmt.Errorf("node %s: %w", name, err)
	}

	return name, data, nil
}

// nodeQueue hands out the nodes [from, to) of one role to the goroutines that call work, which
// build and emit them. It keeps the error of the lowest failing node.
type nodeQueue struct {
	ctx               context.Context // one build's cancellation
	to, controlPlanes int
	role              *role
	emit              emitFunc

	next     atomic.Int64
	mu       sync.Mutex
	firstErr error
	errAt    int
}

func newNodeQueue(ctx context.Context, from, to, controlPlanes int, r *role, emit emitFunc) *nodeQueue {
	q := &nodeQueue{ctx: ctx, to: to, controlPlanes: controlPlanes, role: r, emit: emit, errAt: to}
	q.next.Store(int64(from))

	return q
}

// work builds and emits nodes until none is left or one fails, encoding them into one buffer.
func (q *nodeQueue) work() {
	var buf []byte

	for {
		i := int(q.next.Add(1) - 1)
		if i >= q.to {
			return
		}

		err := q.ctx.Err()
		if err == nil {
			var (
				name string
				data []byte
			)

			if name, data, err = q.role.node(i, q.controlPlanes, buf); err == nil {
				buf = data
				err = q.emit(i, name, data)
			}
		}

		if err != nil {
			q.mu.Lock()
			if i < q.errAt {
				q.errAt, q.firstErr = i, err
			}
			q.mu.Unlock()
			q.stop()

			return
		}
	}
}

// stop hands out no more nodes.
func (q *nodeQueue) stop() { q.next.Store(int64(q.to)) }

// err returns the error of the lowest failing node, or nil.
func (q *nodeQueue) err() error {
	q.mu.Lock()
	defer q.mu.Unlock()

	return q.firstErr
}

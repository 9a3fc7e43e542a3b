package meshsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/talospatch/talospatch/kubespan"
)

// WireGuard timing and packet sizes the simulator uses for handshakes and byte counters.
const (
	// RekeyAfter is how often an established WireGuard session handshakes again.
	RekeyAfter = 120 * time.Second
	// RekeyTimeout is how often WireGuard retries an unanswered handshake initiation.
	RekeyTimeout = 5 * time.Second
	// InitiationSize, ResponseSize and KeepaliveSize are WireGuard message sizes in bytes.
	InitiationSize = 148
	ResponseSize   = 92
	KeepaliveSize  = 32
)

// MaxNodes is the largest mesh Run simulates (it keeps state for every ordered pair).
const MaxNodes = 2048

// ErrInvalidConfig reports a configuration the simulator cannot run.
var ErrInvalidConfig = errors.New("invalid mesh simulation")

// Endpoint is a candidate endpoint address of a node and whether peers can reach it.
type Endpoint struct {
	// Addr is the address the node announces (on kubespan.Port).
	Addr netip.Addr
	// Reachable reports whether peers' packets to Addr arrive.
	Reachable bool
}

// Node is a simulated Talos node.
type Node struct {
	// Name is the node name (the peers' label).
	Name string
	// Endpoints are the node's addresses, announced as endpoints on kubespan.Port in order.
	Endpoints []Endpoint
	// Start is when the node boots and joins the mesh, from the start of the simulation.
	Start time.Duration
}

// Options control a simulation. The zero value runs one hour with Talos defaults.
type Options struct {
	// Duration is the simulated time; 0 means one hour.
	Duration time.Duration
	// StopWhenConverged ends the run at the reconcile where every link that can come up is up.
	StopWhenConverged bool
	// KubeSpan are the settings every node uses (endpoint filters, allowDownPeerBypass).
	// Enabled is implied.
	KubeSpan kubespan.KubeSpan
	// ClusterID seeds the KubeSpan subnet; "" means a fixed test id.
	ClusterID string
	// Epoch is the wall-clock time of simulated time 0; zero means 2026-01-01T00:00:00Z.
	Epoch time.Time
	// Seed seeds the keys and handshake latencies.
	Seed uint64
}

// Random returns n nodes with two endpoints each (a private IPv4 and a public IPv6
// address), each endpoint unreachable with probability unreachable, booting at random times
// within the first reconcile interval. The result depends only on the arguments.
func Random(n int, unreachable float64, seed uint64) ([]Node, error) {
	if n < 1 || n > MaxNodes {
		return nil, fmt.Errorf("random nodes: %w: %d nodes, want 1..%d", ErrInvalidConfig, n, MaxNodes)
	}
	if unreachable < 0 || unreachable > 1 {
		return nil, fmt.Errorf("random nodes: %w: unreachable fraction %v, want 0..1", ErrInvalidConfig, unreachable)
	}
	rng := rand.New(rand.NewPCG(seed, 0x6b756265))
	nodes := make([]Node, n)
	for i := range nodes {
		v6 := netip.MustParseAddr("2001:db8::").As16()
		v6[14], v6[15] = byte((i+1)>>8), byte(i+1)
		nodes[i] = Node{
			Name: fmt.Sprintf("node-%03d", i),
			Endpoints: []Endpoint{
				{Addr: netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 10}), Reachable: rng.Float64() >= unreachable},
				{Addr: netip.AddrFrom16(v6), Reachable: rng.Float64() >= unreachable},
			},
			Start: time.Duration(rng.Int64N(int64(kubespan.ReconcileInterval))),
		}
	}
	return nodes, nil
}

// Link is one node's view of one peer after the run.
type Link struct {
	// From and To are node indexes: From's status of peer To.
	From, To int
	// Start is when From got To's peer spec (both nodes running).
	Start time.Duration
	// Up reports that the peer reached state up; UpAt is when (from simulation start).
	Up   bool
	UpAt time.Duration
	// Endpoints is the number of endpoints From may try; Reachable how many of them work.
	Endpoints, Reachable int
	// Expected reports that the link can come up: some endpoint works in either direction
	// (a handshake from the other side brings it up too).
	Expected bool
	// EndpointChanges counts Talos's endpoint switches; ChangesAfterUp those after first up.
	EndpointChanges, ChangesAfterUp int
	// Status is the final peer status.
	Status kubespan.PeerStatus
	// Tunnelled reports whether traffic to the peer is forced into KubeSpan at the end
	// (always, unless Options.KubeSpan.AllowDownPeerBypass and the peer is not up).
	Tunnelled bool
}

// Result is the outcome of a simulation.
type Result struct {
	// Names and Identities are the simulated nodes' names and KubeSpan identities, by index.
	Names      []string
	Identities []kubespan.Identity
	// Links has one entry per ordered pair of distinct nodes, by From then To.
	Links []Link
	// Converged reports that every expected link came up; ConvergedAt is when the last did.
	Converged   bool
	ConvergedAt time.Duration
	// Elapsed is the simulated time covered.
	Elapsed time.Duration
	// Updates is the number of peer-status updates computed.
	Updates int
}

// Statuses returns node i's peer statuses sorted by peer ID, like Talos lists them.
func (r Result) Statuses(i int) []kubespan.PeerStatus {
	var out []kubespan.PeerStatus
	for _, l := range r.Links {
		if l.From == i {
			out = append(out, l.Status)
		}
	}
	slices.SortFunc(out, func(a, b kubespan.PeerStatus) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

type linkState struct {
	status     kubespan.PeerStatus
	started    bool
	configured netip.AddrPort
	cfgReach   bool
	startAt    time.Duration
	upAt       time.Duration
	up         bool
	changes    int
	afterUp    int
	tx, deliv  int64 // bytes sent, bytes delivered
	accounted  time.Duration
}

type pairState struct {
	active  bool
	start   time.Duration // first handshake of the current session
	prevHS  time.Duration // last handshake of earlier sessions, -1 if none
	latency time.Duration
	// initiator is the node that initiates handshakes in the current session
	initiator int
}

type event struct {
	at   time.Duration
	node int
}

type sim struct {
	n        int
	nodes    []Node
	epoch    time.Time
	specs    [][]netip.AddrPort // endpoints node j announces
	reach    []map[netip.AddrPort]bool
	src      []netip.AddrPort // address node j's packets come from
	keys     []string
	links    []linkState
	pairs    []pairState
	running  []bool
	expected int
	upCount  int
	convAt   time.Duration
	updates  int
	bypass   bool
}

// Run simulates the KubeSpan mesh of nodes: every node reconciles its peers like Talos (on
// its 30 s timer and whenever a node joins), WireGuard handshakes succeed when one side's
// configured endpoint for the other is reachable (the responder roams to the initiator's
// address), established sessions rekey every RekeyAfter, unanswered initiations repeat
// every RekeyTimeout, and keepalives flow every kubespan.PersistentKeepalive. The run is
// deterministic: same nodes and options, same result. nodes is not modified.
func Run(nodes []Node, opts Options) (Result, error) {
	if len(nodes) == 0 || len(nodes) > MaxNodes {
		return Result{}, fmt.Errorf("run: %w: %d nodes, want 1..%d", ErrInvalidConfig, len(nodes), MaxNodes)
	}
	if opts.Duration == 0 {
		opts.Duration = time.Hour
	}
	if opts.Duration < 0 {
		return Result{}, fmt.Errorf("run: %w: negative duration", ErrInvalidConfig)
	}
	if opts.ClusterID == "" {
		opts.ClusterID = "meshsim-cluster"
	}
	epoch := opts.Epoch
	if epoch.IsZero() {
		epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	ks := opts.KubeSpan
	ks.Enabled = true

	s := &sim{n: len(nodes), nodes: nodes, epoch: epoch, bypass: ks.AllowDownPeerBypass}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x73696d))
	var keySeed [32]byte
	for i := range 4 {
		v := rng.Uint64()
		for b := range 8 {
			keySeed[i*8+b] = byte(v >> (8 * b))
		}
	}
	keyRand := rand.NewChaCha8(keySeed)

	res := Result{Names: make([]string, s.n), Identities: make([]kubespan.Identity, s.n)}
	affiliates := make([]kubespan.Affiliate, s.n)
	s.specs = make([][]netip.AddrPort, s.n)
	s.reach = make([]map[netip.AddrPort]bool, s.n)
	s.src = make([]netip.AddrPort, s.n)
	s.keys = make([]string, s.n)
	for i, nd := range nodes {
		if nd.Start < 0 {
			return Result{}, fmt.Errorf("run: %w: node %d starts at %v", ErrInvalidConfig, i, nd.Start)
		}
		priv, err := kubespan.NewPrivateKey(keyRand)
		if err != nil {
			return Result{}, fmt.Errorf("run: %w", err)
		}
		mac := net.HardwareAddr{0x02, 0x00, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
		id, err := kubespan.NewIdentity(opts.ClusterID, mac, priv)
		if err != nil {
			return Result{}, fmt.Errorf("run: %w", err)
		}
		res.Names[i], res.Identities[i] = nd.Name, id
		local := kubespan.LocalNode{ID: fmt.Sprintf("affiliate-%d", i), Nodename: nd.Name, Identity: id}
		s.reach[i] = map[netip.AddrPort]bool{}
		for _, e := range nd.Endpoints {
			local.Addresses = append(local.Addresses, e.Addr)
			s.reach[i][netip.AddrPortFrom(e.Addr, kubespan.Port)] = e.Reachable
		}
		affiliates[i] = kubespan.Announce(local, ks)
		s.specs[i] = affiliates[i].Endpoints
		s.keys[i] = affiliates[i].PublicKey
		s.src[i] = netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, byte(100 + i>>16), byte(i >> 8)}), uint16(40000+i%20000))
		for _, e := range nd.Endpoints {
			if e.Reachable {
				s.src[i] = netip.AddrPortFrom(e.Addr, kubespan.Port)
				break
			}
		}
	}

	s.links = make([]linkState, s.n*s.n)
	s.pairs = make([]pairState, s.n*s.n)
	for i := range s.n {
		for j := range s.n {
			if i == j {
				continue
			}
			s.links[i*s.n+j].upAt = -1
			if i < j {
				s.pairs[i*s.n+j] = pairState{prevHS: -1, latency: time.Duration(20+rng.IntN(480)) * time.Millisecond}
			}
			if s.canReach(i, j) || s.canReach(j, i) {
				s.expected++
			}
		}
	}
	s.running = make([]bool, s.n)

	// events: each node's boot (which also makes every running node reconcile) and ticks
	var events []event
	for i, nd := range nodes {
		for at := nd.Start; at <= opts.Duration; at += kubespan.ReconcileInterval {
			events = append(events, event{at: at, node: i})
		}
	}
	slices.SortStableFunc(events, func(a, b event) int {
		if a.at != b.at {
			if a.at < b.at {
				return -1
			}
			return 1
		}
		return a.node - b.node
	})

	res.Elapsed = opts.Duration
	for _, ev := range events {
		if !s.running[ev.node] {
			s.running[ev.node] = true
			s.reconcile(ev.node, ev.at)
			for i := range s.n {
				if i != ev.node && s.running[i] {
					s.reconcile(i, ev.at)
				}
			}
		} else {
			s.reconcile(ev.node, ev.at)
		}
		if s.expected > 0 && s.upCount == s.expected && !res.Converged {
			res.Converged, res.ConvergedAt = true, s.convAt
			if opts.StopWhenConverged {
				res.Elapsed = ev.at
				break
			}
		}
	}
	if s.expected == 0 {
		res.Converged = true
	}
	res.Updates = s.updates
	res.Links = make([]Link, 0, s.n*(s.n-1))
	for i := range s.n {
		for j := range s.n {
			if i == j {
				continue
			}
			l := &s.links[i*s.n+j]
			reachable := 0
			for _, e := range s.specs[j] {
				if s.reach[j][e] {
					reachable++
				}
			}
			res.Links = append(res.Links, Link{
				From: i, To: j, Start: l.startAt, Up: l.up, UpAt: l.upAt,
				Endpoints: len(s.specs[j]), Reachable: reachable, Expected: s.canReach(i, j) || s.canReach(j, i),
				EndpointChanges: l.changes, ChangesAfterUp: l.afterUp, Status: l.status,
				Tunnelled: l.status.ForcedIntoTunnel(s.bypass),
			})
		}
	}
	return res, nil
}

func (s *sim) canReach(i, j int) bool {
	for _, e := range s.specs[j] {
		if s.reach[j][e] {
			return true
		}
	}
	return false
}

func (s *sim) pair(i, j int) *pairState {
	if i > j {
		i, j = j, i
	}
	return &s.pairs[i*s.n+j]
}

// lastHandshake is the latest handshake of the pair at or before t, -1 if none.
func (p *pairState) lastHandshake(t time.Duration) time.Duration {
	if p.active && t >= p.start {
		return p.start + (t-p.start)/RekeyAfter*RekeyAfter
	}
	return p.prevHS
}

// count returns how many of phase+k*period (k >= 0) lie in [a, b).
func count(a, b, phase, period time.Duration) int64 {
	if b <= phase || b <= a {
		return 0
	}
	upTo := func(t time.Duration) int64 { // number in [phase, t)
		if t <= phase {
			return 0
		}
		return int64((t-phase-1)/period) + 1
	}
	return upTo(b) - upTo(a)
}

// account adds the bytes link i->j sent in [l.accounted, t); the pair state is constant
// over that interval because every change happens at a reconcile, which accounts first.
func (s *sim) account(i, j int, t time.Duration) {
	l := &s.links[i*s.n+j]
	a := l.accounted
	if t <= a {
		return
	}
	l.accounted = t
	if !l.started {
		return
	}
	p := s.pair(i, j)
	preEnd := t // end of the time without a session
	if p.active {
		preEnd = min(max(p.start, a), t)
	}
	if preEnd > a && l.configured.IsValid() {
		// unanswered handshake initiations to the configured endpoint
		l.tx += count(a, preEnd, l.status.LastEndpointChange.Sub(s.epoch), RekeyTimeout) * InitiationSize
	}
	if preEnd < t {
		size := int64(ResponseSize)
		if p.initiator == i {
			size = InitiationSize
		}
		n := count(preEnd, t, p.start, RekeyAfter)*size + count(preEnd, t, p.start, kubespan.PersistentKeepalive)*KeepaliveSize
		l.tx += n
		l.deliv += n
	}
}

// reconcile is one Talos reconcile of node i at t over every running peer.
func (s *sim) reconcile(i int, t time.Duration) {
	now := s.epoch.Add(t)
	for j := range s.n {
		if j == i || !s.running[j] {
			continue
		}
		l := &s.links[i*s.n+j]
		back := &s.links[j*s.n+i]
		s.account(i, j, t)
		s.account(j, i, t)
		p := s.pair(i, j)
		if !l.started {
			// the peer spec appears: WireGuard gets the peer (no endpoint yet)
			l.started, l.startAt = true, t
			l.status = kubespan.PeerStatus{ID: s.keys[j], Label: s.nodes[j].Name}
			s.updatePath(i, j, t)
		}
		obs := &kubespan.Observation{Endpoint: l.configured, ReceiveBytes: back.deliv, TransmitBytes: l.tx}
		if hs := p.lastHandshake(t); hs >= 0 {
			obs.LastHandshakeTime = s.epoch.Add(hs)
			if p.active && !l.cfgReach {
				obs.Endpoint = s.src[j] // roamed to where the peer's handshake came from
			}
		}
		u := l.status.Update(now, s.specs[j], obs)
		s.updates++
		l.status = u.Status
		if u.Changed {
			l.changes++
			if l.up {
				l.afterUp++
			}
		}
		if u.Configure.IsValid() && u.Configure != l.configured {
			l.configured = u.Configure
			l.cfgReach = s.reach[j][u.Configure]
			s.updatePath(i, j, t)
		}
		if !l.up && l.status.State == kubespan.PeerStateUp {
			l.up, l.upAt = true, t
			if s.canReach(i, j) || s.canReach(j, i) {
				s.upCount++
				s.convAt = t
			}
		}
	}
}

// updatePath starts or ends the pair's WireGuard session after an endpoint change at t.
func (s *sim) updatePath(i, j int, t time.Duration) {
	p := s.pair(i, j)
	a, b := &s.links[i*s.n+j], &s.links[j*s.n+i]
	// WireGuard accepts a handshake only from a configured peer (with or without endpoint)
	works := a.started && b.started && (a.cfgReach || b.cfgReach)
	switch {
	case works && !p.active:
		p.active = true
		p.start = t + p.latency
		p.initiator = i
		if !a.cfgReach {
			p.initiator = j
		}
	case !works && p.active:
		p.prevHS = p.lastHandshake(t)
		p.active = false
	}
}

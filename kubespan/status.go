package kubespan

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Talos's KubeSpan timing constants.
const (
	// PeerDownInterval: a peer without a handshake for this long is down
	// (WireGuard's 180 s reject-after time + 5 s rekey timeout + 90 s rekey attempt time).
	PeerDownInterval = 275 * time.Second
	// EndpointConnectionTimeout: after an endpoint change, the state stays unknown this long
	// while waiting for the first handshake.
	EndpointConnectionTimeout = 15 * time.Second
	// ReconcileInterval: Talos reconciles peer statuses on this timer (and on spec changes).
	ReconcileInterval = 30 * time.Second
	// PersistentKeepalive is the WireGuard persistent keepalive Talos configures.
	PersistentKeepalive = 25 * time.Second
)

// PeerState is the connection state of a KubeSpan peer. The zero value is PeerStateUnknown.
type PeerState int

// Peer states, numbered as in Talos.
const (
	PeerStateUnknown PeerState = iota
	PeerStateUp
	PeerStateDown
)

// String returns "unknown", "up" or "down" ("PeerState(N)" for other values).
func (s PeerState) String() string {
	switch s {
	case PeerStateUnknown:
		return "unknown"
	case PeerStateUp:
		return "up"
	case PeerStateDown:
		return "down"
	}
	return fmt.Sprintf("PeerState(%d)", int(s))
}

// MarshalText implements encoding.TextMarshaler; values outside the enum are an error.
func (s PeerState) MarshalText() ([]byte, error) {
	if s < PeerStateUnknown || s > PeerStateDown {
		return nil, fmt.Errorf("marshal peer state: unknown value %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; it accepts only "unknown", "up", "down".
func (s *PeerState) UnmarshalText(b []byte) error {
	switch string(b) {
	case "unknown":
		*s = PeerStateUnknown
	case "up":
		*s = PeerStateUp
	case "down":
		*s = PeerStateDown
	default:
		return fmt.Errorf("unmarshal peer state: unknown value %q", string(b))
	}
	return nil
}

// PeerStatus is the status of one peer as Talos tracks it (KubeSpanPeerStatus resource).
// The zero value is a peer never configured. Methods return new values; none allocates.
type PeerStatus struct {
	// ID is the resource ID: the peer's WireGuard public key.
	ID string
	// Endpoint is the active endpoint as WireGuard reports it (it may roam).
	Endpoint netip.AddrPort
	// Label is the peer's node name.
	Label string
	// State is the computed connection state.
	State PeerState
	// ReceiveBytes and TransmitBytes are WireGuard's cumulative byte counters.
	ReceiveBytes  int64
	TransmitBytes int64
	// LastHandshakeTime is the last completed handshake (zero if none).
	LastHandshakeTime time.Time
	// LastUsedEndpoint is the endpoint Talos last configured.
	LastUsedEndpoint netip.AddrPort
	// LastEndpointChange is when Talos last configured an endpoint.
	LastEndpointChange time.Time
}

// Observation is what WireGuard reports for a peer.
type Observation struct {
	// Endpoint is the peer's current endpoint (it roams to where handshakes come from).
	Endpoint netip.AddrPort
	// LastHandshakeTime is the peer's last completed handshake (zero if none).
	LastHandshakeTime time.Time
	// ReceiveBytes and TransmitBytes are the cumulative byte counters.
	ReceiveBytes  int64
	TransmitBytes int64
}

// Observe returns s updated from WireGuard's report.
func (s PeerStatus) Observe(o Observation) PeerStatus {
	s.Endpoint = o.Endpoint
	s.LastHandshakeTime = o.LastHandshakeTime
	s.ReceiveBytes = o.ReceiveBytes
	s.TransmitBytes = o.TransmitBytes
	return s
}

// WithState returns s with State computed at now, exactly as Talos does. Let T0 be
// LastEndpointChange. Past T0+PeerDownInterval the peer is up iff the last handshake is less
// than PeerDownInterval old, else down. Before T0+EndpointConnectionTimeout it is up iff a
// handshake happened after T0, else unknown. In between it is up iff a handshake happened
// after T0, else down. Finally, down without any endpoint ever used is unknown.
func (s PeerStatus) WithState(now time.Time) PeerStatus {
	s.computeState(now)
	return s
}

func (s *PeerStatus) computeState(now time.Time) {
	sinceHandshake := now.Sub(s.LastHandshakeTime)
	sinceChange := now.Sub(s.LastEndpointChange)
	handshakeAfterChange := s.LastHandshakeTime.After(s.LastEndpointChange)
	switch {
	case sinceChange > PeerDownInterval:
		if sinceHandshake < PeerDownInterval {
			s.State = PeerStateUp
		} else {
			s.State = PeerStateDown
		}
	case sinceChange < EndpointConnectionTimeout:
		if handshakeAfterChange {
			s.State = PeerStateUp
		} else {
			s.State = PeerStateUnknown
		}
	default:
		if handshakeAfterChange {
			s.State = PeerStateUp
		} else {
			s.State = PeerStateDown
		}
	}
	if s.State == PeerStateDown && !s.LastUsedEndpoint.IsValid() {
		s.State = PeerStateUnknown
	}
}

// ShouldChangeEndpoint reports whether Talos picks a new endpoint: the peer is down or no
// endpoint was ever used.
func (s PeerStatus) ShouldChangeEndpoint() bool {
	return s.State == PeerStateDown || !s.LastUsedEndpoint.IsValid()
}

// NextEndpoint picks the endpoint to try next, as Talos does: the first one when none was
// used, else the one after LastUsedEndpoint in endpoints, round-robin (the first one if
// LastUsedEndpoint is no longer listed). It reports false when there is nothing to pick: no
// endpoints, or a single endpoint that is already in use.
func (s PeerStatus) NextEndpoint(endpoints []netip.AddrPort) (netip.AddrPort, bool) {
	if len(endpoints) == 0 {
		return netip.AddrPort{}, false
	}
	if !s.LastUsedEndpoint.IsValid() {
		return endpoints[0], endpoints[0].IsValid()
	}
	idx := slices.Index(endpoints, s.LastUsedEndpoint)
	if len(endpoints) == 1 && idx == 0 && s.Endpoint == s.LastUsedEndpoint {
		return netip.AddrPort{}, false
	}
	next := endpoints[(idx+1)%len(endpoints)]
	return next, next.IsValid()
}

// WithEndpoint returns s switched to endpoint e at now: Endpoint and LastUsedEndpoint are e,
// LastEndpointChange is now and the state is unknown again.
func (s PeerStatus) WithEndpoint(e netip.AddrPort, now time.Time) PeerStatus {
	s.Endpoint = e
	s.LastUsedEndpoint = e
	s.LastEndpointChange = now
	s.State = PeerStateUnknown
	return s
}

// ForcedIntoTunnel reports whether Talos forces traffic to the peer's AllowedIPs into
// WireGuard (firewall mark 0x40, routing table 180): always when allowDownPeerBypass is false
// (the default), otherwise only while the peer is up.
func (s PeerStatus) ForcedIntoTunnel(allowDownPeerBypass bool) bool {
	return !allowDownPeerBypass || s.State == PeerStateUp
}

// PeerUpdate is the result of one reconcile step for one peer.
type PeerUpdate struct {
	// Status is the new peer status.
	Status PeerStatus
	// Configure is the endpoint to set on the WireGuard peer; zero means leave it as is.
	Configure netip.AddrPort
	// Changed reports that Talos switched to a new endpoint in this step.
	Changed bool
}

// Update runs one Talos reconcile step for one peer at now: take WireGuard's report (obs,
// nil when the link or peer does not exist yet), compute the state, switch to the next
// endpoint when the peer is down or has none, and re-apply the last used endpoint when
// WireGuard lost it. It does not allocate.
func (s PeerStatus) Update(now time.Time, endpoints []netip.AddrPort, obs *Observation) PeerUpdate {
	u := PeerUpdate{Status: s}
	st := &u.Status
	if obs != nil {
		st.Endpoint, st.LastHandshakeTime = obs.Endpoint, obs.LastHandshakeTime
		st.ReceiveBytes, st.TransmitBytes = obs.ReceiveBytes, obs.TransmitBytes
	}
	st.computeState(now)
	if st.ShouldChangeEndpoint() {
		if e, ok := st.NextEndpoint(endpoints); ok {
			st.Endpoint, st.LastUsedEndpoint, st.LastEndpointChange, st.State = e, e, now, PeerStateUnknown
			u.Configure, u.Changed = e, true
		}
	}
	if st.LastUsedEndpoint.IsValid() && (!st.Endpoint.IsValid() || st.Endpoint == st.LastUsedEndpoint) {
		u.Configure = st.LastUsedEndpoint
		st.Endpoint = st.LastUsedEndpoint
	}
	return u
}

// Reconciled is the result of one reconcile tick over all peers.
type Reconciled struct {
	// Statuses has one status per spec, in spec order; statuses of peers without a spec are
	// dropped, as Talos destroys them.
	Statuses []PeerStatus
	// Configure has, per spec, the endpoint to set on the WireGuard peer (zero: unchanged).
	Configure []netip.AddrPort
	// Routed are the destinations forced into the tunnel (see RoutedPrefixes); like Talos's
	// set, it leaves out the peers' KubeSpan addresses.
	Routed []netip.Prefix
	// Changed reports that some peer switched endpoints.
	Changed bool
}

// Reconcile runs one Talos reconcile tick at now: it matches prev statuses to specs by ID
// (new peers start from a zero status labelled from the spec), applies WireGuard's reports
// from observed (keyed by public key; missing means no report), updates every peer and
// computes the routed set. forceRouting is !allowDownPeerBypass. Inputs are not modified.
func Reconcile(now time.Time, forceRouting bool, specs []PeerSpec, prev []PeerStatus, observed map[string]Observation) Reconciled {
	// fast path: prev is the previous result for the same specs (aligned by index)
	var byID map[string]int
	aligned := len(prev) == len(specs)
	for i := 0; aligned && i < len(specs); i++ {
		aligned = prev[i].ID == specs[i].ID
	}
	if !aligned {
		byID = make(map[string]int, len(prev))
		for i := range prev {
			byID[prev[i].ID] = i
		}
	}
	r := Reconciled{
		Statuses:  make([]PeerStatus, len(specs)),
		Configure: make([]netip.AddrPort, len(specs)),
	}
	for i := range specs {
		spec := &specs[i]
		var st PeerStatus
		if aligned {
			st = prev[i]
		} else if j, ok := byID[spec.ID]; ok {
			st = prev[j]
		} else {
			st = PeerStatus{ID: spec.ID, Label: spec.Label}
		}
		var obs *Observation
		if o, ok := observed[spec.ID]; ok {
			obs = &o
		}
		u := st.Update(now, spec.Endpoints, obs)
		r.Statuses[i] = u.Status
		r.Configure[i] = u.Configure
		r.Changed = r.Changed || u.Changed
	}
	if forceRouting {
		r.Routed = routed(specs, nil)
	} else {
		r.Routed = routed(specs, func(i int) bool { return r.Statuses[i].State == PeerStateUp })
	}
	return r
}

// EndpointRecord is an endpoint harvested from an up peer (Talos's KubeSpanEndpoint
// resource), published back to discovery when harvestExtraEndpoints is on.
type EndpointRecord struct {
	// ID is the peer's public key.
	ID string
	// AffiliateID is the peer's affiliate ID.
	AffiliateID string
	// Endpoint is the endpoint WireGuard uses for the peer.
	Endpoint netip.AddrPort
}

// HarvestEndpoints returns the endpoints Talos's EndpointController records: one per peer
// that is up with a known endpoint and whose key belongs to an affiliate, sorted by ID.
func HarvestEndpoints(statuses []PeerStatus, affiliates []Affiliate) []EndpointRecord {
	byKey := make(map[string]string, len(affiliates))
	for _, a := range affiliates {
		if a.PublicKey != "" {
			byKey[a.PublicKey] = a.ID
		}
	}
	var out []EndpointRecord
	for _, s := range statuses {
		if s.State != PeerStateUp || !s.Endpoint.IsValid() {
			continue
		}
		if id, ok := byKey[s.ID]; ok {
			out = append(out, EndpointRecord{ID: s.ID, AffiliateID: id, Endpoint: s.Endpoint})
		}
	}
	slices.SortFunc(out, func(a, b EndpointRecord) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

package kubespan

import (
	"fmt"
	"time"
)

// Explain says why the peer is in the state WithState computes at now, and what Talos does
// next, in one line. It applies the same rules as WithState, so it answers "why is this peer
// down?" from a status read with `talosctl get kubespanpeerstatuses -o yaml`. The line holds
// no string of the status (no label or ID), only its endpoint, state and durations, so a
// hostile label cannot reach a terminal through it.
func (s PeerStatus) Explain(now time.Time) string {
	st := s.WithState(now)
	sinceChange := now.Sub(s.LastEndpointChange).Round(time.Second)
	sinceHandshake := now.Sub(s.LastHandshakeTime).Round(time.Second)
	handshake := "no handshake ever"
	if !s.LastHandshakeTime.IsZero() {
		handshake = fmt.Sprintf("last handshake %s ago", sinceHandshake)
	}
	if !s.LastUsedEndpoint.IsValid() {
		if st.State == PeerStateUp {
			return fmt.Sprintf("up: %s, though Talos never configured an endpoint (the peer reached this node)", handshake)
		}
		return "unknown: no endpoint tried yet; Talos configures the peer's first announced endpoint at the next reconcile (none if it announces none)"
	}
	ep := s.LastUsedEndpoint.String()
	switch {
	case now.Sub(s.LastEndpointChange) > PeerDownInterval:
		if st.State == PeerStateUp {
			return fmt.Sprintf("up: %s (less than %s), endpoint %s in use for %s", handshake, PeerDownInterval, ep, sinceChange)
		}
		if s.LastHandshakeTime.IsZero() {
			return fmt.Sprintf("down: no handshake ever, %s in use for %s; Talos switches to the next endpoint at the next reconcile", ep, sinceChange)
		}
		return fmt.Sprintf("down: %s (at least %s); Talos switches from %s to the next endpoint at the next reconcile", handshake, PeerDownInterval, ep)
	case now.Sub(s.LastEndpointChange) < EndpointConnectionTimeout:
		if st.State == PeerStateUp {
			return fmt.Sprintf("up: handshake since switching to %s %s ago", ep, sinceChange)
		}
		return fmt.Sprintf("unknown: switched to %s %s ago, waiting up to %s for a first handshake", ep, sinceChange, EndpointConnectionTimeout)
	default:
		if st.State == PeerStateUp {
			return fmt.Sprintf("up: handshake since switching to %s %s ago", ep, sinceChange)
		}
		return fmt.Sprintf("down: no handshake in the %s since switching to %s (%s); Talos tries the next endpoint at the next reconcile", sinceChange, ep, handshake)
	}
}

package kubespan

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/talospatch/talospatch/talos"
)

// EndpointFilter is one entry of filters.endpoints: a prefix that keeps matching node
// addresses or, negated (written with a leading "!"), drops them again.
// The zero value is invalid.
type EndpointFilter struct {
	// Prefix is the network the filter matches. Host bits are kept as written.
	Prefix netip.Prefix
	// Negate makes the filter remove matching addresses kept by earlier filters.
	Negate bool
}

// ParseEndpointFilter parses a filter the way Talos does: an optional "!" followed by a
// CIDR prefix or a bare address (which matches just that address). IPv6 zones are dropped.
func ParseEndpointFilter(s string) (EndpointFilter, error) {
	var f EndpointFilter
	rest, negate := strings.CutPrefix(s, "!")
	f.Negate = negate
	p, err := netip.ParsePrefix(rest)
	if err != nil {
		a, addrErr := netip.ParseAddr(rest)
		if addrErr != nil {
			return EndpointFilter{}, fmt.Errorf("parse endpoint filter %q: %w: not a prefix or address", s, ErrInvalidFilter)
		}
		a = a.WithZone("")
		p = netip.PrefixFrom(a, a.BitLen())
	}
	f.Prefix = p
	return f, nil
}

// MustParseEndpointFilter is ParseEndpointFilter that panics on error, for constants and tests.
func MustParseEndpointFilter(s string) EndpointFilter {
	f, err := ParseEndpointFilter(s)
	if err != nil {
		panic(err)
	}
	return f
}

// ParseEndpointFilters parses a filters.endpoints list. The error names every bad entry
// by index (talos.Join: talos.Problems lists them). A nil list stays nil (no filtering).
func ParseEndpointFilters(ss []string) ([]EndpointFilter, error) {
	if ss == nil {
		return nil, nil
	}
	out := make([]EndpointFilter, 0, len(ss))
	var errs []error
	for i, s := range ss {
		f, err := ParseEndpointFilter(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("filters.endpoints[%d]: %w", i, err))
			continue
		}
		out = append(out, f)
	}
	if len(errs) > 0 {
		return nil, talos.Join(errs...)
	}
	return out, nil
}

// String returns the filter as written in a machine config ("!" for negation).
func (f EndpointFilter) String() string {
	if !f.Prefix.IsValid() {
		return "invalid EndpointFilter"
	}
	if f.Negate {
		return "!" + f.Prefix.String()
	}
	return f.Prefix.String()
}

// MarshalText implements encoding.TextMarshaler.
func (f EndpointFilter) MarshalText() ([]byte, error) {
	if !f.Prefix.IsValid() {
		return nil, fmt.Errorf("marshal endpoint filter: %w: zero value", ErrInvalidFilter)
	}
	return []byte(f.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (f *EndpointFilter) UnmarshalText(b []byte) error {
	v, err := ParseEndpointFilter(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// contains matches like Talos (netip.Prefix.Contains: host bits of the filter are ignored).
func (f EndpointFilter) contains(a netip.Addr) bool { return f.Prefix.Contains(a) }

// FilterAddrs applies filters to addrs exactly as Talos filters KubeSpan endpoints
// (siderolabs/net FilterIPs): filters are applied in order; a positive filter appends the
// matching addresses not yet kept (in addrs order), a negated filter removes matching kept
// addresses. The result is therefore ordered by filter first, then by input order. A nil
// filter list means no filtering (addrs is returned as a copy); an empty non-nil list keeps
// nothing, like Talos.
func FilterAddrs(addrs []netip.Addr, filters []EndpointFilter) []netip.Addr {
	if filters == nil {
		return append([]netip.Addr(nil), addrs...)
	}
	var out []netip.Addr
	for _, f := range filters {
		for _, a := range addrs {
			if !f.contains(a) {
				continue
			}
			idx := -1
			for i, kept := range out {
				if kept == a {
					idx = i
					break
				}
			}
			switch {
			case !f.Negate && idx < 0:
				out = append(out, a)
			case f.Negate && idx >= 0:
				out = append(out[:idx], out[idx+1:]...)
			}
		}
	}
	return out
}

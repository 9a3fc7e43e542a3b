// Package ipset is a small immutable set of IP addresses built from netip prefixes and
// addresses: union, difference, overlap and conversion back to the minimal list of prefixes.
// It models the parts of go4.org/netipx's IPSet that KubeSpan needs, without the dependency.
package ipset

import (
	"math/bits"
	"net/netip"
	"slices"
)

// u128 is an address as a 128-bit integer (IPv4 addresses use the low 32 bits).
type u128 struct{ hi, lo uint64 }

func (u u128) cmp(v u128) int {
	switch {
	case u.hi < v.hi:
		return -1
	case u.hi > v.hi:
		return 1
	case u.lo < v.lo:
		return -1
	case u.lo > v.lo:
		return 1
	}
	return 0
}

func (u u128) addOne() (u128, bool) {
	lo, carry := bits.Add64(u.lo, 1, 0)
	hi, overflow := bits.Add64(u.hi, 0, carry)
	return u128{hi, lo}, overflow != 0
}

func (u u128) subOne() (u128, bool) {
	lo, borrow := bits.Sub64(u.lo, 1, 0)
	hi, underflow := bits.Sub64(u.hi, 0, borrow)
	return u128{hi, lo}, underflow != 0
}

// hostMask returns a mask with the low n bits set (0 <= n <= 128).
func hostMask(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n < 64:
		return u128{0, 1<<uint(n) - 1}
	case n == 64:
		return u128{0, ^uint64(0)}
	case n < 128:
		return u128{1<<uint(n-64) - 1, ^uint64(0)}
	}
	return u128{^uint64(0), ^uint64(0)}
}

func (u u128) or(v u128) u128 { return u128{u.hi | v.hi, u.lo | v.lo} }
func (u u128) trailingZeros() int { // of a non-zero value; 128 for zero
	if u.lo != 0 {
		return bits.TrailingZeros64(u.lo)
	}
	if u.hi != 0 {
		return 64 + bits.TrailingZeros64(u.hi)
	}
	return 128
}

// span is a closed range [from, to] inside one address family.
type span struct {
	bitLen   int // 32 or 128
	from, to u128
}

// byStart orders spans by family then first address; merge does not need more.
func byStart(a, b span) int {
	if a.bitLen != b.bitLen {
		return a.bitLen - b.bitLen
	}
	if a.from.hi != b.from.hi {
		if a.from.hi < b.from.hi {
			return -1
		}
		return 1
	}
	switch {
	case a.from.lo < b.from.lo:
		return -1
	case a.from.lo > b.from.lo:
		return 1
	}
	return 0
}

func fromAddr(a netip.Addr) (u128, int) {
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}, 32
	}
	b := a.As16()
	var hi, lo uint64
	for i := range 8 {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return u128{hi, lo}, 128
}

func toAddr(u u128, bitLen int) netip.Addr {
	if bitLen == 32 {
		return netip.AddrFrom4([4]byte{byte(u.lo >> 24), byte(u.lo >> 16), byte(u.lo >> 8), byte(u.lo)})
	}
	var b [16]byte
	for i := range 8 {
		b[7-i] = byte(u.hi >> (8 * i))
		b[15-i] = byte(u.lo >> (8 * i))
	}
	return netip.AddrFrom16(b)
}

// Set is an immutable set of addresses; the zero value is the empty set.
type Set struct {
	spans []span // sorted, non-overlapping, non-adjacent
}

// Grow makes room for n more prefixes or addresses without reallocating.
func (b *Builder) Grow(n int) { b.spans = slices.Grow(b.spans, n) }

// Builder collects additions and removals; Set returns the result. The zero value is ready.
// Operations apply in call order, like netipx.IPSetBuilder.
type Builder struct {
	spans []span
	dirty bool
}

func prefixSpan(p netip.Prefix) (span, bool) {
	if !p.IsValid() {
		return span{}, false
	}
	p = p.Masked()
	from, bitLen := fromAddr(p.Addr())
	host := bitLen - p.Bits()
	return span{bitLen: bitLen, from: from, to: from.or(hostMask(host))}, true
}

// AddPrefix adds every address of p (masked); invalid prefixes are ignored.
func (b *Builder) AddPrefix(p netip.Prefix) {
	if s, ok := prefixSpan(p); ok {
		b.spans = append(b.spans, s)
		b.dirty = true
	}
}

// Add adds one address; invalid addresses are ignored. Zones are dropped.
func (b *Builder) Add(a netip.Addr) {
	if !a.IsValid() {
		return
	}
	b.AddPrefix(netip.PrefixFrom(a.WithZone(""), a.BitLen()))
}

// AddSet adds every address of s.
func (b *Builder) AddSet(s Set) {
	b.spans = append(b.spans, s.spans...)
	b.dirty = true
}

// RemovePrefix removes every address of p; invalid prefixes are ignored.
func (b *Builder) RemovePrefix(p netip.Prefix) {
	if s, ok := prefixSpan(p); ok {
		b.normalize()
		b.spans = subtract(b.spans, []span{s})
	}
}

// RemoveSet removes every address of s.
func (b *Builder) RemoveSet(s Set) {
	b.normalize()
	b.spans = subtract(b.spans, s.spans)
}

// Set returns the collected set. The builder stays usable.
func (b *Builder) Set() Set {
	b.normalize()
	return Set{spans: slices.Clone(b.spans)}
}

func (b *Builder) normalize() {
	if !b.dirty {
		return
	}
	b.spans = merge(b.spans)
	b.dirty = false
}

// merge sorts and coalesces overlapping or adjacent spans; it reuses in's storage.
func merge(in []span) []span {
	if len(in) < 2 {
		return in
	}
	if !slices.IsSortedFunc(in, byStart) {
		sortSpans(in)
	}
	out := in[:1]
	for _, s := range in[1:] {
		last := &out[len(out)-1]
		if s.bitLen == last.bitLen {
			next, overflow := last.to.addOne()
			if s.from.cmp(last.to) <= 0 || (!overflow && s.from.cmp(next) == 0) {
				if s.to.cmp(last.to) > 0 {
					last.to = s.to
				}
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

// sortSpans sorts by byStart; IPv4 spans are sorted as packed integers, which is several
// times faster than a comparison sort of the structs.
func sortSpans(in []span) {
	v4 := make([]uint64, 0, len(in))
	v6 := make([]span, 0)
	for _, s := range in {
		if s.bitLen == 32 {
			v4 = append(v4, s.from.lo<<32|s.to.lo)
		} else {
			v6 = append(v6, s)
		}
	}
	slices.Sort(v4)
	slices.SortFunc(v6, byStart)
	for i, k := range v4 {
		in[i] = span{bitLen: 32, from: u128{0, k >> 32}, to: u128{0, k & 0xffffffff}}
	}
	copy(in[len(v4):], v6)
}

// subtract returns a minus b; both sorted and normalized.
func subtract(a, b []span) []span {
	var out []span
	j := 0
	for _, s := range a {
		cur := s
		alive := true
		for j < len(b) && (b[j].bitLen < cur.bitLen || (b[j].bitLen == cur.bitLen && b[j].to.cmp(cur.from) < 0)) {
			j++
		}
		for k := j; alive && k < len(b); k++ {
			r := b[k]
			if r.bitLen != cur.bitLen || r.from.cmp(cur.to) > 0 {
				break
			}
			if r.from.cmp(cur.from) > 0 {
				before, _ := r.from.subOne()
				out = append(out, span{cur.bitLen, cur.from, before})
			}
			if r.to.cmp(cur.to) >= 0 {
				alive = false
				break
			}
			cur.from, _ = r.to.addOne()
		}
		if alive {
			out = append(out, cur)
		}
	}
	return out
}

// Finish returns the collected set and empties the builder, handing its storage to the set
// (no copy).
func (b *Builder) Finish() Set {
	b.normalize()
	s := Set{spans: b.spans}
	*b = Builder{}
	return s
}

// IsEmpty reports whether the set holds no address.
func (s Set) IsEmpty() bool { return len(s.spans) == 0 }

// Overlaps reports whether s and o share an address.
func (s Set) Overlaps(o Set) bool {
	i, j := 0, 0
	for i < len(s.spans) && j < len(o.spans) {
		a, b := s.spans[i], o.spans[j]
		switch {
		case a.bitLen < b.bitLen:
			i++
		case a.bitLen > b.bitLen:
			j++
		case a.to.cmp(b.from) < 0:
			i++
		case b.to.cmp(a.from) < 0:
			j++
		default:
			return true
		}
	}
	return false
}

// Contains reports whether a is in the set.
func (s Set) Contains(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	u, bitLen := fromAddr(a.WithZone(""))
	for _, sp := range s.spans {
		if sp.bitLen == bitLen && sp.from.cmp(u) <= 0 && u.cmp(sp.to) <= 0 {
			return true
		}
	}
	return false
}

// Difference returns s minus o.
func (s Set) Difference(o Set) Set {
	return Set{spans: subtract(s.spans, o.spans)}
}

// Union returns s plus o.
func (s Set) Union(o Set) Set {
	all := make([]span, 0, len(s.spans)+len(o.spans))
	all = append(all, s.spans...)
	all = append(all, o.spans...)
	return Set{spans: merge(all)}
}

// Prefixes returns the minimal sorted list of prefixes covering exactly the set
// (IPv4 first, then IPv6, ascending), like netipx.IPSet.Prefixes.
func (s Set) Prefixes() []netip.Prefix {
	if len(s.spans) == 0 {
		return nil
	}
	return s.AppendPrefixes(make([]netip.Prefix, 0, len(s.spans)))
}

// AppendPrefixes appends the set's prefixes to dst and returns it.
func (s Set) AppendPrefixes(dst []netip.Prefix) []netip.Prefix {
	for _, sp := range s.spans {
		from := sp.from
		for {
			// largest aligned block starting at from that ends at or before to
			host := from.trailingZeros()
			if host > sp.bitLen {
				host = sp.bitLen
			}
			for host > 0 && from.or(hostMask(host)).cmp(sp.to) > 0 {
				host--
			}
			dst = append(dst, netip.PrefixFrom(toAddr(from, sp.bitLen), sp.bitLen-host))
			end := from.or(hostMask(host))
			if end.cmp(sp.to) >= 0 {
				break
			}
			from, _ = end.addOne()
		}
	}
	return dst
}

// FromPrefixes returns the set of the given prefixes.
func FromPrefixes(ps ...netip.Prefix) Set {
	var b Builder
	for _, p := range ps {
		b.AddPrefix(p)
	}
	return b.Set()
}

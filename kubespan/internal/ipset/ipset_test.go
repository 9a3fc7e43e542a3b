package ipset

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func pfx(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ss))
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestBuilder(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name   string
		add    []string
		remove []string
		want   []string
	}{
		{name: "empty", want: []string{}},
		{name: "merge adjacent", add: []string{"10.0.0.0/25", "10.0.0.128/25"}, want: []string{"10.0.0.0/24"}},
		{name: "masked", add: []string{"10.244.3.1/24"}, want: []string{"10.244.3.0/24"}},
		{name: "contained", add: []string{"10.0.0.0/8", "10.1.0.0/16"}, want: []string{"10.0.0.0/8"}},
		{name: "hole", add: []string{"10.0.0.0/24"}, remove: []string{"10.0.0.5/32"}, want: []string{
			"10.0.0.0/30", "10.0.0.4/32", "10.0.0.6/31", "10.0.0.8/29", "10.0.0.16/28", "10.0.0.32/27", "10.0.0.64/26", "10.0.0.128/25",
		}},
		{name: "families sorted", add: []string{"fd00::/64", "192.168.0.1/32"}, want: []string{"192.168.0.1/32", "fd00::/64"}},
		{name: "remove all v4", add: []string{"10.0.0.1/32", "fd00::1/128"}, remove: []string{"0.0.0.0/0"}, want: []string{"fd00::1/128"}},
		{name: "everything", add: []string{"0.0.0.0/1", "128.0.0.0/1", "::/0"}, want: []string{"0.0.0.0/0", "::/0"}},
		{name: "top of space", add: []string{"255.255.255.255/32", "255.255.255.254/32"}, want: []string{"255.255.255.254/31"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			var b Builder
			for _, p := range pfx(tc.add...) {
				b.AddPrefix(p)
			}
			for _, p := range pfx(tc.remove...) {
				b.RemovePrefix(p)
			}
			got := b.Set().Prefixes()
			if got == nil {
				got = []netip.Prefix{}
			}
			if diff := cmp.Diff(pfx(tc.want...), got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Fatalf("prefixes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOverlapsDifference(t *testing.T) {
	t.Parallel()

	a := FromPrefixes(pfx("10.0.0.0/24", "fd00::/64")...)
	b := FromPrefixes(pfx("10.0.0.128/25")...)
	c := FromPrefixes(pfx("10.0.1.0/24", "fd01::/64")...)
	require.True(t, a.Overlaps(b))
	require.True(t, b.Overlaps(a))
	require.False(t, a.Overlaps(c))
	require.Equal(t, pfx("10.0.0.0/25", "fd00::/64"), a.Difference(b).Prefixes())
	require.Equal(t, pfx("10.0.0.0/23", "fd00::/64", "fd01::/64"), a.Union(c).Prefixes())
	require.True(t, a.Contains(netip.MustParseAddr("fd00::5")))
	require.False(t, a.Contains(netip.MustParseAddr("10.0.1.1")))
}

// TestAgainstBitmap checks the set against a brute-force model on a small IPv4 range.
func TestAgainstBitmap(t *testing.T) {
	t.Parallel()

	rng := rand.New(rand.NewPCG(1, 2))
	base := netip.MustParseAddr("10.0.0.0").As4()
	for range 300 {
		var model [256]bool
		var b Builder
		for range 1 + rng.IntN(6) {
			bitsN := 24 + rng.IntN(9)
			start := rng.IntN(256) &^ (1<<(32-bitsN) - 1)
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{base[0], base[1], base[2], byte(start)}), bitsN)
			add := rng.IntN(3) != 0
			if add {
				b.AddPrefix(p)
			} else {
				b.RemovePrefix(p)
			}
			for i := start; i < start+1<<(32-bitsN); i++ {
				model[i] = add
			}
		}
		s := b.Set()
		var got [256]bool
		for _, p := range s.Prefixes() {
			first := int(p.Addr().As4()[3])
			for i := first; i < first+1<<(32-p.Bits()); i++ {
				require.False(t, got[i], "prefixes overlap")
				got[i] = true
			}
		}
		require.Equal(t, model, got)
		for i := range 256 {
			require.Equal(t, model[i], s.Contains(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})))
		}
	}
}

func TestFinish(t *testing.T) {
	t.Parallel()

	var b Builder
	b.Grow(2)
	b.AddPrefix(netip.MustParsePrefix("10.0.0.0/24"))
	b.Add(netip.MustParseAddr("10.0.1.0"))
	s := b.Finish()
	require.Equal(t, pfx("10.0.0.0/24", "10.0.1.0/32"), s.Prefixes())
	require.True(t, b.Set().IsEmpty(), "builder not emptied")
	require.Nil(t, Set{}.Prefixes())
}

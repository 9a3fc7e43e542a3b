package kubespan_test

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/kubespan"
)

// hostileLabels are labels a peer can announce to discovery as its node name.
var hostileLabels = []struct {
	name  string
	label string
	want  string // the LABEL cell as printed
}{
	{"clear screen", "\x1b[2Jnode", `"\x1b[2Jnode"`},
	{"colour", "\x1b[31mred\x1b[0m", `"\x1b[31mred\x1b[0m"`},
	{"OSC title", "\x1b]0;pwned\x07", `"\x1b]0;pwned\a"`},
	{"carriage return", "node-a\rnode-z", `"node-a\rnode-z"`},
	{"newline", "node-a\n172.20.0.9   kubespan   KubeSpanPeerStatus   FAKE", `"node-a\n172.20.0.9   kubespan   KubeSpanPeerStatus   FAKE"`},
	{"tab", "node\ta", `"node\ta"`},
	{"right-to-left override", "node\u202eevil", `"node\u202eevil"`},
	{"zero width space", "no\u200bde", `"no\u200bde"`},
	{"C1 CSI", "node\u009b2J", `"node\u009b2J"`},
	{"backspace", "root\b\b\b\bnode", `"root\b\b\b\bnode"`},
	{"NUL", "node\x00", `"node\x00"`},
	{"DEL", "node\x7f", `"node\x7f"`},
	{"invalid UTF-8", "node\xff\xfe", `"node\xff\xfe"`},
	{"tabwriter escape byte", "a\xffb\xffc", `"a\xffb\xffc"`},
	{"vertical tab and form feed", "a\vb\fc", `"a\vb\fc"`},
	{"leading quote", `"node"`, `"\"node\""`},
}

// ordinaryLabels print unchanged.
var ordinaryLabels = []string{"node-a", "worker-1.example.com", "nœud-été", "узел", "ノード", "node (spare)", "a\"b", "", "x\\x1b"}

func TestEscapeCell(t *testing.T) {
	t.Parallel()

	for _, tc := range hostileLabels {
		got := kubespan.EscapeCell(tc.label)
		require.Equal(t, tc.want, got, tc.name)

		back, err := strconv.Unquote(got)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.label, back, tc.name)
	}

	for _, label := range ordinaryLabels {
		require.Equal(t, label, kubespan.EscapeCell(label))
	}
}

// checkTable checks that out has a header and rows lines, no control byte but the line ends,
// valid UTF-8, and every column starting at the same rune offset on every line.
func checkTable(t *testing.T, out string, rows int) {
	t.Helper()

	require.True(t, utf8.ValidString(out))
	require.NotContains(t, out, "\x1b")
	require.NotContains(t, out, "\r")
	require.NotContains(t, out, "\t")
	require.NotContains(t, out, "\u202e")
	for _, r := range out {
		require.True(t, r == '\n' || strconv.IsPrint(r), "non-printing rune %U in\n%s", r, out)
	}

	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, rows+1, "one line per row:\n%s", out)

	// Columns start after a run of at least 3 spaces (the padding) in the header.
	header := []rune(lines[0])
	var starts []int
	for i := 1; i < len(header); i++ {
		if header[i] != ' ' && i >= 3 && string(header[i-3:i]) == "   " {
			starts = append(starts, i)
		}
	}
	for _, line := range lines[1:] {
		r := []rune(line)
		for _, s := range starts {
			require.Greater(t, len(r), s, "line too short for its columns:\n%s", out)
			require.Equal(t, "   ", string(r[s-3:s]), "column at %d not aligned:\n%s", s, out)
		}
	}
}

// cellAt returns the text of row (1-based, after the header) of out in column name, starting
// where the header's column starts and running for n runes.
func cellAt(t *testing.T, out string, row int, name string, n int) string {
	t.Helper()

	lines := strings.Split(out, "\n")
	head := []rune(lines[0])
	start := strings.Index(lines[0], "   "+name+" ")
	if start < 0 && strings.HasSuffix(lines[0], "   "+name) {
		start = len(lines[0]) - len(name) - 3
	}
	require.GreaterOrEqual(t, start, 0, "no column %s in\n%s", name, out)
	start = utf8.RuneCountInString(lines[0][:start]) + 3
	require.Less(t, start, len(head))

	r := []rune(lines[row])
	require.GreaterOrEqual(t, len(r), start+n)

	return string(r[start : start+n])
}

func TestTablesEscapeHostileStrings(t *testing.T) {
	t.Parallel()

	for _, tc := range hostileLabels {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			statuses := []kubespan.PeerStatus{
				{ID: "KEYA", Label: "node-a", Endpoint: netip.MustParseAddrPort("10.0.0.1:51820"), State: kubespan.PeerStateUp, ReceiveBytes: 1, TransmitBytes: 2},
				{ID: "KEYB", Label: tc.label, Endpoint: netip.MustParseAddrPort("10.0.0.2:51820"), State: kubespan.PeerStateDown},
				{ID: "KEYC", Label: "node-c", State: kubespan.PeerStateUnknown},
			}

			var buf bytes.Buffer
			require.NoError(t, kubespan.WritePeerStatuses(&buf, kubespan.Rows("172.20.0.2", 7, statuses)))
			checkTable(t, buf.String(), len(statuses))
			require.Equal(t, tc.want+"   ", cellAt(t, buf.String(), 2, "LABEL", utf8.RuneCountInString(tc.want)+3))
			require.Equal(t, "10.0.0.2:51820", cellAt(t, buf.String(), 2, "ENDPOINT", 14))
			require.Equal(t, "node-c", cellAt(t, buf.String(), 3, "LABEL", 6))

			specs := []kubespan.PeerSpec{
				{ID: "KEYA", Label: "node-a", Endpoints: []netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:51820")}},
				{ID: tc.label, Label: tc.label, Endpoints: []netip.AddrPort{netip.MustParseAddrPort("10.0.0.2:51820")}},
			}
			buf.Reset()
			require.NoError(t, kubespan.WritePeerSpecs(&buf, kubespan.Rows("172.20.0.2", 3, specs)))
			checkTable(t, buf.String(), len(specs))
			require.Equal(t, tc.want+"   ", cellAt(t, buf.String(), 2, "ID", utf8.RuneCountInString(tc.want)+3))
			require.Equal(t, tc.want+"   ", cellAt(t, buf.String(), 2, "LABEL", utf8.RuneCountInString(tc.want)+3))
			require.Equal(t, `["10.0.0.2:51820"]`, cellAt(t, buf.String(), 2, "ENDPOINTS", 18))

			records := []kubespan.EndpointRecord{
				{ID: tc.label, AffiliateID: tc.label, Endpoint: netip.MustParseAddrPort("10.0.0.2:51820")},
				{ID: "KEYA", AffiliateID: "aff-a", Endpoint: netip.MustParseAddrPort("10.0.0.1:51820")},
			}
			buf.Reset()
			require.NoError(t, kubespan.WriteEndpoints(&buf, kubespan.Rows("172.20.0.2", 2, records)))
			checkTable(t, buf.String(), len(records))
			require.Equal(t, tc.want, cellAt(t, buf.String(), 1, "AFFILIATE ID", utf8.RuneCountInString(tc.want)))
			require.Equal(t, "aff-a", cellAt(t, buf.String(), 2, "AFFILIATE ID", 5))

			// The NODE column is a string too.
			buf.Reset()
			require.NoError(t, kubespan.WriteIdentities(&buf, kubespan.Rows(tc.label, 1, []kubespan.Identity{{}})))
			checkTable(t, buf.String(), 1)
			require.True(t, strings.HasPrefix(strings.Split(buf.String(), "\n")[1], tc.want+"   "))
		})
	}
}

func TestTablesKeepOrdinaryLabels(t *testing.T) {
	t.Parallel()

	statuses := make([]kubespan.PeerStatus, 0, len(ordinaryLabels))
	for i, label := range ordinaryLabels {
		statuses = append(statuses, kubespan.PeerStatus{ID: "KEY" + strconv.Itoa(i), Label: label})
	}

	var buf bytes.Buffer
	require.NoError(t, kubespan.WritePeerStatuses(&buf, kubespan.Rows("172.20.0.2", 1, statuses)))
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, len(statuses)+1)
	for i, label := range ordinaryLabels {
		if label != "" {
			require.Contains(t, lines[i+1], "   "+label+"   ")
		}
	}
}

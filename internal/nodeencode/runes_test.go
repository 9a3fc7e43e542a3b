package nodeencode_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/types/k8s"
	"github.com/siderolabs/talos/pkg/machinery/config/types/network"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	"github.com/siderolabs/talos/pkg/machinery/nethelpers"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/internal/configtest"
	"github.com/talospatch/talospatch/patches"
)

// trickyStrings are strings whose YAML encoding is easy to get wrong when it is spliced and
// re-indented: U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR (which the encoder writes
// unescaped and breaks lines at, as YAML 1.1 reads them), alone, leading, trailing and mixed
// with '\n' (block scalars); NEL, '\r', a byte order mark, control characters and tabs (which it
// escapes); surrounding spaces, indicators, quotes; non-BMP and private-use runes; and invalid
// UTF-8 (which it writes as !!binary). The fuzz targets take them as seeds.
var trickyStrings = []string{
	"a\u2028b", "\u2028", "a\u2029b", "\u2029x", "x\u2029", "\u2028\u2029", "a\u2028\u2028b",
	"a\u2028 b\u2029", "a\u2028'b", "\u2028'", "a \u2028 b", "a\u2028#b", "a\u2028- b",
	"a\nb\u2028", "a\u2028\nb", "\u2028\n", "x\n\u2029y\n", "line\nbreak\u2028\n", "a\n\u2028\n\nb",
	"a\u0085b", "\u0085", "a\rb", "\r", "a\r\nb\r\n",
	"\ufeffa", "a\ufeff", "\ufeff",
	"a\tb", "\t", "\ttab", "tab\t", "a\x00b", "\x01", "a\x1fb", "\x7f", "a\u0080b", "a\u009fb",
	" lead", "trail ", " both ", "a: b", "a:b", "a #b", "#a", "a#b", "- a", "? a", "[a]", "{a}", "&a", "*a", "!a", "|", ">", "%a", "@a", "`a",
	"'q'", `"dq"`, `a'b"c`, "\\", "a\\nb", "'", "''",
	"\U0001F600", "a\U0001F600b", "\u00e9t\u00e9", "\ue000", "\ufffd", "\uffff",
	"a\xffb", "\xc3", "\xed\xa0\x80",
}

// withTrickyStrings returns cfg with s in every per-node field: machine.nodeLabels (key and
// value), nodeAnnotations, nodeTaints, certSANs and network.hostname of the v1alpha1 document,
// and the KubeNodeConfig and HostnameConfig documents where cfg has them (v1.12+, v1.14).
func withTrickyStrings(t *testing.T, cfg coreconfig.Provider, s string) coreconfig.Provider {
	t.Helper()

	cfg = patchV1(t, cfg, func(c *v1alpha1.Config) {
		c.MachineConfig.MachineNodeLabels = map[string]string{"example.com/node": s, s: "v"}
		c.MachineConfig.MachineNodeAnnotations = map[string]string{"example.com/note": s, s: s}
		c.MachineConfig.MachineNodeTaints = map[string]string{"t": s + ":NoSchedule"}
		c.MachineConfig.MachineCertSANs = []string{s, "10.0.0.1"}

		if c.MachineConfig.MachineNetwork == nil {
			c.MachineConfig.MachineNetwork = &v1alpha1.NetworkConfig{}
		}

		c.MachineConfig.MachineNetwork.NetworkHostname = s
	})

	var docs []configconfig.Document

	for _, d := range cfg.Documents() {
		switch d := d.(type) {
		case *k8s.KubeNodeConfigV1Alpha1:
			n := d.DeepCopy()
			n.LabelsConfig = map[string]string{"example.com/node": s}
			n.AnnotationsConfig = map[string]string{s: s, "z": "after"}
			n.TaintsConfig = map[string]string{"t": s + ":NoSchedule"}
			docs = append(docs, n)
		case *network.HostnameConfigV1Alpha1:
			h := d.DeepCopy()
			h.ConfigAuto, h.ConfigHostname = new(nethelpers.AutoHostnameKindOff), s
			docs = append(docs, h)
		default:
			docs = append(docs, d)
		}
	}

	out, err := container.New(docs...)
	require.NoError(t, err)

	return out
}

// TestEncoderTrickyRunes: Encoder.Append and config.Builder's fast path give Encode's bytes for
// per-node values holding trickyStrings, on each form of the settings (v1.14, v1.13, v1.11), also
// with such values in the base.
func TestEncoderTrickyRunes(t *testing.T) {
	t.Parallel()

	for _, contract := range configtest.SettingsContracts {
		roleText, _ := configtest.LayerTexts(contract)

		layered, err := configtest.Roles(t, contract).Patch(config.Layers{AllNodes: []patches.Patch{patches.MustParse(roleText)}})
		require.NoError(t, err)

		base := layered.ControlPlane

		enc, err := newEncoder(base)
		require.NoError(t, err)

		for i, s := range trickyStrings {
			t.Run(fmt.Sprintf("%s/%d/%+q", contract, i, s), func(t *testing.T) {
				t.Parallel()

				node := withTrickyStrings(t, base, s)
				requireSameEncoding(t, enc, node)

				// A base holding the string, and a node that changes it back.
				trickyEnc, err := newEncoder(node)
				require.NoError(t, err)
				requireSameEncoding(t, trickyEnc, node)
				requireSameEncoding(t, trickyEnc, base)
				requireSameEncoding(t, trickyEnc, withTrickyStrings(t, base, s+"x"))

				// Merged settings (config.Builder's fast path): annotation values are free text; keys, label values,
				// taints, hostnames and SANs are checked, so the string reaches them only when
				// valid.
				for _, ns := range []config.NodeSettings{
					{Annotations: map[string]string{"example.com/note": s}},
					{Annotations: map[string]string{"example.com/note": s, "b": s + s, "c": "after"}, Labels: map[string]string{"zone": "eu-1"}, Hostname: "worker-1", CertSANs: []string{"10.0.0.9"}},
					{Annotations: map[string]string{s: s}},
					{Labels: map[string]string{s: s}},
					{Taints: map[string]string{"t": s + ":NoSchedule"}},
					{Hostname: s},
					{CertSANs: []string{s}},
				} {
					if ns.Validate() != nil {
						continue
					}

					for _, base := range []coreconfig.Provider{base, node} {
						want := configtest.ViaSettingsPatch(t, contract, base, ns)

						b, err := config.Configs{ControlPlane: base}.NewBuilder(config.Layers{})
						require.NoError(t, err)

						got, err := b.Build(config.Node{Role: config.RoleControlPlane, Settings: ns})
						require.NoError(t, err)

						if diff := cmp.Diff(want, string(got)); diff != "" {
							t.Fatalf("Build(%+v) differs from the settings' patch (-want +got):\n%s", ns, diff)
						}
					}
				}
			})
		}
	}
}

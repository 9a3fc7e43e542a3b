package patches_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

func TestApplyGuideJSONOnMultiDoc(t *testing.T) {
	t.Parallel()

	cfg := genBytes(t, "v1.13", machine.TypeControlPlane)
	orig := bytes.Clone(cfg)

	p := patches.MustParse(`[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`)
	require.Equal(t, patches.KindJSON6902, p.Kind())

	out, err := patches.Apply(cfg, p)
	require.NoError(t, err)
	require.Equal(t, orig, cfg)

	prov, err := configloader.NewFromBytes(out)
	require.NoError(t, err)
	require.Equal(t, "none", prov.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIName)
	require.Len(t, prov.Documents(), 2)
}

func TestInlineManifestReplaceByName(t *testing.T) {
	t.Parallel()

	cfg := genBytes(t, "v1.13", machine.TypeControlPlane)

	out, err := patches.Apply(cfg,
		must(patches.InlineManifest(talos.V1_13, "cilium", "a: 1\n")),
		must(patches.InlineManifest(talos.V1_13, "other", "b: 2\n")),
		must(patches.InlineManifest(talos.V1_13, "cilium", "a: 3\n")),
	)
	require.NoError(t, err)

	prov, err := configloader.NewFromBytes(out)
	require.NoError(t, err)

	ms := prov.K8sInlineManifestConfigs()
	require.Len(t, ms, 2)
	require.Equal(t, "other", ms[0].Name())
	require.Equal(t, "cilium", ms[1].Name())
	require.Equal(t, "a: 3\n", ms[1].Contents())
}

func TestStrictReplaceMissing(t *testing.T) {
	t.Parallel()

	cfg := genBytes(t, "v1.13", machine.TypeControlPlane)

	_, err := patches.Apply(cfg, patches.MustParse(`[{"op":"replace","path":"/cluster/nope","value":1}]`))
	require.Error(t, err)
	require.True(t, errors.Is(err, patches.ErrMissingPath), err.Error())

	var pe *patches.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 0, pe.Op)
	require.Equal(t, "/cluster/nope", pe.Path)
	t.Log(err)
}

// TestInlineManifestsTextIsValid: the inline-manifest recipe is not parsed when built (it can
// be large); its text parses to the same patch and loads in Talos's config loader, with the
// same name and contents, for arbitrary names and contents (a contents whose first line started
// with a tab used to make the recipe panic: literal style is now used only where it is safe).
func TestInlineManifestsTextIsValid(t *testing.T) {
	t.Parallel()

	rng := rand.New(rand.NewPCG(9, 9))
	alphabet := []string{"a", "Z", "0", " ", "  ", "\n", "\n\n", "\t", ":", ": ", "#", " #", "-", "---", "...", "'", "\"", "|", ">", "\\", "é", "\u2028", "{", "[", "&", "*", "!", "%", "@", "`", "~", "null", "yes", "\r\n"}
	pick := func() string {
		var sb strings.Builder
		for range rng.IntN(12) {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}

		return sb.String()
	}

	dns := "abcz09-"
	pickName := func() string {
		var sb strings.Builder
		sb.WriteString("m")
		for range rng.IntN(12) {
			sb.WriteByte(dns[rng.IntN(len(dns))])
		}

		return sb.String() + "0"
	}

	for i := range 2000 {
		name, contents := pickName(), pick()
		contract := []talos.Contract{talos.V1_13, talos.V1_14}[i%2]
		p := must(patches.InlineManifest(contract, name, contents))

		back, err := patches.Parse([]byte(p.String()))
		require.NoError(t, err, "%q", p.String())
		require.Equal(t, p, back)
		require.Equal(t, patches.KindStrategic, back.Kind())

		loaded, err := configloader.NewFromBytes([]byte(p.String()), configloader.WithAllowPatchDelete())
		require.NoError(t, err)

		ms := loaded.K8sInlineManifestConfigs()
		require.Len(t, ms, 1)
		require.Equal(t, name, ms[0].Name())

		// Talos's loader drops leading blank space of the contents ("\tx" and "\n\nx" read
		// back as "x"); everything else is kept.
		const blank = " \t\r\n"
		require.Equal(t, strings.TrimLeft(contents, blank), strings.TrimLeft(ms[0].Contents(), blank), "%q", p.String())
	}
}
